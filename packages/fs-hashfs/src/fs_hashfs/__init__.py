"""fs-hashfs: Flask-HashFS's API on fs-core, content-addressed files on any fs backend.

Not a PyFilesystem2 plugin: it builds on ``fs_core`` (PyPI's ``fs`` is PyFilesystem2).

A Flask-HashFS application migrates by changing ``flask_hashfs`` to ``fs_hashfs``: the
``HASHFS_*`` keys, ``FlaskHashFS``, ``put``/``get``/``open``/``delete``, ``url_for`` and
``HashAddress`` keep their meaning, and the store may live on any fs backend.
"""

from __future__ import annotations

from .address import HashAddress
from .errors import AddressNotFound, HashFSConfigError, UnreadableSource
from .extension import FlaskHashFS
from .store import HashFS

__version__ = "0.1.0"
__all__ = [
    "AddressNotFound",
    "FlaskHashFS",
    "HashAddress",
    "HashFS",
    "HashFSConfigError",
    "UnreadableSource",
]
