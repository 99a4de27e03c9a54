"""Starting and stopping the HTTP servers the serving benchmarks measure."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and not os.path.exists(f"/usr/sbin/{t}")]
    if missing:
        packages = " ".join("nginx-light" if t == "nginx" else t for t in missing)
        sys.exit(
            f"This benchmark needs {', '.join(missing)}: apt-get install --no-install-recommends {packages}"
        )


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def process(args: list[str], url: str, **kwargs: object) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, **kwargs
    )
    try:
        wait_http(url)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wrk(url: str, seconds: int = 10, connections: int = 4, headers: dict[str, str] | None = None) -> float:
    """Requests per second reported by wrk."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(out)


@contextlib.contextmanager
def s3_servers(services: str) -> Iterator[list]:
    """The S3 servers named in ``services`` (``'moto,swift'``), started for the block and
    stopped after; one that cannot run here is skipped with a message."""
    from fs_testservers import MotoServer, ServiceUnavailable, SwiftServer

    classes = {"moto": MotoServer, "swift": SwiftServer}
    started = []
    try:
        for name in [s for s in services.split(",") if s]:
            try:
                started.append(classes[name]().start())
            except ServiceUnavailable as exc:
                print(f"{name}: skipped ({exc})", file=sys.stderr)
        yield started
    finally:
        for server in started:
            server.stop()
