"""fs-gridfs's hook implementations (wiring only; the backend lives in :mod:`fs_gridfs.backend`).

The backend is registered by its dotted path, so loading this plugin does not import pymongo:
only an app with a storage on ``gridfs`` pays for it.
"""

from __future__ import annotations

from flask import Flask

from fs_core import hookimpl
from fs_core.hookspecs import RegisterBackend

from . import clients


@hookimpl
def register_backends(register: RegisterBackend) -> None:
    register("gridfs", "fs_gridfs.backend:GridFSBackend")


@hookimpl
def init_app(app: Flask) -> None:
    # Where the app's MongoDB clients are kept (made on first use): one per URL.
    clients.install(app)
