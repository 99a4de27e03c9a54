"""fs-local paths the rest of the suite never ran: reserved temporary names asked for by
path, a storage whose directory does not exist yet, leftovers that are not fs-local's, a
folder of temporary files made by hand, and saves from a pipe (no in-kernel copy)."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest

from fs_core import Config, FileNotFound, InvalidFilename, Leftover
from fs_local.backend import LocalBackend
from fs_local.leftovers import TEMP_PREFIX, TempFile


@pytest.fixture
def backend(tmp_path):
    return LocalBackend("files", Config(root=str(tmp_path / "files")))


def test_a_temporary_name_has_no_path(backend):
    with pytest.raises(InvalidFilename, match="are reserved"):
        backend.path(f"docs/{TEMP_PREFIX}1234")
    assert backend.path(f"docs/x{TEMP_PREFIX}").endswith(f"files/docs/x{TEMP_PREFIX}")


def test_a_storage_whose_directory_was_never_made(backend, tmp_path):
    assert not (tmp_path / "files").exists()
    with pytest.raises(FileNotFound):
        backend.move("a.txt", "b.txt")
    leftover = Leftover("temporary file x", dt.datetime.now(dt.timezone.utc), ref=TempFile(b"", b"x", 0))
    backend.remove_leftover(leftover)  # nothing to remove, and no error
    assert not (tmp_path / "files").exists()  # nor a directory made for it


def test_a_leftover_of_another_backend_is_refused(backend):
    foreign = Leftover("an upload of another backend", dt.datetime.now(dt.timezone.utc), ref="upload-id")
    with pytest.raises(InvalidFilename, match="not a leftover of fs-local"):
        backend.remove_leftover(foreign)


def test_a_folder_named_as_a_temporary_file_is_not_listed(backend, tmp_path):
    backend.write("kept.txt", b"x")
    hidden = tmp_path / "files" / f"{TEMP_PREFIX}made-by-hand"
    hidden.mkdir()
    (hidden / "inside.txt").write_bytes(b"y")
    assert sorted(backend.list_files()) == ["kept.txt"]


def test_a_save_from_a_pipe(backend):
    read_end, write_end = os.pipe()

    def feed():
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(b"from a pipe" * 1000)

    feeder = threading.Thread(target=feed)
    feeder.start()
    with os.fdopen(read_end, "rb") as pipe:
        backend.save(pipe, "piped.bin")
    feeder.join()
    assert backend.read("piped.bin") == b"from a pipe" * 1000
