"""``FlaskHashFS``: Flask-HashFS's extension, with the store on an fs-core storage.

The ``HASHFS_*`` keys keep their meaning. The store is the storage ``hashfs`` (or one given
to the constructor), so the usual fs configuration puts it on any backend:
``HASHFS_FS_BACKEND = 's3'`` with the ``FS_S3_*`` keys, and so on. ``init_app`` turns
``HASHFS_ROOT_FOLDER`` into that storage's directory (``HASHFS_FS_ROOT``) and gives it a
year of ``MAX_AGE`` (``HASHFS_FS_MAX_AGE``), unless those keys are set.
"""

from __future__ import annotations

import os
from typing import IO, Any
from urllib.parse import quote

from flask import Flask, current_app, has_app_context, has_request_context, request

import fs_core
from fs_core import Storage
from fs_core.naming import validate_name

from . import views
from .address import HashAddress
from .errors import HashFSConfigError
from .store import HashFS

__all__ = ["DEFAULT_STORAGE", "EXTENSION", "IMMUTABLE_MAX_AGE", "FlaskHashFS", "urljoin"]

#: The key of the extension's state in ``app.extensions`` (Flask-HashFS's).
EXTENSION = "hashfs"
#: The name of the storage the extension creates when it is given none.
DEFAULT_STORAGE = "hashfs"
#: ``Cache-Control: max-age`` of served files unless the storage sets ``MAX_AGE``: one year.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


class FlaskHashFS:
    """Flask extension for content-addressed files (Flask-HashFS's ``FlaskHashFS``).

    Configuration (``app.config``, before :meth:`init_app`):

    * ``HASHFS_HOST``: the host that serves the files, for :meth:`url_for` (default ``None``:
      this app, through its route);
    * ``HASHFS_PATH_PREFIX``: the URL path of the route (default ``''``; must start with ``/``);
    * ``HASHFS_ROOT_FOLDER``: the directory of the store on the local backend (default: the
      storage's, ``<FS_ROOT>/hashfs``);
    * ``HASHFS_DEPTH`` (4), ``HASHFS_WIDTH`` (1; ``HASHFS_LENGTH``, its name in Flask-HashFS
      before 0.3, is read when ``HASHFS_WIDTH`` is not set), ``HASHFS_ALGORITHM``
      (``'sha256'``).

    :param storage: the :class:`fs_core.Storage` to keep the files in, or its name (default:
        a storage named ``hashfs`` accepting every extension).
    """

    def __init__(self, app: Flask | None = None, *, storage: Storage | str | None = None) -> None:
        if not isinstance(storage, Storage):
            storage = Storage(storage or DEFAULT_STORAGE, fs_core.ALL)
        self.storage = storage
        self.app = app
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read the ``HASHFS_*`` keys, configure the storage and add the route."""
        config = app.config
        config.setdefault("HASHFS_HOST", None)
        config.setdefault("HASHFS_PATH_PREFIX", "")
        config.setdefault("HASHFS_ROOT_FOLDER", None)
        config.setdefault("HASHFS_DEPTH", 4)
        config.setdefault("HASHFS_WIDTH", config.get("HASHFS_LENGTH", 1))
        config.setdefault("HASHFS_ALGORITHM", "sha256")
        prefix = config["HASHFS_PATH_PREFIX"]
        if prefix is None:
            raise HashFSConfigError(
                'Missing configuration value for fs-hashfs: "HASHFS_PATH_PREFIX" must be set'
            )
        if prefix and not str(prefix).startswith("/"):
            raise HashFSConfigError(
                'Invalid configuration value for fs-hashfs: "HASHFS_PATH_PREFIX" must start with '
                "a leading slash"
            )
        keys = f"{self.storage.name.upper()}_FS_"
        if config["HASHFS_ROOT_FOLDER"]:
            config.setdefault(f"{keys}ROOT", os.path.realpath(config["HASHFS_ROOT_FOLDER"]))
        config.setdefault(f"{keys}MAX_AGE", IMMUTABLE_MAX_AGE)
        client = HashFS(
            self.storage,
            depth=_integer(config, "HASHFS_DEPTH"),
            width=_integer(config, "HASHFS_WIDTH"),
            algorithm=str(config["HASHFS_ALGORITHM"]),
        )
        fs_core.init_app(app, self.storage)
        app.extensions[EXTENSION] = {"client": client}
        views.register(app, client.layout, str(prefix).rstrip("/"))

    def _app(self) -> Flask:
        """The current app, else the app given to the constructor (Flask's usual pattern)."""
        if has_app_context():
            return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
        if self.app is not None:
            return self.app
        raise RuntimeError(
            "FlaskHashFS is used outside an application context: use `with app.app_context():`"
        )

    @property
    def config(self) -> Any:
        """The configuration of the current app."""
        return self._app().config

    @property
    def client(self) -> HashFS:
        """The app's :class:`~fs_hashfs.HashFS` (the store on its storage)."""
        app = self._app()
        state = app.extensions.get(EXTENSION)
        if state is None:
            raise fs_core.NotConfigured(f"FlaskHashFS.init_app(app) was never called for app {app.name!r}")
        return state["client"]  # type: ignore[no-any-return]

    def url_for(self, relpath: HashAddress | str, external: bool = True) -> str:
        """The URL of a :class:`HashAddress` or of a path relative to the store (not checked
        for existence), as Flask-HashFS built it: ``HASHFS_HOST`` (else this app's root URL,
        when ``external``) + ``HASHFS_PATH_PREFIX`` + the path. The app's route serves the
        addresses under that prefix. Outside a request, an external URL without
        ``HASHFS_HOST`` needs ``SERVER_NAME``."""
        if isinstance(relpath, HashAddress):
            name = relpath.relpath
        else:
            name = validate_name(str(relpath).lstrip("/"))
        config = self.config
        prefix = config.get("HASHFS_PATH_PREFIX") or ""
        path = quote(name)
        if not external:
            root = request.script_root if has_request_context() else config.get("APPLICATION_ROOT") or "/"
            return urljoin(root, "/", prefix, path)
        return urljoin(config.get("HASHFS_HOST") or _app_url(config), "/", prefix, path)

    # -- the store's API, on the current app's client ------------------------------------

    def put(self, file: Any, extension: str | None = None) -> HashAddress:
        """:meth:`HashFS.put <fs_hashfs.HashFS.put>`."""
        return self.client.put(file, extension=extension)

    def get(self, file: Any) -> HashAddress | None:
        """:meth:`HashFS.get <fs_hashfs.HashFS.get>`."""
        return self.client.get(file)

    def open(self, file: Any, mode: str = "rb") -> IO[Any]:
        """:meth:`HashFS.open <fs_hashfs.HashFS.open>`."""
        return self.client.open(file, mode=mode)

    def delete(self, file: Any) -> None:
        """:meth:`HashFS.delete <fs_hashfs.HashFS.delete>`."""
        self.client.delete(file)

    def exists(self, file: Any) -> bool:
        """:meth:`HashFS.exists <fs_hashfs.HashFS.exists>`."""
        return self.client.exists(file)

    def files(self) -> Any:
        """:meth:`HashFS.files <fs_hashfs.HashFS.files>`."""
        return self.client.files()

    def folders(self) -> Any:
        """:meth:`HashFS.folders <fs_hashfs.HashFS.folders>`."""
        return self.client.folders()

    def count(self) -> int:
        """:meth:`HashFS.count <fs_hashfs.HashFS.count>`."""
        return self.client.count()

    def size(self) -> int:
        """:meth:`HashFS.size <fs_hashfs.HashFS.size>`."""
        return self.client.size()

    def repair(self, extensions: bool = True) -> list[tuple[str, HashAddress]]:
        """:meth:`HashFS.repair <fs_hashfs.HashFS.repair>`."""
        return self.client.repair(extensions=extensions)


def _app_url(config: Any) -> str:
    """This app's root URL: the request's, else from ``SERVER_NAME``."""
    if has_request_context():
        return str(request.url_root)
    server = config.get("SERVER_NAME")
    if not server:
        raise HashFSConfigError(
            "Cannot build an absolute URL outside a request: set HASHFS_HOST, or SERVER_NAME"
        )
    scheme = config.get("PREFERRED_URL_SCHEME") or "http"
    return urljoin(f"{scheme}://{server}", config.get("APPLICATION_ROOT") or "/")


def _integer(config: Any, key: str) -> int:
    value = config[key]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HashFSConfigError(f"{key} must be an integer, not {value!r}") from None


def urljoin(*paths: str) -> str:
    """Join URL parts with single slashes, keeping a leading and a trailing one (Flask-HashFS's
    ``urljoin``: ``urljoin('/a/', 'b/', '/c')`` is ``'/a/b/c'``)."""
    parts = [p for p in paths if p]
    if len(parts) == 1:
        return parts[0]
    leading = "/" if parts and parts[0].startswith("/") else ""
    trailing = "/" if parts and parts[-1].endswith("/") else ""
    middle = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return f"{leading}{middle}{trailing}"
