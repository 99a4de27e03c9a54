"""What a save leaves in MongoDB: standard GridFS files with type and checksum, one version
per name, nothing of a failed save, and the old version only removed once the new is live."""

from __future__ import annotations

import hashlib
import io
import threading
from typing import Any

import gridfs
import pytest
from pymongo.errors import AutoReconnect

from fs_core.errors import BackendError, FileExists
from fs_core.testing import FailingStream, PatternStream
from fs_gridfs import names


@pytest.fixture
def small_chunks(make_backend):
    """A backend with 1 KiB chunks sent 4 at a time: a few KiB make several batches."""
    return make_backend(chunk_size=1024, write_buffer=4096, read_ahead=4096)


def test_a_saved_file_is_a_standard_gridfs_file(small_chunks, db, counts):
    data = PatternStream(5000).read()
    small_chunks.save(io.BytesIO(data), "docs/report.pdf")
    bucket = small_chunks.settings.bucket
    assert counts(small_chunks) == (1, 5, 1)
    doc = db[f"{bucket}.files"].find_one()
    assert doc["filename"] == "docs/report.pdf"
    assert (doc["length"], doc["chunkSize"]) == (5000, 1024)
    assert doc["metadata"]["contentType"] == "application/pdf"
    assert doc["metadata"]["checksum"] == "sha256:" + hashlib.sha256(data).hexdigest()
    # Any GridFS client reads it by name.
    plain = gridfs.GridFSBucket(db, bucket_name=bucket)
    assert plain.open_download_stream_by_name("docs/report.pdf").read() == data


def test_metadata_comes_from_what_was_stored_with_the_file(small_chunks, db):
    data = b"%PDF-1.7 content"
    small_chunks.save(io.BytesIO(data), "blob", content_type="application/pdf")
    db[f"{small_chunks.settings.bucket}.chunks"].delete_many({})  # no data left to read
    meta = small_chunks.metadata("blob")
    assert meta["checksum"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert (meta["size"], meta["mime"]) == (len(data), "application/pdf")
    assert meta["modified"].utcoffset().total_seconds() == 0


def test_overwrite_keeps_one_version(small_chunks, db, counts):
    bucket = small_chunks.settings.bucket
    small_chunks.save(io.BytesIO(b"a" * 3000), "f.bin")
    first = db[f"{bucket}.files"].find_one()["_id"]
    small_chunks.save(io.BytesIO(b"b" * 1500), "f.bin", overwrite=True)
    assert small_chunks.read("f.bin") == b"b" * 1500
    assert counts(small_chunks) == (1, 2, 1)
    assert db[f"{bucket}.chunks"].count_documents({"files_id": first}) == 0


def test_a_failed_save_leaves_no_chunks(small_chunks, counts):
    small_chunks.save(io.BytesIO(b"kept"), "kept.txt")
    for overwrite in (False, True):
        with pytest.raises(OSError):
            small_chunks.save(
                FailingStream(20_000), "kept.txt" if overwrite else "new.bin", overwrite=overwrite
            )
    assert counts(small_chunks) == (1, 1, 1)
    assert small_chunks.read("kept.txt") == b"kept"


def test_the_old_version_stays_when_publishing_fails(small_chunks, monkeypatch, counts):
    small_chunks.save(io.BytesIO(b"old content"), "f.txt")

    def down(*args, **kwargs):
        raise AutoReconnect("connection reset")

    monkeypatch.setattr(names, "replace", down)
    with pytest.raises(BackendError) as info:
        small_chunks.save(io.BytesIO(b"new content"), "f.txt", overwrite=True)
    assert isinstance(info.value.original, AutoReconnect)
    assert small_chunks.read("f.txt") == b"old content"
    assert counts(small_chunks) == (1, 1, 1)  # the new version was removed again


def test_a_publish_whose_answer_was_lost_succeeded(small_chunks, monkeypatch):
    """The server applied the write but the answer never came: the save reports success
    (the name shows the new version), never removing the version it shows."""
    real = names.replace

    def applied_then_lost(*args, **kwargs):
        real(*args, **kwargs)
        raise AutoReconnect("connection reset after the write")

    small_chunks.save(io.BytesIO(b"old"), "f.txt")
    monkeypatch.setattr(names, "replace", applied_then_lost)
    assert small_chunks.save(io.BytesIO(b"new"), "f.txt", overwrite=True) == "f.txt"
    assert small_chunks.read("f.txt") == b"new"


def test_create_only_refuses_before_sending_a_large_file(make_backend):
    backend = make_backend(chunk_size=1024, write_buffer=8192)
    backend.save(io.BytesIO(b"first"), "taken.bin")

    class Counted(PatternStream):
        given = 0

        def readinto(self, buffer):
            n = super().readinto(buffer)
            self.given += n
            return n

    source = Counted(1 << 20)
    with pytest.raises(FileExists):
        backend.save(source, "taken.bin")
    assert source.given <= 8192 + 1024  # one batch read, none sent
    assert backend.read("taken.bin") == b"first"


def test_a_creator_that_loses_the_race_removes_its_version(small_chunks, make_backend, counts):
    """Another process creates the name while this one uploads: the insert of the name's
    document is what refuses, and the loser's chunks go."""
    other = make_backend(small_chunks.name, chunk_size=1024)

    class CreatedMeanwhile(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            if not data and not other.exists("race.bin"):
                other.save(io.BytesIO(b"winner"), "race.bin")
            return data

    with pytest.raises(FileExists):
        small_chunks.save(CreatedMeanwhile(b"x" * 2000), "race.bin")
    assert small_chunks.read("race.bin") == b"winner"
    assert counts(small_chunks) == (1, 1, 1)


def test_concurrent_creators_one_wins_and_the_losers_leave_nothing(small_chunks, counts):
    """Creators that all pass the early check (each upload spans several batches) race to
    publish: one wins, the others get FileExists, and none of their chunks stay."""
    writers = 8
    barrier = threading.Barrier(writers)
    results: list[Any] = [None] * writers

    class Slow(io.BytesIO):
        def read(self, size=-1):
            if self.tell() == 0:
                barrier.wait()  # every creator has passed nothing yet: all start together
            return super().read(size)

    def create(i: int) -> None:
        try:
            small_chunks.save(Slow(bytes([65 + i]) * 9000), "race.bin")
            results[i] = "won"
        except FileExists:
            results[i] = "lost"
        except BaseException as exc:  # pragma: no cover - reported below
            results[i] = exc

    threads = [threading.Thread(target=create, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == ["lost"] * (writers - 1) + ["won"], results
    (winner,) = [i for i, r in enumerate(results) if r == "won"]
    assert small_chunks.read("race.bin") == bytes([65 + winner]) * 9000
    assert counts(small_chunks) == (1, 9, 1)
    assert list(small_chunks.leftovers(0)) == []


def test_concurrent_overwrites_leave_one_whole_version(small_chunks, counts):
    writers, rounds = 6, 3
    small_chunks.save(io.BytesIO(b"start"), "hot.bin")
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def overwrite(i: int) -> None:
        barrier.wait()
        try:
            for r in range(rounds):
                small_chunks.save(io.BytesIO(f"{i}.{r};".encode() * 700), "hot.bin", overwrite=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=overwrite, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    content = small_chunks.read("hot.bin")
    assert content in {f"{i}.{r};".encode() * 700 for i in range(writers) for r in range(rounds)}
    files, chunks, named = counts(small_chunks)
    assert (files, named) == (1, 1)
    assert chunks == -(-len(content) // 1024)


def test_readers_during_overwrites_never_see_a_missing_or_mixed_file(small_chunks):
    """An overwrite shows the old content or the new one: a reader never gets FileNotFound,
    and a read that outlives its version fails instead of mixing two."""
    versions = [bytes([65 + i]) * 3000 for i in range(20)]
    small_chunks.save(io.BytesIO(versions[0]), "v.bin")
    stop = threading.Event()
    seen: list[Any] = []

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(small_chunks.read("v.bin"))
            except BackendError as exc:
                seen.append("replaced" if "replaced or deleted" in str(exc) else exc)
            except Exception as exc:  # anything else fails the test (not only the thread)
                seen.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for data in versions[1:]:
            small_chunks.save(io.BytesIO(data), "v.bin", overwrite=True)
    finally:
        stop.set()
        reader.join()
    assert seen
    assert all(s == "replaced" or s in versions for s in seen), [s for s in seen if s not in versions][:3]


def test_a_stream_outliving_its_version_fails_rather_than_mixing(small_chunks):
    small_chunks.save(io.BytesIO(b"a" * 200_000), "f.bin")
    stream = small_chunks.open("f.bin", "rb")
    assert stream.read(10) == b"a" * 10  # what the stream's buffer holds is read; not the rest
    small_chunks.save(io.BytesIO(b"b" * 200_000), "f.bin", overwrite=True)
    with pytest.raises(BackendError, match="replaced or deleted while it was being read"):
        stream.read()
    stream.close()


def test_delete_removes_every_version_and_folder(small_chunks, counts):
    for name in ("d/1.txt", "d/e/2.txt", "d.txt", "dd/3.txt", "d"):
        small_chunks.save(io.BytesIO(b"x" * 1500), name)
    small_chunks.delete("d")
    assert set(small_chunks.list_files()) == {"d.txt", "dd/3.txt"}
    assert counts(small_chunks) == (2, 4, 2)


@pytest.mark.parametrize("special", ["a.b", "a+", "(x)", "[ab]", "a*", "^a$", "a|b", "a?", "{1}", "%"])
def test_names_are_never_patterns(make_backend, special):
    backend = make_backend()
    lookalikes = {"ab/1", "aXb/1", "aa/1", "x/1", "a/1", "b/1", "1/1", "ax/1", "%x/1"}
    for name in lookalikes | {special, f"{special}/in.txt", f"{special}/deep/in.txt"}:
        backend.write(name, b"x")
    assert set(backend.list_files(special)) == {f"{special}/in.txt", f"{special}/deep/in.txt"}
    backend.delete(special)
    assert set(backend.list_files()) == lookalikes - {special}
