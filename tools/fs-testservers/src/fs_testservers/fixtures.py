"""Session-scoped pytest fixtures for the servers in :mod:`fs_testservers.servers`.

A conftest imports the ones it needs (non-root conftests cannot use ``pytest_plugins``)::

    from fs_testservers.fixtures import moto_server, swift_server  # noqa: F401

A service that is not installed makes its tests skip with the reason, or, when ``CI=true``,
fail with the command that installs it: CI must not go green by skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from .keystone import KeystoneSwift
from .mongo import MONGO_URL_VARIABLE, MongoTarget, mongo_target
from .nginx import Nginx
from .process import ServiceUnavailable
from .servers import MotoServer, S3Server, Servers, SwiftServer

_S = TypeVar("_S", bound=Servers)

__all__ = ["keystone_swift", "mongo", "moto_server", "nginx", "require_service", "running", "swift_server"]


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``), where a missing service is a failure."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_service(reason: str) -> None:
    """Fail (in CI) or skip (elsewhere) the current test because a service is unavailable."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(reason)


def running(server: _S) -> Iterator[_S]:
    """Start ``server`` for the fixture's scope, or skip/fail if it cannot run here."""
    try:
        server.start()
    except ServiceUnavailable as exc:
        require_service(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[S3Server]:
    """A ``moto_server`` on a free loopback port for the whole session."""
    yield from running(MotoServer())


@pytest.fixture(scope="session")
def swift_server() -> Iterator[SwiftServer]:
    """OpenStack Swift (s3api) on free loopback ports for the whole session."""
    yield from running(SwiftServer())


@pytest.fixture(scope="session")
def keystone_swift(swift_server: SwiftServer) -> Iterator[KeystoneSwift]:
    """Keystone v3 and a Swift proxy that authenticates with it, on the session's Swift."""
    yield from running(KeystoneSwift(swift_server))


@pytest.fixture
def nginx() -> Iterator[Callable[[str], Nginx]]:
    """``nginx(server_block)``: nginx with that ``server {}`` content, started; stopped after."""
    started: list[Nginx] = []

    def start(server_block: str) -> Nginx:
        server = Nginx(server_block)
        try:
            server.start()
        except ServiceUnavailable as exc:
            require_service(str(exc))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def mongo() -> MongoTarget:
    """Where MongoDB tests store: the server ``FS_TEST_MONGO_URL`` names (which must answer),
    else mongomock in process (see :mod:`fs_testservers.mongo`)."""
    target = mongo_target()
    if target.real:
        from pymongo.errors import PyMongoError

        client = target.client(serverSelectionTimeoutMS=10_000)
        try:
            client.admin.command("ping")
        except PyMongoError as exc:
            require_service(f"{MONGO_URL_VARIABLE} is set but its server does not answer: {exc}")
        finally:
            client.close()
    return target
