"""Fixtures for fs-swift's tests: the real OpenStack Swift on loopback, and backends on it.

``swift_server`` comes from the workspace's test tooling (session-scoped: one Swift for the
whole run, tempauth v1 as ``test:tester``); ``keystone_swift`` adds Keystone v3 and a proxy
behind it, on the same Swift, for the tests that use it. Every backend made with
``make_backend`` is cleaned up after its test: its objects and segments deleted (with the
server's own credentials: the test may have given the backend wrong ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fs_core.config import Config
from fs_swift.backend import SwiftBackend
from fs_testservers import SwiftServer, unique_name
from fs_testservers.fixtures import keystone_swift, swift_server  # noqa: F401  (fixtures)


@pytest.fixture
def make_backend(swift_server: SwiftServer) -> Iterator[Callable[..., SwiftBackend]]:  # noqa: F811
    """``make_backend(name=None, **config)``: a :class:`SwiftBackend` on the session's Swift.

    Without ``name`` the storage gets a fresh one (so a fresh container, or a fresh prefix
    with ``container=``). What it stored is removed when the test ends.
    """
    made: list[SwiftBackend] = []

    def make(name: str | None = None, **config: Any) -> SwiftBackend:
        backend = SwiftBackend(name or unique_name(), Config(swift_server.swift_config(**config)))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        if backend._container_ready:
            cleaner = SwiftBackend(
                backend.name,
                Config(
                    swift_server.swift_config(
                        container=backend.container,
                        key_prefix=backend.key_prefix,
                        segment_container=backend.segment_container,
                        create_container=False,
                    )
                ),
            )
            _empty(cleaner)


def _empty(backend: SwiftBackend) -> None:
    """Delete every object of the backend's prefix, and every segment under it."""
    from fs_swift.listing import delete_objects, list_objects

    conn = backend.connections.get()
    for container in (backend.container, backend.segment_container):
        try:
            names = [i["name"] for i in list_objects(conn, container, backend.key_prefix)]
        except Exception:
            continue
        delete_objects(conn, ((container, n) for n in names), 1000, backend.name)
