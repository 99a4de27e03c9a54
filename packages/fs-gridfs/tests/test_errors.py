"""The driver's failures reach the caller as the core's errors, with one clear message."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

from fs_core.config import Config
from fs_core.errors import BackendError, FileNotFound
from fs_gridfs.backend import GridFSBackend
from fs_gridfs.errors import translate
from fs_gridfs.settings import GridFSSettings
from fs_testservers import silent_port

SETTINGS = GridFSSettings.from_config(
    "avatars", Config(mongo_url="mongodb://app:s3cret@db.example:27017", mongo_db="app")
)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server on loopback that accepts connections and never answers."""
    with silent_port() as port:
        yield f"mongodb://127.0.0.1:{port}"


def one_clear_line(error: BackendError) -> str:
    message = str(error)
    assert "\n" not in message
    assert "s3cret" not in message
    assert error.__cause__ is error.original
    return message


def test_an_unreachable_server_is_one_clear_error(unreachable_backend):
    with pytest.raises(BackendError) as info:
        unreachable_backend.write("a.txt", b"x")
    message = one_clear_line(info.value)
    assert message.startswith("Storage 'files': cannot reach MongoDB at mongodb://127.0.0.1:")
    assert "Check MONGO_URL (FS_GRIDFS_MONGO_URL or FILES_FS_MONGO_URL)" in message
    assert info.value.advice.startswith("Check MONGO_URL")  # for flask fs: no advice of its own
    assert "SERVER_SELECTION_TIMEOUT (0.3 s)" in message
    assert "Topology Description" not in message  # pymongo's dump stays in .original
    assert isinstance(info.value.original, ServerSelectionTimeoutError)


def test_a_server_that_never_answers_is_the_same_error(silent_server):
    backend = GridFSBackend(
        "files", Config(mongo_url=silent_server, mongo_db="x", server_selection_timeout=0.3)
    )
    with pytest.raises(BackendError, match="cannot reach MongoDB"):
        backend.read("a.txt")


def test_refused_credentials():
    error = translate(OperationFailure("Authentication failed.", code=18), SETTINGS, "read 'a.txt'")
    message = one_clear_line(error)
    assert message == (
        "Storage 'avatars': MongoDB at mongodb://app:***@db.example:27017 refused the credentials "
        "(Authentication failed.). Check the user and password in MONGO_URL (FS_GRIDFS_MONGO_URL or "
        "AVATARS_FS_MONGO_URL) or CLIENT_OPTIONS, and the authentication database (authSource)"
    )


def test_missing_rights():
    error = translate(OperationFailure("not authorized on app", code=13), SETTINGS, "save 'a.txt'")
    assert "may not save 'a.txt' in database 'app'" in one_clear_line(error)
    assert "readWrite" in str(error)


def test_other_failures_say_what_failed():
    error = translate(AutoReconnect("connection closed"), SETTINGS, "list 'x'")
    assert str(error) == (
        "Storage 'avatars': cannot reach MongoDB at mongodb://app:***@db.example:27017 to list 'x' "
        "(connection closed). Check MONGO_URL (FS_GRIDFS_MONGO_URL or AVATARS_FS_MONGO_URL) and that "
        "the server is up; operations wait at most SERVER_SELECTION_TIMEOUT (10 s) for it"
    )
    error = translate(OperationFailure("disk full", code=14031), SETTINGS, "save 'a.txt'")
    assert str(error) == "Storage 'avatars': MongoDB failed to save 'a.txt': disk full"


def test_a_failure_while_reading_is_a_backend_error(make_backend, monkeypatch):
    backend = make_backend(chunk_size=1024)
    backend.write("f.bin", b"x" * 5000)
    stream = backend.open("f.bin", "rb")
    chunks = backend._ready().chunks

    def down(*args, **kwargs):
        raise AutoReconnect("connection reset")

    monkeypatch.setattr(stream.raw, "_chunks", type("Down", (), {"find": down})())
    with pytest.raises(BackendError, match=r"cannot reach MongoDB .* to read 'f\.bin'"):
        stream.read()
    assert chunks is backend._ready().chunks


def test_missing_files_are_not_service_errors(make_backend):
    backend = make_backend()
    for call in (
        lambda: backend.read("nope"),
        lambda: backend.metadata("nope"),
        lambda: backend.open("nope"),
    ):
        with pytest.raises(FileNotFound):
            call()
    backend.delete("nope")  # not an error
    assert not backend.exists("nope")


def test_the_backend_recovers_once_the_server_is_back(make_backend, monkeypatch):
    """A first use that fails (server down) is tried again by the next operation."""
    backend = make_backend()
    real = backend._ensure_indexes
    calls = []

    def flaky(bucket):
        calls.append(1)
        if len(calls) == 1:
            raise AutoReconnect("not yet")
        real(bucket)

    monkeypatch.setattr(backend, "_ensure_indexes", flaky)
    with pytest.raises(BackendError):
        backend.save(io.BytesIO(b"x"), "a.txt")
    backend.save(io.BytesIO(b"x"), "a.txt")
    assert backend.read("a.txt") == b"x"
    assert len(calls) == 2
