"""Fixtures for fs-gridfs's tests: backends on mongomock, or on the real server that
``FS_TEST_MONGO_URL`` names (the same tests, only the client class differs).

Every backend made with ``make_backend`` stores in a database of its own, dropped when the
test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fs_core.config import Config
from fs_core.testing import fs_make_app  # noqa: F401  (fixture)
from fs_gridfs.backend import GridFSBackend
from fs_testservers import MongoTarget, free_ports, unique_name
from fs_testservers.fixtures import mongo  # noqa: F401  (fixture)


def _target(request: pytest.FixtureRequest) -> MongoTarget:
    return request.getfixturevalue("mongo")


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database name on the target, dropped after the test."""
    target = _target(request)
    name = target.database_name()
    yield name
    client = target.client()
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture
def make_backend(request: pytest.FixtureRequest, database: str) -> Callable[..., GridFSBackend]:
    """``make_backend(name=None, **config)``: a :class:`GridFSBackend` in the test's
    database (a fresh storage name, so a fresh bucket, unless ``name`` is given)."""
    target = _target(request)

    def make(name: str | None = None, **config: Any) -> GridFSBackend:
        return GridFSBackend(name or unique_name("files"), Config(target.fs_config(database, **config)))

    return make


@pytest.fixture
def db(request: pytest.FixtureRequest, database: str) -> Iterator[Any]:
    """The test's database, through a client of the target (to look behind the backend)."""
    client = _target(request).client()
    yield client[database]
    client.close()


@pytest.fixture
def closed_port_url() -> str:
    """A MongoDB URL on a loopback port where nothing listens."""
    (port,) = free_ports(1)
    return f"mongodb://127.0.0.1:{port}"


@pytest.fixture
def unreachable_backend(closed_port_url: str) -> GridFSBackend:
    """A backend whose server is down (pymongo's own client, a short selection timeout)."""
    config = Config(mongo_url=closed_port_url, mongo_db="fs", server_selection_timeout=0.3)
    return GridFSBackend("files", config)


class Spy:
    """Stands for a ``chunks`` collection and records the chunk numbers its queries return."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.queries: list[list[int]] = []

    def find(self, *args: Any, **kwargs: Any) -> Any:
        spy, cursor = self, self.inner.find(*args, **kwargs)

        class Recorded:
            def sort(self, *a: Any, **k: Any) -> Any:
                nonlocal cursor
                cursor = cursor.sort(*a, **k)
                return self

            def __iter__(self) -> Any:
                docs = list(cursor)
                spy.queries.append([doc["n"] for doc in docs])
                return iter(docs)

        return Recorded()

    @property
    def fetched(self) -> list[int]:
        """Every chunk number received, in order."""
        return [n for query in self.queries for n in query]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def spy_on_chunks() -> Callable[[GridFSBackend], Spy]:
    """``spy_on_chunks(backend)``: record the chunks the backend reads from now on."""

    def install(backend: GridFSBackend) -> Spy:
        bucket = backend._ready()
        spy = bucket.chunks = Spy(bucket.chunks)
        return spy

    return install


@pytest.fixture
def counts(db: Any) -> Callable[[GridFSBackend], tuple[int, int, int]]:
    """``counts(backend)``: (file documents, chunk documents, names) of its bucket."""

    def count(backend: GridFSBackend) -> tuple[int, int, int]:
        bucket = backend.settings.bucket
        return (
            db[f"{bucket}.files"].count_documents({}),
            db[f"{bucket}.chunks"].count_documents({}),
            db[f"{bucket}.names"].count_documents({"_id": {"$type": "string"}}),
        )

    return count
