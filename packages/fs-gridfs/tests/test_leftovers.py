"""What a killed save leaves is never a file, and is found by ``leftovers()`` and removed.

A process killed mid-save runs none of its clean-up. In process, a save is "killed" at a
chosen point by stopping it there for good (a stream that blocks, a publish that never
comes); with ``FS_TEST_MONGO_URL`` a real ``kill -9`` of a child process is tested too.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import threading

import pytest
from flask import Flask

import fs_core
from fs_core.testing import bind_backend, child_env, kill_9_when
from fs_gridfs import names


class Stuck(io.RawIOBase):
    """``good`` bytes, then a read that waits until ``release`` is set, then fails."""

    def __init__(self, good: int) -> None:
        self.left = good
        self.reached = threading.Event()
        self.release = threading.Event()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer):
        if self.left <= 0:
            self.reached.set()
            self.release.wait(30)
            raise ConnectionError("the client went away")
        n = min(len(buffer), self.left)
        memoryview(buffer).cast("B")[:n] = b"x" * n
        self.left -= n
        return n


@pytest.fixture
def backend(make_backend):
    return make_backend(chunk_size=1024, write_buffer=4096)


def test_an_upload_stopped_midway_is_found_and_removed(backend, counts):
    backend.write("kept.txt", b"kept")
    stream = Stuck(10_000)  # two batches of 4 chunks sent, the rest never comes
    raised: list[BaseException] = []

    def save() -> None:
        try:
            backend.save(stream, "big")
        except BaseException as exc:
            raised.append(exc)

    saving = threading.Thread(target=save)
    saving.start()
    try:
        assert stream.reached.wait(30)
        assert not backend.exists("big")
        assert set(backend.list_files()) == {"kept.txt"}
        (found,) = backend.leftovers(0)
        assert found.what.startswith("unfinished upload")
        assert found.size == 8 * 1024
        assert found.name is None
        assert list(backend.leftovers(3600)) == []  # its chunks are fresh: maybe still sending
        backend.remove_leftover(found)
        backend.remove_leftover(found)  # gone already: not an error
        assert list(backend.leftovers(0)) == []
        assert counts(backend) == (1, 1, 1)
    finally:
        stream.release.set()
        saving.join()
    assert [type(exc) for exc in raised] == [ConnectionError]  # then it cleaned up after itself
    assert counts(backend) == (1, 1, 1)
    assert backend.read("kept.txt") == b"kept"


def test_a_version_never_published_is_found_and_removed(backend, counts, monkeypatch):
    backend.write("kept.txt", b"kept")

    class Killed(BaseException):
        """The process died between writing the version and publishing it."""

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(names, "create", die)
    with pytest.raises(Killed):
        backend.save(io.BytesIO(b"x" * 3000), "new.bin")
    monkeypatch.undo()
    assert not backend.exists("new.bin")
    assert counts(backend) == (2, 4, 1)
    (found,) = backend.leftovers(0)
    assert "'new.bin' that no name shows" in found.what
    assert found.size == 3000
    app = Flask("clean")
    storage = bind_backend(app, fs_core.Storage(backend.name, fs_core.ALL), backend)
    with app.app_context():
        assert storage.clean_leftovers(0) == [found]
    assert counts(backend) == (1, 1, 1)
    assert backend.read("kept.txt") == b"kept"


def test_removing_a_stale_report_keeps_what_is_in_use(backend, monkeypatch):
    """A leftover reported while its save was stuck, then published: removing the report
    deletes nothing (the check is made again)."""
    published = threading.Event()
    proceed = threading.Event()
    real = names.create

    def slow_create(*args, **kwargs):
        published.set()
        proceed.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(names, "create", slow_create)
    saving = threading.Thread(target=backend.save, args=(io.BytesIO(b"y" * 2000), "late.bin"))
    saving.start()
    try:
        assert published.wait(30)
        (found,) = backend.leftovers(0)
    finally:
        proceed.set()
        saving.join()
    backend.remove_leftover(found)
    assert backend.read("late.bin") == b"y" * 2000


CHILD = textwrap.dedent(
    """
    import json, sys, time
    from fs_core.config import Config
    from fs_core.testing import PatternStream
    from fs_gridfs.backend import GridFSBackend

    spec = json.loads(sys.argv[1])
    backend = GridFSBackend(spec["name"], Config(spec["config"]))

    class Slow(PatternStream):
        def readinto(self, buffer):
            time.sleep(0.02)
            return super().readinto(buffer)

    backend.save(Slow(64 << 20), "big.bin", overwrite=spec["overwrite"])
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("overwrite", [False, True])
def test_kill_9_mid_save_leaves_the_previous_file_and_a_leftover(make_backend, mongo, database, overwrite):
    """A real ``kill -9`` of a process saving: needs a server shared between processes."""
    if not mongo.real:
        pytest.skip("mongomock lives in one process: set FS_TEST_MONGO_URL to kill a saving process")
    backend = make_backend(chunk_size=64 * 1024, write_buffer=256 * 1024)
    if overwrite:
        backend.write("big.bin", b"previous content")
    spec = {"name": backend.name, "config": mongo.fs_config(database, chunk_size=65536, write_buffer=262144)}
    spec["overwrite"] = overwrite
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(spec)], stderr=subprocess.PIPE, env=child_env()
    )
    kill_9_when(child, lambda: list(backend.leftovers(0)), "sending a chunk")
    if overwrite:
        assert backend.read("big.bin") == b"previous content"
    else:
        assert not backend.exists("big.bin")
    (found,) = backend.leftovers(0)
    assert (found.size or 0) >= 256 * 1024
    backend.remove_leftover(found)
    assert list(backend.leftovers(0)) == []
    assert set(backend.list_files()) == ({"big.bin"} if overwrite else set())
