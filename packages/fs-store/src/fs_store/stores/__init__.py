"""Flask-Store's providers (``flask_store.stores``), each on the app's fs storage.

A provider is made per use, in an app context (``store.Provider()``, ``Provider(destination=
'avatars')``), as in Flask-Store, and works through the storage fs-store configured
(:attr:`fs_store.Store.storage`): so every provider works on every fs backend, and gets the
core's guarantees (names validated, writes atomic and create-only, streaming, serving with
HTTP semantics). The classes differ only in what Flask-Store's did at ``init_app``: which
backend they stand for, their configuration defaults and required keys, whether a route
serves their files, and whether ``save`` runs in the background.
"""

from __future__ import annotations

import posixpath
from typing import IO, Any, ClassVar

from flask import Flask, current_app

from fs_core import Storage
from fs_core.naming import validate_name

from ..files import StoreFile
from ..naming import store_name, suffixed
from ..utils import url_join

__all__ = ["BaseStore", "FSStore", "StoreStorage"]


class BaseStore:
    """What every provider does (Flask-Store's ``BaseStore``).

    :param destination: a folder of the store the files go to (``'avatars/2024'``); it is a
        name of the storage, validated like every name (no ``..``, no absolute path).
    """

    #: Whether ``Store.init_app`` adds the route that serves the files under
    #: ``STORE_URL_PREFIX`` (Flask-Store's attribute).
    register_route: ClassVar[bool] = False
    #: The fs backend this provider stands for; ``None``: the one ``STORE_PROVIDER`` names.
    backend: ClassVar[str | None] = None
    #: Whether :meth:`save` hands the transfer to the background (Flask-Store's gevent store).
    background: ClassVar[bool] = False
    #: Keys ``Store.check_config`` requires (Flask-Store's attribute).
    REQUIRED_CONFIGURATION: ClassVar[list[str]] = []

    def __init__(self, destination: str | None = None) -> None:
        destination = (destination or "").strip("/")
        self.destination = validate_name(destination, what="Destination") if destination else None
        self.app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        self.state = self.app.extensions["store"]

    @staticmethod
    def app_defaults(app: Flask) -> None:
        """Set this provider's configuration defaults (Flask-Store's hook)."""
        app.config.setdefault("STORE_URL_PREFIX", "/flaskstore")

    @property
    def storage(self) -> Storage:
        """The fs storage the files are kept in."""
        return self.state.storage  # type: ignore[no-any-return]

    @property
    def store_path(self) -> str:
        """``STORE_PATH`` and the destination: where files go (a local directory, a key prefix)."""
        return self.join(self.app.config.get("STORE_PATH") or "", self.destination or "")

    def name(self, filename: str) -> str:
        """The storage name of ``filename`` in this provider's destination (validated)."""
        return store_name(self.destination, filename)

    def join(self, *parts: str) -> str:
        """Join path parts (Flask-Store's ``join``): ``/``-separated, later parts' leading
        slashes dropped, no trailing slash."""
        path = ""
        for i, part in enumerate(parts):
            path = posixpath.join(path, part.lstrip("/") if i else part)
        return path.rstrip("/") if path != "/" else path

    def url_join(self, *parts: str) -> str:
        """Join URL parts with single slashes (Flask-Store's ``url_join``)."""
        return url_join(*parts)

    def exists(self, filename: str) -> bool:
        """Whether ``filename`` is stored in this provider's destination."""
        return self.storage.exists(self.name(filename))

    def safe_filename(self, filename: str) -> str:
        """``filename``, or, if it is taken, ``filename`` with a short URL-safe unique suffix
        before its extension (``photo_Xk3J-q9cT0w.jpg``), never an existing name. (Flask-Store
        added a timestamp, then a shortuuid.) ``save`` does this itself, race-free."""
        limit = self.storage.backend.max_name_bytes
        if self.destination:
            limit -= len(self.destination.encode("utf-8")) + 1
        while self.exists(filename):
            filename = suffixed(filename, limit)
        return filename

    def save(self, file: Any, filename: str | None = None) -> StoreFile:
        """Store an upload (a werkzeug ``FileStorage``, or a file object with a
        ``filename``) in the destination, under its own name made safe (or ``filename``);
        a taken name gets a unique suffix, nothing is ever overwritten. Returns the
        :class:`~fs_store.files.StoreFile`, a ``str`` of the file's relative path.

        Background providers (``S3GeventStore``, ``STORE_BACKGROUND``) spool the upload to
        local disk, return the name at once and transfer it later; see
        :class:`~fs_store.background.BackgroundUploads`."""
        if self.background or self.state.background_enabled:
            name = self.state.background.submit(file, filename, self.destination)
        else:
            name = self.storage.save(file, filename, prefix=self.destination, overwrite=False)
        return StoreFile(name.rpartition("/")[2], self.destination)

    def open(self, filename: str) -> IO[bytes]:
        """A binary stream of a stored file (``fs_core.FileNotFound`` if there is none)."""
        return self.storage.open(self.name(filename), "rb")

    def delete(self, filename: str) -> None:
        """Delete a stored file (a missing one is not an error)."""
        name = self.name(filename)
        if self.storage.exists(name):
            self.storage.delete(name)

    def url(self, filename: str) -> str:
        """The URL of ``filename`` (:meth:`StoreFile.url <fs_store.files.StoreFile.url>`)."""
        return StoreFile(filename, self.destination).url()


class FSStore(BaseStore):
    """The provider of ``STORE_PROVIDER = '<fs backend name>'`` (``'local'``, ``'s3'``,
    ``'memory'``, ``'swift'``, ``'gridfs'``…): the backend is configured the fs way
    (``FS_S3_*``, ``STORE_FS_*``) and the files are served under ``STORE_URL_PREFIX``."""

    register_route = True


class StoreStorage(Storage):
    """The fs storage of a store: a taken name gets Flask-Store's kind of unique suffix
    (the core's ``ON_CONFLICT = 'rename'`` calls this, and retries on a race)."""

    def resolve_conflict(self, target_folder: str, basename: str) -> str:
        name = f"{target_folder}/{basename}" if target_folder else basename
        return suffixed(name, self.backend.max_name_bytes).rpartition("/")[2]
