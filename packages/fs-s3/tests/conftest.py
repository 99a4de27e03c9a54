"""Fixtures for fs-s3's tests: real S3 servers on loopback, and backends on them.

``moto_server`` and ``swift_server`` come from the workspace's test tooling (session-scoped:
one server of each for the whole run). Every backend made with ``make_backend`` is cleaned
up after its test: its keys deleted, and its bucket too if the test created it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fs_core.config import Config
from fs_s3.backend import S3Backend
from fs_testservers import S3Server, empty_bucket, unique_name
from fs_testservers.fixtures import moto_server, swift_server  # noqa: F401  (fixtures)


@pytest.fixture(params=["moto", "swift"])
def s3_server(request: pytest.FixtureRequest) -> S3Server:
    """Each S3 implementation in turn (the test runs once per service)."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def make_backend() -> Iterator[Callable[..., S3Backend]]:
    """``make_backend(server, name=None, **config)``: an :class:`S3Backend` on ``server``.

    Without ``name`` the storage gets a fresh one (so a fresh bucket, or a fresh prefix with
    ``bucket=``). Keys and buckets it used are removed when the test ends.
    """
    made: list[tuple[S3Server, S3Backend]] = []

    def make(server: S3Server, name: str | None = None, **config: Any) -> S3Backend:
        backend = S3Backend(name or unique_name(), Config(server.fs_config(**config)))
        made.append((server, backend))
        return backend

    yield make
    for server, backend in made:
        if backend._client is not None:
            # With the server's own credentials: the test may have given the backend wrong ones.
            client = S3Backend(backend.name, Config(server.fs_config(create_bucket=False))).client
            shared = bool(backend.key_prefix)
            empty_bucket(client, backend.bucket, backend.key_prefix, delete_bucket=not shared)
