"""The errors fs-hashfs raises. Each is an ``fs_core.FSError`` for code written for fs, and
also what HashFS raised in its place, so code that caught ``IOError`` or ``ValueError``
keeps working."""

from __future__ import annotations

from typing import Any

from fs_core import ConfigurationError, FileNotFound, FSError

__all__ = ["AddressNotFound", "HashFSConfigError", "UnreadableSource"]


class AddressNotFound(FileNotFound, FileNotFoundError):
    """No file of the store has that id or path (HashFS raised ``IOError``)."""

    def __init__(self, file: Any) -> None:
        FileNotFound.__init__(self, str(file), message=f"Could not locate file: {file!r}")

    def __str__(self) -> str:
        # OSError's __str__ would print "[Errno None] None: …"
        return str(self.args[0]) if self.args else ""


class UnreadableSource(FSError, ValueError):
    """``put`` was given something it cannot read: not a readable object, or the path of a
    file that cannot be opened (HashFS raised ``ValueError``)."""


class HashFSConfigError(ConfigurationError, ValueError):
    """A ``HASHFS_*`` value cannot work (Flask-HashFS raised ``ValueError``)."""
