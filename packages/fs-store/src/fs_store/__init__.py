"""fs-store: Flask-Store's API (``Store``, providers, ``StoreFile``, background saves) on fs
storages, so every fs backend instead of local disk or boto 2.

Not a PyFilesystem2 plugin: it builds on ``fs_core`` (PyPI's ``fs`` is PyFilesystem2).

A Flask-Store application migrates by changing ``flask_store`` to ``fs_store`` in its
imports; the ``STORE_*`` keys keep their meaning, and ``STORE_PROVIDER`` may keep
Flask-Store's class names or name an fs backend.
"""

from __future__ import annotations

from .background import BackgroundUploads, Upload
from .exceptions import NotConfiguredError
from .extension import Provider, Store, StoreState, store_provider
from .files import StoreFile
from .signals import upload_completed, upload_failed

__version__ = "0.1.0"

#: Flask-Store's older name of ``Provider`` (``from flask.ext.store import Backend``).
Backend = Provider

__all__ = [
    "Backend",
    "BackgroundUploads",
    "NotConfiguredError",
    "Provider",
    "Store",
    "StoreFile",
    "StoreState",
    "Upload",
    "store_provider",
    "upload_completed",
    "upload_failed",
]
