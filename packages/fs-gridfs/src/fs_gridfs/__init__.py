"""fs-gridfs: the MongoDB GridFS backend of fs-core (``gridfs``).

Not a PyFilesystem2 plugin: it plugs into ``fs_core``. Importing this package does not
import pymongo: ``fs_gridfs.GridFSBackend`` is loaded from :mod:`fs_gridfs.backend` when
first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .backend import GridFSBackend

__version__ = "0.1.0"
__all__ = ["GridFSBackend", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "GridFSBackend":
        from .backend import GridFSBackend

        return GridFSBackend
    raise AttributeError(f"module 'fs_gridfs' has no attribute {name!r}")
