"""MongoDB clients: one per application and URL, made on first use and reused.

A :class:`pymongo.MongoClient` is a connection pool with monitoring threads: an app should have
one per cluster, not one per storage. fs-gridfs keeps a :class:`ClientRegistry` in each app's
``extensions`` (set up by the plugin's ``init_app`` hook), keyed by the client class, the URL and
the options; every storage of that app on the same server shares the client. Nothing is made
at import or at ``init_app``: the client is built by the first operation that needs one (a
client connects in the background, and its first operation waits for the server at most
``SERVER_SELECTION_TIMEOUT`` seconds). A backend used outside any app that has the registry
(a worker script, a test) keeps a client of its own.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, cast

from fs_core.errors import ConfigurationError

from .settings import GridFSSettings

__all__ = ["EXTENSION", "ClientRegistry", "app_registry", "client_class", "install", "make_client"]

#: ``app.extensions`` key of an app's :class:`ClientRegistry`.
EXTENSION = "fs_gridfs"


def client_class(value: Any) -> Callable[..., Any]:
    """The client class ``CLIENT_CLASS`` names: a class, or ``"module:Class"`` /
    ``"module.Class"``; :class:`pymongo.MongoClient` when unset."""
    if value is None:
        from pymongo import MongoClient

        return MongoClient
    if callable(value):
        return cast("Callable[..., Any]", value)
    text = str(value).strip()
    module, sep, attr = text.partition(":")
    if not sep:
        module, _, attr = text.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), attr) if module and attr else None
    except ImportError as exc:
        raise ConfigurationError(f"CLIENT_CLASS {text!r} cannot be imported: {exc}") from exc
    if not callable(found):
        raise ConfigurationError(f"CLIENT_CLASS {text!r} does not name a class ('module:Class')")
    return cast("Callable[..., Any]", found)


def make_client(settings: GridFSSettings) -> Any:
    """A new client for ``settings`` (pymongo makes no connection in its constructor).

    Datetimes come back timezone-aware; ``CLIENT_OPTIONS`` go over the options built here.
    """
    options: dict[str, Any] = {
        "serverSelectionTimeoutMS": int(settings.server_selection_timeout * 1000),
        "tz_aware": True,
        "appname": "fs-gridfs",
    }
    options.update(settings.client_options)
    return client_class(settings.client_class)(settings.url, **options)


def _key(settings: GridFSSettings) -> tuple[Any, ...]:
    options = sorted((str(k), repr(v)) for k, v in settings.client_options.items())
    cls = settings.client_class
    return (
        cls if cls is None or isinstance(cls, str) else id(cls),
        settings.url,
        settings.server_selection_timeout,
        tuple(options),
    )


class ClientRegistry:
    """The clients of one application, by class, URL and options."""

    def __init__(self) -> None:
        self._clients: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def client(self, settings: GridFSSettings) -> Any:
        """The app's client for ``settings``, made now if this is the first."""
        key = _key(settings)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = make_client(settings)
            return client

    def __len__(self) -> int:
        return len(self._clients)

    def close(self) -> None:
        """Close every client (an app that is shut down in a long-lived process)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


def app_registry() -> ClientRegistry | None:
    """The current app's registry, if there is an app context and the plugin set one up."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    registry = current_app.extensions.get(EXTENSION)
    return registry if isinstance(registry, ClientRegistry) else None


def install(app: Any) -> ClientRegistry:
    """Give ``app`` its registry (the plugin's ``init_app`` hook); kept if it has one."""
    registry = app.extensions.get(EXTENSION)
    if not isinstance(registry, ClientRegistry):
        registry = app.extensions[EXTENSION] = ClientRegistry()
    return registry
