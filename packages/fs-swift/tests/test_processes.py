"""Real processes against a real Swift: a save killed with SIGKILL leaves no object (or the
previous one); a large object's segments are then leftovers that are found and removed, a
plain PUT's bytes are dropped by Swift itself."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

import fs_core
from fs_core.testing import bind_backend, child_env
from fs_swift.settings import MiB
from fs_testservers import unique_name

CHILD = textwrap.dedent(
    """
    import io, json, sys, time
    from fs_core.config import Config
    from fs_core.testing import PatternStream
    from fs_swift.backend import SwiftBackend

    spec = json.loads(sys.argv[1])
    backend = SwiftBackend(spec["name"], Config(spec["config"]))

    class Slow(PatternStream):  # not seekable: its size is unknown, so above 8 MiB, an SLO
        def read(self, size=-1):
            time.sleep(0.05)
            return super().read(size)

    class SlowKnown(io.BytesIO):  # seekable, of known size: one PUT below SLO_THRESHOLD
        def read(self, size=-1):
            print("sending", file=sys.stderr, flush=True)
            time.sleep(0.05)
            return super().read(size)

    stream = Slow(spec["size"]) if spec["large"] else SlowKnown(b"n" * spec["size"])
    backend.save(stream, "big.bin", overwrite=spec["overwrite"])
    """
)


def _spawn(spec: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(spec)], stderr=subprocess.PIPE, text=True, env=child_env()
    )


def _kill_when(child: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    """SIGKILL ``child`` as soon as ``ready()`` (polled) is true; it must not end before."""
    try:
        deadline = time.monotonic() + 60
        while not ready():
            assert child.poll() is None, child.communicate()
            if time.monotonic() > deadline:
                pytest.fail("the child never got there")
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_killed_large_save_leaves_segments_found_and_removed(make_backend, swift_server, overwrite):
    config = {"container": unique_name("shared"), "slo_threshold": MiB, "segment_size": MiB}
    backend = make_backend(**config)
    other = make_backend(
        container=config["container"], **{k: v for k, v in config.items() if k != "container"}
    )
    other.save(io.BytesIO(b"x" * (2 * MiB)), "theirs.bin")  # another storage's segments
    if overwrite:
        backend.write("big.bin", b"previous content")
    spec = {"name": backend.name, "config": swift_server.swift_config(**config), "size": 64 * MiB}
    child = _spawn({**spec, "overwrite": overwrite, "large": True})
    _kill_when(child, lambda: sum(len(leftover.ref) for leftover in backend.leftovers(0)) >= 2)
    assert backend.read("big.bin") == b"previous content" if overwrite else not backend.exists("big.bin")
    (found,) = backend.leftovers(0)
    assert found.what.endswith("upload of 'big.bin'")
    assert found.size is not None
    assert found.size >= 2 * MiB
    assert list(backend.leftovers(3600)) == []  # a day's default age keeps a write in progress
    app = Flask(unique_name("app"))
    storage = fs_core.Storage(backend.name, fs_core.ALL)
    bind_backend(app, storage, backend)
    with app.app_context():
        assert storage.clean_leftovers(0) == [found]
    assert list(backend.leftovers(0)) == []
    backend.remove_leftover(found)  # gone already: not an error
    assert other.read("theirs.bin") == b"x" * (2 * MiB)  # the neighbour's segments untouched
    assert set(backend.list_files()) == ({"big.bin"} if overwrite else set())


@pytest.mark.slow
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_killed_plain_put_stores_nothing(make_backend, swift_server, overwrite):
    """Killed half-way through one PUT (below ``SLO_THRESHOLD``): Swift drops what it received."""
    backend = make_backend(slo_threshold=64 * MiB)
    if overwrite:
        backend.write("big.bin", b"previous content")
    spec = {"name": backend.name, "config": swift_server.swift_config(slo_threshold=64 * MiB)}
    child = _spawn({**spec, "size": 16 * MiB, "overwrite": overwrite, "large": False})
    sent = 0

    def some_chunks_sent() -> bool:  # a few 256 KiB chunks of the body sent, most of it not
        nonlocal sent
        assert child.stderr is not None
        sent += child.stderr.readline() == "sending\n"
        return sent >= 10

    _kill_when(child, some_chunks_sent)
    time.sleep(0.5)  # the proxy notices the closed connection
    assert backend.read("big.bin") == b"previous content" if overwrite else not backend.exists("big.bin")
    assert set(backend.list_files()) == ({"big.bin"} if overwrite else set())
    assert list(backend.leftovers(0)) == []
