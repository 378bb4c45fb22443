"""`da`: domain adaptation as loss plugins inside one Lightning training system."""

__version__ = "0.1.0"
