"""A bucket Flask-FS (or any GridFS client) wrote: its files show, as Flask-FS showed them."""

from __future__ import annotations

import hashlib
import io
import time

import gridfs
import pytest

from fs_gridfs.names import ADOPTED


@pytest.fixture
def flask_fs(db):
    """Flask-FS's ``gridfs`` backend wrote with ``GridFS(db, storage_name).put(...)``."""
    return gridfs.GridFS(db, collection="files")


def put(fs, data: bytes, name: str, **kwargs) -> object:
    file_id = fs.put(data, filename=name, **kwargs)
    time.sleep(0.002)  # Flask-FS told versions apart by uploadDate (milliseconds)
    return file_id


def test_files_written_before_are_adopted_on_first_use(make_backend, flask_fs, db):
    put(flask_fs, b"version 1", "report.txt", content_type="text/plain")
    put(flask_fs, b"version 2", "report.txt", content_type="text/plain")
    put(flask_fs, b"\x89PNG", "img/logo", content_type="image/png")
    flask_fs.put(b"unreachable", filename="../escape.txt")
    backend = make_backend("files")
    assert set(backend.list_files()) == {"report.txt", "img/logo"}
    assert backend.read("report.txt") == b"version 2"  # the newest, as Flask-FS read it
    assert backend.metadata("img/logo")["mime"] == "image/png"  # Flask-FS's top-level contentType
    assert db["files.names"].find_one({"_id": ADOPTED}) is not None
    assert db["files.files"].count_documents({"filename": "../escape.txt"}) == 1  # left alone


def test_checksums_of_adopted_files(make_backend, flask_fs, db):
    put(flask_fs, b"from pymongo 3", "old.txt")
    db["files.files"].update_one({"filename": "old.txt"}, {"$set": {"md5": "0123abcd" * 4}})
    put(flask_fs, b"from pymongo 4", "new.txt")
    backend = make_backend("files")
    assert backend.metadata("old.txt")["checksum"] == "md5:" + "0123abcd" * 4
    expected = "sha256:" + hashlib.sha256(b"from pymongo 4").hexdigest()
    assert backend.metadata("new.txt")["checksum"] == expected  # computed once, then kept
    assert db["files.names"].find_one({"_id": "new.txt"})["checksum"] == expected


def test_replacing_or_deleting_an_adopted_file_removes_its_older_versions(make_backend, flask_fs, db):
    for i in range(3):
        put(flask_fs, f"a{i}".encode(), "a.txt")
        put(flask_fs, f"b{i}".encode(), "b.txt")
    backend = make_backend("files")
    backend.save(io.BytesIO(b"a new"), "a.txt", overwrite=True)
    backend.delete("b.txt")
    assert [doc["filename"] for doc in db["files.files"].find()] == ["a.txt"]
    assert backend.read("a.txt") == b"a new"
    assert list(backend.leftovers(0)) == []


def test_adoption_happens_once_and_can_be_asked_again(make_backend, flask_fs):
    put(flask_fs, b"before", "before.txt")
    backend = make_backend("files")
    assert set(backend.list_files()) == {"before.txt"}
    put(flask_fs, b"after", "after.txt")  # a Flask-FS process still running
    assert set(make_backend("files").list_files()) == {"before.txt"}
    assert backend.adopt() == 1
    assert backend.read("after.txt") == b"after"


def test_adoption_never_takes_a_name_back_from_fs(make_backend, flask_fs):
    backend = make_backend("files")
    backend.write("x.txt", b"saved by fs")
    put(flask_fs, b"written by another client", "x.txt")
    backend.write("gone.txt", b"deleted by fs")
    backend.delete("gone.txt")
    assert backend.adopt() == 0
    assert backend.read("x.txt") == b"saved by fs"
    assert not backend.exists("gone.txt")


def test_files_of_other_gridfs_clients_are_never_leftovers(make_backend, flask_fs):
    backend = make_backend("files")
    put(flask_fs, b"another client's", "theirs.txt")
    assert list(backend.leftovers(0)) == []
