"""Starting and stopping server processes for tests: free ports, health waits, clean stops.

Every process is started with ``PR_SET_PDEATHSIG`` (Linux), so a test run that is killed
does not leave servers behind, and is stopped by its own PID, never by name.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

__all__ = ["ManagedProcess", "ServiceUnavailable", "free_ports", "silent_port", "wait_until"]

HOST = "127.0.0.1"


class ServiceUnavailable(RuntimeError):
    """A service cannot run on this machine; the message says how to install it."""


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on the loopback interface right now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers a GET with a 2xx status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return 200 <= status < 300
    except (OSError, urllib.error.URLError):
        return False


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port where a server accepts connections and never answers (a hung
    service: clients must time out, not wait for ever); closed when the block ends."""
    server = socket.socket()
    server.bind((HOST, 0))
    server.listen(16)
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def wait_until(check: Callable[[], bool], timeout: float, what: str, alive: Callable[[], bool]) -> None:
    """Poll ``check`` until it is true; fail early if ``alive()`` turns false."""
    deadline = time.monotonic() + timeout
    while not check():
        if not alive():
            raise RuntimeError(f"{what} exited during start-up")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.05)


class ManagedProcess:
    """One server process, its output in ``log``; :meth:`stop` ends it by PID."""

    def __init__(self, name: str, argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_parent,
                close_fds=True,
            )

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        """The last lines of the process's output, for error messages."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        if self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def clean_env(drop: Sequence[str] = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")) -> dict[str, str]:
    """The environment without the caller's virtualenv, for programs on the system Python."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    path = env.get("PATH", "")
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        env["PATH"] = os.pathsep.join(p for p in path.split(os.pathsep) if not p.startswith(venv))
    return env
