"""Names on disk that are not valid UTF-8 (put there by other programs): never listed, since
no name given to the API can reach them, reported once per listing, removed with their folder."""

from __future__ import annotations

import logging
import os

import pytest

import fs_core as fs
from fs_core.config import Config
from fs_local import LocalBackend


@pytest.fixture
def backend(tmp_path) -> LocalBackend:
    backend = LocalBackend("files", Config(root=str(tmp_path / "root")))
    backend.write("a/ok.txt", b"ok")
    backend.write("d/ok.txt", b"ok")
    return backend


def _make(root: str, raw: bytes) -> bytes:
    """A file of that exact byte name under ``root`` (its folders made as bytes too)."""
    path = os.path.join(os.fsencode(root), raw)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
    return path


def test_listing_skips_names_that_are_not_utf8_with_one_warning(backend, caplog):
    made = [_make(backend.root, raw) for raw in (b"\xff.txt", b"a/caf\xe9.txt", b"bad\xfe/inner.txt")]
    with caplog.at_level(logging.WARNING, logger="fs_local"):
        names = set(backend.list_files())
    assert names == {"a/ok.txt", "d/ok.txt"}
    warnings = [r for r in caplog.records if r.name == "fs_local"]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "3 name(s)" in message
    assert "not valid UTF-8" in message
    assert "cannot be addressed" in message
    assert "convmv" in message  # how to rename them
    for path in made[:2]:
        assert repr(path) in message
    assert repr(os.path.dirname(made[2])) in message  # a folder: nothing under it is reachable
    for name in names:  # what is listed can be used
        assert backend.read(name) == b"ok"

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="fs_local"):
        assert set(backend.list_files("a")) == {"a/ok.txt"}
    assert [repr(made[1]) in r.getMessage() for r in caplog.records] == [True]


def test_a_listing_without_such_names_warns_nothing(backend, caplog):
    with caplog.at_level(logging.WARNING, logger="fs_local"):
        assert set(backend.list_files()) == {"a/ok.txt", "d/ok.txt"}
    assert caplog.records == []


def test_such_names_are_refused_not_a_crash(backend):
    """A surrogate-escaped name (what os.listdir makes of them) is InvalidFilename, never a
    UnicodeEncodeError, whichever operation it reaches."""
    _make(backend.root, b"\xff.txt")
    name = os.fsdecode(b"\xff.txt")
    for call in (
        lambda: backend.exists(name),
        lambda: backend.read(name),
        lambda: backend.metadata(name),
        lambda: backend.delete(name),
        lambda: backend.write(name, b"x"),
        lambda: backend.open(name, "wb"),
        lambda: backend.copy("a/ok.txt", name),
        lambda: list(backend.list_files(name)),
    ):
        with pytest.raises(fs.InvalidFilename, match="UTF-8"):
            call()
    assert os.path.exists(os.path.join(os.fsencode(backend.root), b"\xff.txt"))


def test_deleting_a_folder_removes_them(backend):
    _make(backend.root, b"d/\xff.txt")
    _make(backend.root, b"d/sub\xfe/deeper/caf\xe9.txt")
    backend.delete("d")
    assert not os.path.exists(os.path.join(backend.root, "d"))
    assert set(backend.list_files()) == {"a/ok.txt"}
