"""MongoDB for tests: a real server when ``FS_TEST_MONGO_URL`` is set, else mongomock.

No MongoDB server can be installed on the project's machines, so the GridFS tests run on
``mongomock`` in process, and run unchanged against a real server when ``FS_TEST_MONGO_URL``
points at one: the client class is the only difference (:attr:`MongoTarget.client_class`,
passed to fs-gridfs as ``CLIENT_CLASS``). Each test gets a database of its own.

:func:`mongomock_client_class` makes mongomock 4.3 usable with pymongo >= 4.2 and closer to a
server, in three ways (all for the test process only):

* ``GridFSBucket`` reads ``client.options.timeout`` (client-side operation timeouts), which
  mongomock answers with a Collection: the class has an ``options`` of its own;
* ``gridfs`` checks its arguments with ``isinstance(..., Database)``:
  ``mongomock.gridfs.enable_gridfs_integration()`` patches those checks;
* clients made with the same URL share one in-memory server (mongomock gives each client its
  own), as clients of one server do, and writes (and reads of one document) are serialised as
  a server serialises operations on one document: mongomock's insert checks that an ``_id``
  is free, then stores, without a lock in between, so two threads could both "insert" one
  ``_id``. With the lock a test of concurrent creators checks fs-gridfs's protocol; that
  MongoDB enforces ``_id`` uniqueness atomically is MongoDB's guarantee, which only a real
  server shows.
"""

from __future__ import annotations

import functools
import os
import threading
import types
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["MONGO_URL_VARIABLE", "MongoTarget", "mongo_target", "mongomock_client_class"]

#: The environment variable that points the tests at a real server.
MONGO_URL_VARIABLE = "FS_TEST_MONGO_URL"
MOCK_URL = "mongodb://mongomock.test:27017"
_WRITES = (
    "insert_one",
    "insert_many",
    "replace_one",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
    "find_one_and_delete",
    "find_one_and_replace",
    "find_one_and_update",
    "bulk_write",
    # A read of one document sees it whole, as on a server: mongomock's find_one_and_replace
    # empties the stored document, then fills it, so a reader in between saw a document
    # without its fields (KeyError in a reader thread of fs-gridfs's overwrite test).
    "find_one",
)
_write_lock = threading.RLock()
_setup_lock = threading.Lock()
_client_class: type | None = None


def _serialise_writes(collection_class: type) -> None:
    for name in _WRITES:
        method = getattr(collection_class, name)
        if getattr(method, "_fs_serialised", False):
            continue

        @functools.wraps(method)
        def locked(*args: Any, __method: Any = method, **kwargs: Any) -> Any:
            with _write_lock:
                return __method(*args, **kwargs)

        locked._fs_serialised = True  # type: ignore[attr-defined]
        setattr(collection_class, name, locked)


def mongomock_client_class() -> type:
    """``mongomock.MongoClient``, adapted as the module says (made once per process)."""
    global _client_class
    with _setup_lock:
        if _client_class is None:
            import mongomock
            import mongomock.gridfs
            from mongomock.store import ServerStore

            mongomock.gridfs.enable_gridfs_integration()
            _serialise_writes(mongomock.collection.Collection)
            stores: dict[str, Any] = {}
            stores_lock = threading.Lock()

            class MongomockClient(mongomock.MongoClient):  # type: ignore[type-arg]
                """A mongomock client of the in-memory server its URL names."""

                options = property(lambda self: types.SimpleNamespace(timeout=None))

                def __init__(self, host: Any = None, *args: Any, **kwargs: Any) -> None:
                    kwargs.pop("_store", None)
                    if isinstance(host, (list, tuple)) and len(host) == 1:
                        host = host[0]  # mongoengine's connect() passes its URL in a list
                    with stores_lock:
                        store = stores.setdefault(str(host or MOCK_URL), ServerStore())
                    super().__init__(host, *args, _store=store, **kwargs)

            _client_class = MongomockClient
        return _client_class


@dataclass(frozen=True)
class MongoTarget:
    """Where the tests store: a real server's URL, or mongomock."""

    url: str
    #: ``None`` for a real server (pymongo's ``MongoClient``); mongomock's adapted class else.
    client_class: type | None

    @property
    def real(self) -> bool:
        return self.client_class is None

    @property
    def name(self) -> str:
        return "mongodb" if self.real else "mongomock"

    def client(self, **options: Any) -> Any:
        """A client of the target (close it after use)."""
        options.setdefault("serverSelectionTimeoutMS", 5000)
        options.setdefault("tz_aware", True)
        if self.client_class is None:
            from pymongo import MongoClient

            return MongoClient(self.url, **options)
        return self.client_class(self.url, **options)

    def fs_config(self, database: str, **extra: Any) -> dict[str, Any]:
        """fs-gridfs configuration for a storage in ``database`` of the target."""
        config: dict[str, Any] = {"mongo_url": self.url, "mongo_db": database, "server_selection_timeout": 5}
        if self.client_class is not None:
            config["client_class"] = self.client_class
        config.update(extra)
        return config

    @staticmethod
    def database_name() -> str:
        """A fresh database name for one test."""
        return f"fs_test_{uuid.uuid4().hex[:12]}"


def mongo_target() -> MongoTarget:
    """``FS_TEST_MONGO_URL``'s server if set, else mongomock."""
    url = os.environ.get(MONGO_URL_VARIABLE, "").strip()
    if url:
        return MongoTarget(url, None)
    return MongoTarget(MOCK_URL, mongomock_client_class())
