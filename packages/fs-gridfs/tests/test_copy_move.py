"""Copies make a new version (copied by the server where it can); moves point the target at
the source's version and copy nothing."""

from __future__ import annotations

import io

import pytest

from fs_core.backend import SERVER_SIDE_COPY
from fs_core.errors import FileExists, FileNotFound
from fs_core.testing import PatternStream
from fs_gridfs import names, versions


@pytest.fixture
def backend(make_backend):
    return make_backend(chunk_size=1024, read_ahead=4096)


def test_copy_keeps_content_type_and_checksum_in_a_version_of_its_own(backend, db):
    data = PatternStream(5000).read()
    backend.save(io.BytesIO(data), "src.bin", content_type="application/pdf")
    backend.copy("src.bin", "dir/dst.bin")
    src, dst = backend.metadata("src.bin"), backend.metadata("dir/dst.bin")
    assert backend.read("dir/dst.bin") == data
    assert (dst["mime"], dst["checksum"], dst["size"]) == ("application/pdf", src["checksum"], 5000)
    files = db[f"{backend.settings.bucket}.files"]
    assert {doc["filename"] for doc in files.find()} == {"src.bin", "dir/dst.bin"}
    backend.delete("src.bin")  # the copy does not share chunks with its source
    assert backend.read("dir/dst.bin") == data


def test_copy_is_done_by_the_server_where_it_can(backend, spy_on_chunks):
    """With SERVER_SIDE_COPY (MongoDB >= 4.4) no chunk reaches the app; without it (mongomock,
    older servers) the chunks stream through it."""
    data = PatternStream(5000).read()
    backend.save(io.BytesIO(data), "src.bin")
    spy = spy_on_chunks(backend)
    backend.copy("src.bin", "dst.bin")
    if SERVER_SIDE_COPY in backend.capabilities:
        assert spy.fetched == []
    else:
        assert sorted(spy.fetched) == [0, 1, 2, 3, 4]
    assert backend.read("dst.bin") == data


def test_server_side_copy_is_asked_once(backend, monkeypatch):
    asked = []
    real = versions.server_copies
    monkeypatch.setattr(versions, "server_copies", lambda bucket: asked.append(1) or real(bucket))
    backend.write("a.txt", b"a")
    for target in ("b.txt", "c.txt"):
        backend.copy("a.txt", target)
    assert SERVER_SIDE_COPY not in backend.capabilities or asked == [1]
    assert len(asked) == 1


def test_copy_over_an_existing_file(backend, counts):
    backend.write("a.txt", b"new")
    backend.write("b.txt", b"old" * 1000)
    with pytest.raises(FileExists):
        backend.copy("a.txt", "b.txt")
    assert backend.read("b.txt") == b"old" * 1000
    backend.copy("a.txt", "b.txt", overwrite=True)
    assert backend.read("b.txt") == b"new"
    assert counts(backend) == (2, 2, 2)  # b's old version removed


def test_move_repoints_the_name_without_copying(backend, db, spy_on_chunks):
    data = PatternStream(5000).read()
    backend.save(io.BytesIO(data), "old/name.bin")
    bucket = backend.settings.bucket
    chunk_ids = {doc["_id"] for doc in db[f"{bucket}.chunks"].find({}, {"_id": 1})}
    spy = spy_on_chunks(backend)
    backend.move("old/name.bin", "new/name.bin")
    assert spy.fetched == []
    assert not backend.exists("old/name.bin")
    assert backend.read("new/name.bin") == data
    after = {doc["_id"] for doc in db[f"{bucket}.chunks"].find({}, {"_id": 1})}
    assert after == chunk_ids  # the same chunks
    (doc,) = db[f"{bucket}.files"].find()
    assert doc["filename"] == "new/name.bin"  # GridFS readers find it by its new name


def test_move_refuses_a_taken_target_and_keeps_the_source(backend, counts):
    backend.write("src.txt", b"src")
    backend.write("taken.txt", b"taken")
    with pytest.raises(FileExists):
        backend.move("src.txt", "taken.txt")
    assert (backend.read("src.txt"), backend.read("taken.txt")) == (b"src", b"taken")
    backend.move("src.txt", "taken.txt", overwrite=True)
    assert set(backend.list_files()) == {"taken.txt"}
    assert backend.read("taken.txt") == b"src"
    assert counts(backend) == (1, 1, 1)


def test_a_move_that_loses_its_target_puts_the_source_back(backend, make_backend, monkeypatch):
    """The target is created by someone else between the check and the move: FileExists,
    and the source is still there."""
    other = make_backend(backend.name)
    backend.write("src.txt", b"src")
    real = backend._check_free

    def free_then_taken(bucket, target):
        real(bucket, target)
        other.write(target, b"theirs")

    monkeypatch.setattr(backend, "_check_free", free_then_taken)
    with pytest.raises(FileExists):
        backend.move("src.txt", "dst.txt")
    assert (backend.read("src.txt"), backend.read("dst.txt")) == (b"src", b"theirs")


def test_move_and_copy_of_missing_files(backend):
    for call in (backend.move, backend.copy):
        with pytest.raises(FileNotFound):
            call("missing.txt", "x.txt")
    backend.write("same.txt", b"x")
    assert backend.move("same.txt", "same.txt") == "same.txt"
    assert backend.copy("same.txt", "same.txt") == "same.txt"
    assert backend.read("same.txt") == b"x"


@pytest.mark.parametrize("meanwhile", ["overwrite", "delete"])
def test_a_move_whose_source_changes_under_it(backend, make_backend, counts, monkeypatch, meanwhile):
    """Another process replaces or deletes the source between the move's two writes: the
    target never keeps a version that operation took away, and nothing is left behind."""
    other = make_backend(backend.name)
    backend.write("src.txt", b"first")
    real = names.unlink
    interfered: list[str] = []

    def unlink(bucket, name, version_id=None):
        if name == "src.txt" and not interfered:
            interfered.append(name)
            if meanwhile == "overwrite":
                other.write("src.txt", b"second", overwrite=True)
            else:
                other.delete("src.txt")
        return real(bucket, name, version_id)

    monkeypatch.setattr(names, "unlink", unlink)
    if meanwhile == "overwrite":
        backend.move("src.txt", "dst.txt")  # tried again: moves what the source shows now
        assert set(backend.list_files()) == {"dst.txt"}
        assert backend.read("dst.txt") == b"second"
        assert counts(backend) == (1, 1, 1)
    else:
        with pytest.raises(FileNotFound):
            backend.move("src.txt", "dst.txt")
        assert set(backend.list_files()) == set()
        assert counts(backend) == (0, 0, 0)
    assert list(backend.leftovers(0)) == []


def test_deleting_one_of_two_names_of_a_version_keeps_it_for_the_other(backend, counts, monkeypatch):
    """A move killed between its two writes leaves one version under both names: deleting or
    replacing either name leaves the other whole."""
    backend.write("a.bin", b"content")

    class Killed(BaseException):
        """The process died between linking the target and unlinking the source."""

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(names, "unlink", die)
    with pytest.raises(Killed):
        backend.move("a.bin", "b.bin")
    monkeypatch.undo()
    assert (backend.read("a.bin"), backend.read("b.bin")) == (b"content", b"content")
    assert counts(backend) == (1, 1, 2)
    backend.delete("a.bin")
    assert backend.read("b.bin") == b"content"
    backend.write("b.bin", b"new", overwrite=True)
    assert backend.read("b.bin") == b"new"
    assert counts(backend) == (1, 1, 1)
    assert list(backend.leftovers(0)) == []
