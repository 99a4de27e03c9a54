"""The test tooling itself: missing services skip (or fail in CI), servers stop cleanly."""

from __future__ import annotations

import os
import socket

import pytest

from fs_testservers import MotoServer, ServiceUnavailable, SwiftServer, silent_port
from fs_testservers.fixtures import running


class _NotInstalled(SwiftServer):
    def check_installed(self) -> None:
        raise ServiceUnavailable("OpenStack Swift is not installed: apt-get install swift-proxy ...")


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_service_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install"):
        next(running(_NotInstalled()))


def test_moto_server_starts_answers_and_stops():
    server = MotoServer()
    if MotoServer.executable() is None:
        pytest.skip("moto_server is not installed")
    with server:
        pids = server.pids
        assert server.endpoint.startswith("http://127.0.0.1:")
        server.reset()
    assert pids
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert server.workdir is None


def test_silent_port_accepts_and_never_answers():
    with silent_port() as port, socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        conn.settimeout(0.3)
        with pytest.raises(TimeoutError):
            conn.recv(1)
    with pytest.raises(OSError):  # closed once the block ends
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
