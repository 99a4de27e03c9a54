"""The test tooling itself: missing services skip (or fail in CI), servers stop cleanly."""

from __future__ import annotations

import os

import pytest

from fs_testservers import MotoServer, ServiceUnavailable, SwiftServer
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
