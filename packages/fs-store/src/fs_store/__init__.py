"""fs-store."""

__version__ = "0.1.0"
