"""Part of the ``timm`` stand-in (see ``timm/__init__.py``)."""
