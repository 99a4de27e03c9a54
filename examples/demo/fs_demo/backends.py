"""The backends the demo runs on, and the local servers they need.

The demo's code is the same on each: a backend is configuration (``FS_BACKEND`` and its
``FS_{BACKEND}_*`` keys) plus, for a remote one, a real server on loopback that the project's
own test tooling (``tools/fs-testservers``) starts and stops. Adding a backend is one line of
:data:`BACKENDS`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from fs_testservers import MotoServer, SwiftServer, mongo_target

__all__ = ["BACKENDS", "Backend"]

#: The bucket (container, database) the demo's storages share on a remote backend.
PLACE = "fs-demo"
#: Said of a server the demo starts: it keeps files until it stops (moto and mongomock in memory).
GONE = " (gone when the demo stops)"
#: The key of Swift's TempURLs (the private area's links), stored on the container.
URL_KEY = secrets.token_hex(16)


@dataclass(frozen=True)
class Backend:
    """A backend: its name, the service it runs on, and the keys that reach it.

    ``service()`` is a context manager giving the running server (``None`` for local disk);
    ``keys(server, place)`` the backend's configuration keys, lowercased as fs_testservers
    writes them (``endpoint``, ``bucket``…), for the bucket, container or database ``place``;
    ``where(server, place)`` says where the files are, for the page and the terminal.
    """

    name: str
    service: Callable[[], AbstractContextManager[Any]] = nullcontext
    keys: Callable[[Any, str], dict[str, Any]] = field(default=lambda server, place: {})
    where: Callable[[Any, str], str] = field(default=lambda server, place: "")

    def config(self, server: Any, place: str = PLACE) -> dict[str, Any]:
        """The app configuration that puts the demo's storages on this backend."""
        prefix = f"FS_{self.name.upper()}_"
        keys = {prefix + key.upper(): value for key, value in self.keys(server, place).items()}
        return {"FS_BACKEND": self.name, "DEMO_BACKEND_NOTE": self.where(server, place), **keys}

    @contextmanager
    def running(self, place: str = PLACE) -> Iterator[dict[str, Any]]:
        """The app configuration for this backend, its server running meanwhile."""
        with self.service() as server:
            yield self.config(server, place)


BACKENDS: dict[str, Backend] = {
    "local": Backend("local"),
    "s3": Backend(
        "s3",
        MotoServer,
        lambda moto, place: moto.fs_config(bucket=place),
        lambda moto, place: f"moto at {moto.endpoint}, bucket {place}{GONE}",
    ),
    "swift": Backend(
        "swift",
        SwiftServer,
        lambda swift, place: swift.swift_config(container=place, temp_url_key=URL_KEY, set_temp_url_key=True),
        lambda swift, place: f"OpenStack Swift at {swift.endpoint}, container {place}{GONE}",
    ),
    "gridfs": Backend(  # MongoDB at $FS_TEST_MONGO_URL, else mongomock in the demo's process
        "gridfs",
        lambda: nullcontext(mongo_target()),
        lambda mongo, db: mongo.fs_config(db),
        lambda mongo, db: f"{mongo.name} at {mongo.url}, database {db}{'' if mongo.real else GONE}",
    ),
}
