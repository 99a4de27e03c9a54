"""A process killed at any write of an operation: no name shows a partial or missing file,
and after ``flask fs clean`` the bucket holds exactly the files its names show.

``kill -9`` runs no clean-up, so here the "process" dies at the N-th write it sends to
MongoDB (an ``insert_many`` dies after half of its documents): that write and everything
after it, the operation's own clean-up included, never reach the server. Every N is tried,
from the first write to past the last, for each operation.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from fs_gridfs.backend import GridFSBackend

_WRITES = frozenset(
    {
        "insert_one",
        "insert_many",
        "update_one",
        "delete_one",
        "delete_many",
        "find_one_and_replace",
        "find_one_and_delete",
        "aggregate",  # $merge (server-side copies)
    }
)


class Killed(BaseException):
    """The process is gone (not an Exception: no ``except Exception`` clean-up runs)."""


class Process:
    """Counts the writes of one backend's collections and dies at the ``at``-th."""

    def __init__(self, at: int) -> None:
        self.at, self.writes, self.dead = at, 0, False

    def wrap(self, collection: Any) -> Any:
        process = self

        class Mortal:
            def __getattr__(self, name: str) -> Any:
                attr = getattr(collection, name)
                if not callable(attr):
                    return attr

                def call(*args: Any, **kwargs: Any) -> Any:
                    if process.dead:
                        raise Killed
                    if name in _WRITES:
                        process.writes += 1
                        if process.writes == process.at:
                            process.dead = True
                            if name == "insert_many" and len(args[0]) > 1:
                                attr(args[0][: len(args[0]) // 2], **kwargs)
                            raise Killed
                    return attr(*args, **kwargs)

                return call

        return Mortal()


def run_killed(backend: GridFSBackend, at: int, operation: Callable[[], Any]) -> bool:
    """Run ``operation`` in a process that dies at write ``at``; whether it died."""
    bucket = backend._ready()
    real = bucket.files, bucket.chunks, bucket.names
    process = Process(at)
    bucket.files, bucket.chunks, bucket.names = (process.wrap(c) for c in real)
    try:
        operation()
    except Killed:
        return True
    finally:
        bucket.files, bucket.chunks, bucket.names = real
    return False


def stored(backend: GridFSBackend) -> dict[str, bytes]:
    return {name: backend.read(name) for name in backend.list_files()}


def clean(backend: GridFSBackend) -> None:
    for leftover in list(backend.leftovers(0)):
        backend.remove_leftover(leftover)
    assert list(backend.leftovers(0)) == []


OLD, NEW = b"o" * 3000, b"n" * 5000
#: operation: (files before, the operation, every state it may leave besides "before")
OPERATIONS: dict[str, tuple[dict[str, bytes], Callable[[GridFSBackend], Any], list[dict[str, bytes]]]] = {
    "create": (
        {"keep.txt": OLD},
        lambda b: b.save(io.BytesIO(NEW), "new.bin"),
        [{"keep.txt": OLD, "new.bin": NEW}],
    ),
    "overwrite": (
        {"keep.txt": OLD, "doc.bin": OLD},
        lambda b: b.save(io.BytesIO(NEW), "doc.bin", overwrite=True),
        [{"keep.txt": OLD, "doc.bin": NEW}],
    ),
    "copy": (
        {"keep.txt": OLD, "a.bin": NEW},
        lambda b: b.copy("a.bin", "b.bin"),
        [{"keep.txt": OLD, "a.bin": NEW, "b.bin": NEW}],
    ),
    "copy over": (
        {"a.bin": NEW, "b.bin": OLD},
        lambda b: b.copy("a.bin", "b.bin", overwrite=True),
        [{"a.bin": NEW, "b.bin": NEW}],
    ),
    # a move killed between its two writes leaves the file under both names, never under none
    "move": (
        {"keep.txt": OLD, "a.bin": NEW},
        lambda b: b.move("a.bin", "b.bin"),
        [{"keep.txt": OLD, "a.bin": NEW, "b.bin": NEW}, {"keep.txt": OLD, "b.bin": NEW}],
    ),
    "move over": (
        {"a.bin": NEW, "b.bin": OLD},
        lambda b: b.move("a.bin", "b.bin", overwrite=True),
        [{"a.bin": NEW, "b.bin": NEW}, {"b.bin": NEW}],
    ),
    # names go one at a time, in name order
    "delete folder": (
        {"keep.txt": OLD, "d": NEW, "d/1.bin": NEW, "d/2.bin": OLD},
        lambda b: b.delete("d"),
        [
            {"keep.txt": OLD, "d/1.bin": NEW, "d/2.bin": OLD},
            {"keep.txt": OLD, "d/2.bin": OLD},
            {"keep.txt": OLD},
        ],
    ),
}


def orphans(db: Any, backend: GridFSBackend) -> dict[str, int]:
    """What the bucket holds that no name reaches: versions no name shows, chunks of no
    version."""
    bucket = backend.settings.bucket
    shown = {doc["file"] for doc in db[f"{bucket}.names"].find({"_id": {"$type": "string"}})}
    versions = {doc["_id"] for doc in db[f"{bucket}.files"].find({}, {"_id": 1})}
    chunks = [doc["files_id"] for doc in db[f"{bucket}.chunks"].find({}, {"files_id": 1})]
    return {
        "versions": len(versions - shown),
        "chunks": sum(1 for files_id in chunks if files_id not in versions),
        "names of missing versions": len(shown - versions),
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_killed_at_any_write_leaves_whole_files_and_clean_leaves_no_orphan(make_backend, db, operation):
    before, run, changes = OPERATIONS[operation]
    backend = make_backend(chunk_size=1024, write_buffer=2048, read_ahead=2048)
    at, killed = 0, True
    while killed:
        at += 1
        assert at < 100, "the operation never finished"
        for name in list(backend.list_files()):
            backend.delete(name)
        clean(backend)
        for name, data in before.items():
            backend.write(name, data)
        killed = run_killed(backend, at, lambda: run(backend))
        state = stored(backend)  # every name reads whole
        assert state in [before, *changes], (at, sorted(state))
        clean(backend)
        assert stored(backend) == state, at  # clean-up never takes a file a name shows
        assert orphans(db, backend) == {"versions": 0, "chunks": 0, "names of missing versions": 0}, at
    assert at > 2  # the operation wrote, and was killed at each of its writes
