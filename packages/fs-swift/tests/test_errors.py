"""Failures reach the caller as the core's errors, with one clear message at first use."""

from __future__ import annotations

import io
import time

import pytest
import requests  # pants: no-infer-dep (python-swiftclient brings it)
from flask import Flask
from swiftclient.exceptions import ClientException

import fs_core
from fs_core.config import Config
from fs_core.errors import BackendError, ConfigurationError, FileNotFound
from fs_swift.backend import SwiftBackend
from fs_testservers import free_ports

OPERATIONS = {
    "exists": lambda b: b.exists("a.txt"),
    "read": lambda b: b.read("a.txt"),
    "save": lambda b: b.save(io.BytesIO(b"x"), "a.txt"),
    "delete": lambda b: b.delete("a.txt"),
    "list_files": lambda b: list(b.list_files()),
    "metadata": lambda b: b.metadata("a.txt"),
    "copy": lambda b: b.copy("a.txt", "b.txt"),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_bad_credentials_give_one_clear_error(make_backend, operation):
    backend = make_backend(key="not-the-key")
    with pytest.raises(BackendError) as info:
        OPERATIONS[operation](backend)
    message = str(info.value)
    assert message.startswith(f"Storage {backend.name!r}: Swift at {backend.settings.authurl} refused")
    assert "USER and KEY" in message
    assert "\n" not in message
    assert isinstance(info.value.original, ClientException)
    assert info.value.original.http_status == 401


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_unreachable_auth_url_fails_fast_and_clearly(operation):
    (port,) = free_ports(1)  # nothing listens there
    url = f"http://127.0.0.1:{port}/auth/v1.0"
    backend = SwiftBackend("files", Config(authurl=url, user="a:b", key="c"))
    started = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach Swift") as info:
        OPERATIONS[operation](backend)
    assert url in str(info.value)
    assert info.value.advice.startswith("Check AUTHURL (FS_SWIFT_AUTHURL or FILES_FS_AUTHURL)")
    assert str(info.value).endswith(f". {info.value.advice}")
    assert isinstance(info.value.original, requests.ConnectionError)
    assert time.monotonic() - started < 10


def test_missing_credentials_are_named_at_first_use():
    backend = SwiftBackend("files", Config(authurl="http://127.0.0.1:1/auth/v1.0"))
    with pytest.raises(ConfigurationError, match="FS_SWIFT_USER or FILES_FS_USER, FS_SWIFT_KEY"):
        backend.exists("x")


def test_missing_files_are_file_not_found(make_backend):
    backend = make_backend()
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
        assert info.value.__cause__ is None


def test_app_starts_while_the_service_is_down():
    """Configuring a storage contacts nothing; the error comes at first use."""
    (port,) = free_ports(1)
    app = Flask("down")
    app.config.update(
        FS_BACKEND="swift",
        FS_SWIFT_AUTHURL=f"http://127.0.0.1:{port}/auth/v1.0",
        FS_SWIFT_USER="a:b",
        FS_SWIFT_KEY="c",
    )
    files = fs_core.Storage("files", fs_core.ALL)
    fs_core.init_app(app, files)
    with app.app_context(), pytest.raises(fs_core.FSError, match="cannot reach Swift"):
        files.write("a.txt", b"x")
