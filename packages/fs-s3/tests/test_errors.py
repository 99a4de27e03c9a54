"""Failures of the service reach the caller as the core's errors, with one clear message."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from flask import Flask

from fs_core.config import Config
from fs_core.errors import BackendError, FileNotFound, FSError
from fs_s3.backend import S3Backend
from fs_testservers import free_ports, silent_port

#: Every public operation of a backend, as ``name -> call(backend)``.
OPERATIONS: dict[str, Callable[[S3Backend], Any]] = {
    "exists": lambda b: b.exists("a.txt"),
    "read": lambda b: b.read("a.txt"),
    "open_read": lambda b: b.open_read("a.txt"),
    "save": lambda b: b.save(io.BytesIO(b"x"), "a.txt"),
    "overwrite": lambda b: b.save(io.BytesIO(b"x"), "a.txt", overwrite=True),
    "delete": lambda b: b.delete("a.txt"),
    "list_files": lambda b: list(b.list_files()),
    "metadata": lambda b: b.metadata("a.txt"),
    "copy": lambda b: b.copy("a.txt", "b.txt"),
    "move": lambda b: b.move("a.txt", "b.txt"),
}


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A server on loopback that accepts connections and never answers."""
    with silent_port() as port:
        yield f"http://127.0.0.1:{port}"


def test_bad_credentials_give_one_clear_error(swift_server, make_backend):
    backend = make_backend(swift_server, secret_key="not-the-secret")
    with pytest.raises(BackendError) as info:
        backend.write("x.txt", b"x")
    message = str(info.value)
    assert f"Storage {backend.name!r}" in message
    assert "refused the credentials" in message
    assert "ACCESS_KEY" in message
    assert "\n" not in message
    assert isinstance(info.value.original, ClientError)
    assert info.value.__cause__ is info.value.original


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_raises_core_errors_on_bad_credentials(swift_server, make_backend, operation):
    backend = make_backend(swift_server, secret_key="not-the-secret", create_bucket=False)
    with pytest.raises(BackendError, match="refused the credentials"):
        OPERATIONS[operation](backend)


def test_missing_files_are_file_not_found(s3_server, make_backend):
    backend = make_backend(s3_server)
    backend.write("present.txt", b"x")
    for call in (
        lambda: backend.read("missing.txt"),
        lambda: backend.open_read("missing.txt"),
        lambda: backend.metadata("missing.txt"),
        lambda: backend.copy("missing.txt", "b.txt"),
        lambda: backend.move("missing.txt", "b.txt"),
    ):
        with pytest.raises(FileNotFound) as info:
            call()
        assert info.value.__cause__ is None  # the 404 is not news: no chained botocore error


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_unreachable_endpoint_fails_fast_and_clearly(operation):
    (port,) = free_ports(1)  # nothing listens there
    endpoint = f"http://127.0.0.1:{port}"
    backend = S3Backend(
        "files",
        Config(endpoint=endpoint, access_key="a", secret_key="b", connect_timeout=1, max_attempts=1),
    )
    started = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach the S3 endpoint") as info:
        OPERATIONS[operation](backend)
    assert endpoint in str(info.value)
    assert str(info.value).endswith(
        ". Check ENDPOINT (FS_S3_ENDPOINT or FILES_FS_ENDPOINT) and that the service is up"
    )
    assert info.value.advice.startswith("Check ENDPOINT")
    assert isinstance(info.value.original, EndpointConnectionError)
    assert time.monotonic() - started < 20  # botocore's defaults would retry for minutes


def test_endpoint_that_never_answers_times_out(silent_endpoint):
    backend = S3Backend(
        "files",
        Config(endpoint=silent_endpoint, access_key="a", secret_key="b", read_timeout=1, max_attempts=2),
    )
    started = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach the S3 endpoint") as info:
        backend.exists("x")
    assert isinstance(info.value.original, ReadTimeoutError)
    assert time.monotonic() - started < 20


def test_app_starts_while_the_service_is_down():
    """Configuring a storage contacts nothing; the error comes at first use, through the core."""
    import fs_core

    (port,) = free_ports(1)
    app = Flask("down")
    app.config.update(
        FS_BACKEND="s3",
        FS_S3_ENDPOINT=f"http://127.0.0.1:{port}",
        FS_S3_ACCESS_KEY="a",
        FS_S3_SECRET_KEY="b",
        FS_S3_MAX_ATTEMPTS=1,
    )
    files = fs_core.Storage("files", fs_core.ALL)
    fs_core.init_app(app, files)
    with app.app_context(), pytest.raises(FSError, match="cannot reach"):
        files.write("a.txt", b"x")
