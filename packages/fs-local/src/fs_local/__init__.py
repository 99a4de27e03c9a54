"""fs-local: the local file system backend of fs-core (``local``, the default).

Not a PyFilesystem2 plugin: it plugs into ``fs_core``.
"""

from __future__ import annotations

from .backend import LocalBackend

__version__ = "0.1.0"
__all__ = ["LocalBackend"]
