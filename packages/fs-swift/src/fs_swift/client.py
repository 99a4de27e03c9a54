"""python-swiftclient connections for one storage, built on first use from its settings.

A ``swiftclient.Connection`` holds one HTTP session and per-request retry state, so it must not
be shared between threads. :class:`Connections` gives each thread its own, all sharing the
token of one authentication (Keystone tokens cost a round trip of a quarter second each);
each connection re-authenticates by itself when its token expires (swiftclient does it on a
401). Nothing is contacted before the first :meth:`Connections.get`.
"""

from __future__ import annotations

import threading
from typing import Any

from swiftclient import Connection
from swiftclient.exceptions import ClientException

from .errors import translated
from .settings import SwiftSettings

__all__ = ["Connections"]


class Connections:
    """Thread-local swiftclient connections of one storage, sharing one authentication."""

    def __init__(self, settings: SwiftSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        #: ``(storage URL, token)`` of the last authentication, given to new connections.
        self._auth: tuple[str, str] | None = None
        self._info: dict[str, Any] | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``swiftclient.Connection``: the settings, then
        ``CONNECTION_OPTIONS`` over them (``cacert``, ``insecure``, ``session``…)."""
        s = self.settings
        kwargs: dict[str, Any] = {
            "authurl": s.authurl,
            "user": s.user,
            "key": s.key,
            "auth_version": s.auth_version,
            "os_options": dict(s.os_options),
            "retries": s.retries,
            "starting_backoff": s.starting_backoff,
            "max_backoff": s.max_backoff,
            "timeout": s.timeout,
        }
        kwargs.update(s.connection_options)
        return kwargs

    def get(self) -> Connection:
        """This thread's connection, authenticated (the first call of the storage
        authenticates: bad credentials or an unreachable auth URL raise here, as one
        :class:`~fs_core.errors.BackendError`)."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = Connection(**self.kwargs())
            auth = self._auth
            if auth is None:
                with self._lock:
                    if self._auth is None:
                        self.settings.check_credentials()
                        with translated(self.settings, "authenticate"):
                            self._auth = conn.get_auth()
                    auth = self._auth
            conn.url, conn.token = auth
            self._local.conn = conn
        return conn

    @property
    def storage_url(self) -> str:
        """The account's URL (``https://host/v1/AUTH_account``), authenticating if needed."""
        url: str = self.get().url
        return url

    def info(self) -> dict[str, Any]:
        """The cluster's capabilities (``GET /info``), asked once; ``{}`` if the cluster does
        not publish them."""
        if self._info is None:
            conn = self.get()
            with translated(self.settings, "read the cluster's capabilities"):
                try:
                    self._info = dict(conn.get_capabilities())
                except ClientException as exc:
                    if exc.http_status not in (401, 403, 404):
                        raise
                    self._info = {}  # not published (or not to this user): assume nothing
        return self._info

    def forget(self) -> None:
        """Drop this thread's connection (after a failure that may have left it unusable)."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()
