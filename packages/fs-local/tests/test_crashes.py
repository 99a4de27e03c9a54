"""Real processes, really killed: what a ``kill -9`` leaves, and create-only across processes.

A child process (this interpreter, running a small script) saves a large file from a slow
stream and is killed with SIGKILL: at random moments, and once exactly between the ``link``
of the temporary name and the ``rename`` over the old file (the child's ``os.replace`` kills
the child itself, a real kill -9 all the same). After each kill the final name holds the
previous content or the whole new one, byte for byte, never a part; every temporary file on
disk is one that ``leftovers(0)`` reports, and cleaning removes them all.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from flask import Flask

import fs_core as fs
from fs_core.testing import child_env
from fs_local.backend import TEMP_PREFIX

CHUNK, CHUNKS = 256 << 10, 48  # 12 MiB, in 48 chunks

#: argv: root, name, 'o_tmpfile' | 'named_temp', 'overwrite' | 'create', 'random' | 'in_replace'
SAVER = f"""
import io, os, signal, sys, time
from fs_core.config import Config
from fs_local import LocalBackend

root, name, method, mode, kill = sys.argv[1:]
backend = LocalBackend("files", Config(root=root))
backend._tmpfile_ok = method == "o_tmpfile"
if kill == "in_replace":
    real_replace = os.replace

    def replace(src, dst, **kwargs):
        if dst == name.rpartition("/")[2]:  # the rename over the old file: die first
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst, **kwargs)

    os.replace = replace


def chunks():
    for i in range({CHUNKS}):
        yield bytes([i % 251]) * {CHUNK}
        time.sleep(0.004)


class Slow(io.RawIOBase):
    '''An upload arriving chunk by chunk.'''

    def __init__(self):
        self.pending, self.source = b"", chunks()

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self.pending:
            self.pending = next(self.source, b"")
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        return n


print("ready", flush=True)
backend.save(io.BufferedReader(Slow()), name, overwrite=mode == "overwrite")
print("saved", flush=True)
time.sleep(60)  # the parent kills us anyway
"""
_CHILD_ENV = child_env()
NEW = b"".join(bytes([i % 251]) * CHUNK for i in range(CHUNKS))
OLD = os.urandom(1 << 20)


def _temporaries(root: str) -> set[str]:
    """Every temporary file on disk, found without the backend."""
    return {
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
        if name.startswith(TEMP_PREFIX)
    }


def _run_and_kill(root: str, name: str, method: str, mode: str, kill: str, delay: float) -> str:
    child = subprocess.Popen(
        [sys.executable, "-c", SAVER, root, name, method, mode, kill],
        env=_CHILD_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n", child.stderr.read() if child.stderr else ""
    if kill == "random":
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    return out


@pytest.fixture
def app_and_files(tmp_path):
    files = fs.Storage("files", fs.ALL)
    app = Flask("crashes")
    app.config.update(FILES_FS_ROOT=str(tmp_path / "root"))
    fs.init_app(app, files)
    return app, files


@pytest.mark.parametrize("mode", ["overwrite", "create"])
@pytest.mark.parametrize("method", ["o_tmpfile", "named_temp"])
def test_a_save_killed_at_random_moments_never_leaves_a_partial_file(app_and_files, method, mode):
    app, files = app_and_files
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    name = "docs/big.bin"
    # The save takes 0.2 s or more (48 chunks, 4 ms apart): two kills while it writes, one
    # anywhere (before it starts, while it writes, or after it is done).
    delays = [rng.uniform(0.02, 0.09), rng.uniform(0.09, 0.17), rng.uniform(0, 0.35)]
    sizes = []
    with app.app_context():
        root = files.root
        for attempt, delay in enumerate(delays):
            if mode == "overwrite":
                files.write(name, OLD, overwrite=True)
            else:
                files.delete(name)
            out = _run_and_kill(root, name, method, mode, "random", delay)
            context = f"seed {seed}, attempt {attempt}, killed after {delay:.3f} s, child said {out!r}"
            if mode == "overwrite":
                content = files.read(name)
                assert content in (OLD, NEW), context
            elif files.exists(name):
                assert hashlib.sha256(files.read(name)).digest() == hashlib.sha256(NEW).digest(), context
            if "saved" in out:
                assert files.read(name) == NEW, context
            sizes += [os.path.getsize(os.path.join(root, temp)) for temp in _temporaries(root)]
            _check_and_clean(app, files, attempt, context)
            assert set(files.list_files()) <= {name}, context
    if method == "named_temp":  # a kill while writing leaves the part written so far
        assert any(0 < size < len(NEW) for size in sizes), (seed, sizes)
    else:  # an anonymous file vanishes with its process; at most a whole one is left
        assert all(size == len(NEW) for size in sizes), (seed, sizes)


@pytest.mark.parametrize("method", ["o_tmpfile", "named_temp"])
def test_a_save_killed_between_link_and_rename_leaves_a_leftover_that_is_found(app_and_files, method):
    """The one moment O_TMPFILE leaves a named file: the new content, whole, under a
    temporary name, the old file untouched."""
    app, files = app_and_files
    name = "docs/big.bin"
    with app.app_context():
        files.write(name, OLD, overwrite=True)
        _run_and_kill(files.root, name, method, "overwrite", "in_replace", 0)
        assert files.read(name) == OLD
        (temporary,) = _temporaries(files.root)
        with open(os.path.join(files.root, temporary), "rb") as f:
            assert f.read() == NEW  # complete: the kill came after the last byte
        (leftover,) = files.leftovers(0)
        assert leftover.what == f"temporary file {temporary}"
        assert leftover.size == len(NEW)
        assert set(files.list_files()) == {name}
        _check_and_clean(app, files, 0, "killed in os.replace")


def _check_and_clean(app: Flask, files: fs.Storage, attempt: int, context: str) -> None:
    """Every temporary file on disk is reported; cleaning (by the storage, or by the
    command on odd attempts) removes them all."""
    on_disk = _temporaries(files.root)
    reported = {leftover.what.removeprefix("temporary file ") for leftover in files.leftovers(0)}
    assert reported == on_disk, context
    if attempt % 2:
        result = app.test_cli_runner().invoke(args=["fs", "clean", "files", "--older-than", "0"])
        assert result.exit_code == 0, result.output
        assert f"{len(on_disk)} leftover(s) removed" in result.stderr, context
    else:
        assert len(files.clean_leftovers(0)) == len(on_disk), context
    assert _temporaries(files.root) == set(), context


#: argv: root, name, method, payload marker. Waits for "go" on stdin, then creates ``name``
#: from a slow upload (0.1 s): every creator is past the early "does it exist?" check before
#: the first one is done, so that only the final, atomic link decides.
CREATOR = """
import io, sys, time
from fs_core import FileExists
from fs_core.config import Config
from fs_local import LocalBackend

root, name, method, marker = sys.argv[1:]
backend = LocalBackend("files", Config(root=root))
backend._tmpfile_ok = method == "o_tmpfile"
chunk = f"writer {marker};".encode() * 10_000


class Slow(io.RawIOBase):
    def __init__(self):
        self.left, self.pending = 20, b""

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self.pending and self.left:
            self.left -= 1
            time.sleep(0.005)
            self.pending = chunk
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        return n


print("ready", flush=True)
sys.stdin.readline()
try:
    backend.save(io.BufferedReader(Slow(), 1 << 20), name, overwrite=False)
    print("won", flush=True)
except FileExists:
    print("lost", flush=True)
"""


@pytest.mark.parametrize("method", ["o_tmpfile", "named_temp"])
def test_processes_creating_the_same_name_exactly_one_wins(tmp_path, method):
    root = str(tmp_path / "root")
    name = "race/same.bin"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CREATOR, root, name, method, str(i)],
            env=_CHILD_ENV,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
    for child in children:  # all at once
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        results.append(out.strip())
    winners = [i for i, result in enumerate(results) if result == "won"]
    assert len(winners) == 1, results
    assert results.count("lost") == len(children) - 1, results
    with open(os.path.join(root, name), "rb") as f:
        assert f.read() == f"writer {winners[0]};".encode() * 200_000
    assert _temporaries(root) == set()
