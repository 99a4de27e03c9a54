"""The same content put by several clients at once is stored once: threads, and processes
killed or not; and a put interrupted by ``kill -9`` leaves the address empty or whole."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from fs_core import ATOMIC_CREATE, file_uploaded
from fs_core.testing import child_env

ALL_BACKENDS = ["memory", "local", "moto", "swift"]


@pytest.mark.parametrize("backend", ALL_BACKENDS, indirect=True)
def test_concurrent_puts_of_the_same_content_store_it_once(make_app, backend):
    app, fs = make_app()
    content = os.urandom(3 << 20)  # several parts on S3
    clients = 8
    barrier = threading.Barrier(clients)
    results, errors = [], []
    stored = []

    def put() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(fs.put(io.BytesIO(content), extension=".bin"))
            except Exception as exc:
                errors.append(exc)

    with app.app_context():
        storage = fs.client.storage
        atomic = ATOMIC_CREATE in storage.backend.capabilities
    with file_uploaded.connected_to(lambda sender, filename: stored.append(filename), storage):
        threads = [threading.Thread(target=put) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert len({(a.id, a.relpath) for a in results}) == 1
    with app.app_context():
        assert fs.count() == 1
        with fs.open(results[0].id) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == results[0].id
    writers = [a for a in results if not a.is_duplicate]
    if atomic:  # exactly one client wrote; the others found it there (or lost the race)
        assert len(writers) == 1
        assert len(stored) == 1
    else:  # Swift: several may write the same bytes to the one name, at least one did
        assert len(writers) >= 1
        assert len(stored) == len(writers)


CHILD = textwrap.dedent(
    """
    import io, json, os, sys, time
    from flask import Flask
    from fs_hashfs import FlaskHashFS

    config, size, start = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    app = Flask("child")
    app.config.update(config)
    fs = FlaskHashFS(app)

    class Slow(io.RawIOBase):
        # The same content in every child, read slowly enough to be killed mid-way.
        def __init__(self):
            self.pos = 0
        def readable(self):
            return True
        def readinto(self, buffer):
            n = min(len(buffer), 64 * 1024, size - self.pos)
            buffer[:n] = bytes([self.pos // 65536 % 251]) * n
            self.pos += n
            time.sleep(0.002)
            return n

    while time.time() < start:
        time.sleep(0.001)
    with app.app_context():
        address = fs.put(Slow(), extension=".bin")
    print(json.dumps(address._asdict()))
    """
)


def _children(app_config: dict, size: int, count: int) -> list[subprocess.Popen]:
    config = {k: v for k, v in app_config.items() if k.startswith("HASHFS_")}
    start = time.time() + 1.5  # every child imported and waiting: they start together
    return [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps(config), str(size), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
            text=True,
        )
        for _ in range(count)
    ]


def _expected(size: int) -> str:
    digest = hashlib.sha256()
    for pos in range(0, size, 64 * 1024):
        digest.update(bytes([pos // 65536 % 251]) * min(64 * 1024, size - pos))
    return digest.hexdigest()


@pytest.mark.parametrize("backend", ["local", "moto"], indirect=True)  # (memory: one per process)
def test_processes_putting_the_same_content_store_it_once(make_app, backend):
    app, fs = make_app()
    size = 4 << 20
    children = _children(dict(app.config), size, 3)
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        outputs.append(json.loads(out))
    assert len({o["relpath"] for o in outputs}) == 1
    assert outputs[0]["id"] == _expected(size)
    with app.app_context():
        assert fs.count() == 1
        atomic = ATOMIC_CREATE in fs.client.storage.backend.capabilities
    if atomic:
        assert sum(not o["is_duplicate"] for o in outputs) == 1


@pytest.mark.parametrize("backend", ["local", "moto"], indirect=True)  # (memory dies with it)
def test_a_put_killed_midway_leaves_the_address_empty_or_whole(make_app, backend):
    app, fs = make_app()
    size = 24 << 20
    expected = _expected(size)
    for delay in (0.5, 2.0, 4.0):  # while reading the source, or while storing it
        [child] = _children(dict(app.config), size, 1)
        time.sleep(1.5 + delay)
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        with app.app_context():
            names = list(fs.client.storage.list_files())
            assert len(names) <= 1, names
            for name in names:  # whatever is listed is whole and at its address
                with fs.client.storage.open(name, "rb") as stream:
                    assert hashlib.sha256(stream.read()).hexdigest() == expected
                fs.delete(name)
