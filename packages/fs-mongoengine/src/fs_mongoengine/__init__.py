"""fs-mongoengine."""

__version__ = "0.1.0"
