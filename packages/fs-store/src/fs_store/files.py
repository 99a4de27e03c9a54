"""``StoreFile``: Flask-Store's ambassador for one stored file (``flask_store.files``).

A ``StoreFile`` is also a ``str``: the file's relative path (``'avatars/me.jpg'``). So the
two things Flask-Store's providers returned from ``save``, a wrapper with ``absolute_url()``
(the local store) and the relative path (the S3 stores), are one object here, and code
written for either keeps working.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import current_app, has_request_context, request

from .exceptions import NotConfiguredError
from .naming import store_name
from .utils import path_to_uri, url_join

__all__ = ["StoreFile"]


class StoreFile(str):
    """A stored file: ``StoreFile(filename, destination=None)``.

    :param filename: the file's name in its destination.
    :param destination: the folder of the store it is in, if any.
    """

    filename: str
    destination: str | None

    def __new__(cls, filename: str, destination: str | None = None) -> StoreFile:
        destination = (destination or "").strip("/") or None
        self = super().__new__(cls, store_name(destination, filename))
        self.filename = filename
        self.destination = destination
        return self

    def __repr__(self) -> str:
        return f"StoreFile({self.filename!r}, destination={self.destination!r})"

    @property
    def state(self) -> Any:
        """The current app's :class:`~fs_store.StoreState`."""
        return current_app.extensions["store"]

    @property
    def provider(self) -> Any:
        """A provider of the current app for this file's destination."""
        return self.state.provider(destination=self.destination)

    def relative_path(self) -> str:
        """The path relative to ``STORE_PATH``, with the destination: ``'avatars/me.jpg'``."""
        return str(self)

    def absolute_path(self) -> str:
        """Where the file is: its path on this machine on the local backend; elsewhere the
        provider's join of ``STORE_PATH`` and the relative path (on S3, the object's key)."""
        storage = self.state.storage
        if storage.root is not None:
            return str(storage.path(str(self)))
        return url_join(current_app.config.get("STORE_PATH") or "", str(self)).lstrip("/")

    def relative_url(self) -> str:
        """The URL without the domain: ``STORE_URL_PREFIX`` and the relative path (and the
        app's script root when the app's route serves it), percent-encoded."""
        config = current_app.config
        root = ""
        if self.state.provider_class.register_route:
            root = request.script_root if has_request_context() else ""
        path = url_join("/", root, config.get("STORE_URL_PREFIX") or "", str(self))
        return quote(path_to_uri(path if path.startswith("/") else f"/{path}"), safe="/")

    def absolute_url(self) -> str:
        """The URL with the domain: ``STORE_DOMAIN``, else the request's host, else
        ``SERVER_NAME``; :class:`~fs_store.NotConfiguredError` when none is known."""
        config = current_app.config
        domain = config.get("STORE_DOMAIN")
        if not domain:
            if has_request_context():
                domain = request.host_url
            elif config.get("SERVER_NAME"):
                domain = f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
            else:
                raise NotConfiguredError(
                    "Cannot build an absolute URL outside a request: set STORE_DOMAIN (or SERVER_NAME)"
                )
        return str(domain).rstrip("/") + self.relative_url()

    def url(self) -> str:
        """The URL to give clients: :meth:`absolute_url`."""
        return self.absolute_url()
