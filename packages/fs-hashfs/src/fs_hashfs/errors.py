"""The errors fs-hashfs raises, each also what Flask-HashFS raised in its place, so code that
caught ``IOError`` or ``ValueError`` keeps working, and code written for fs catches
``fs_core.FSError``."""

from __future__ import annotations

from fs_core import ConfigurationError, FileNotFound

__all__ = ["AddressNotFound", "HashFSConfigError"]


class AddressNotFound(FileNotFound, FileNotFoundError):
    """No file of the store has that id or path (HashFS raised ``IOError``)."""

    def __str__(self) -> str:
        # OSError's __str__ would print "[Errno None] None: …"
        return str(self.args[0]) if self.args else ""


class HashFSConfigError(ConfigurationError, ValueError):
    """A ``HASHFS_*`` value cannot work (Flask-HashFS raised ``ValueError``)."""
