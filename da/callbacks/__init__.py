"""Lightning callbacks of the framework."""

from da.callbacks.history import MetricHistory

__all__ = ["MetricHistory"]
