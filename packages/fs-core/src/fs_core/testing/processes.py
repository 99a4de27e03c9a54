"""Running a test's own child processes (a real ``kill -9``, a race between processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["child_env", "kill_9_when"]


def child_env(**extra: str) -> dict[str, str]:
    """The environment for ``subprocess`` children of a test: this one's, with ``sys.path``
    as ``PYTHONPATH``, so that a child imports what the test imports (under Pants, packages
    and their plugins' metadata are on ``sys.path`` only, not installed)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), **extra}


def kill_9_when(
    child: subprocess.Popen[Any], ready: Callable[[], object], what: str, timeout: float = 60
) -> None:
    """``SIGKILL`` ``child`` as soon as ``ready()`` is true (as the OOM killer or a deploy
    would: no clean-up runs), and wait for it to die.

    The test fails, with the child's stderr if it was piped, if the child ends first or
    ``ready()`` is not true within ``timeout`` seconds (a bound on waiting, not a measure:
    ``what`` says what was awaited). The child never outlives the call.
    """
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if child.poll() is not None:
                _, err = child.communicate()
                err = err.decode(errors="replace") if isinstance(err, bytes) else err or ""
                pytest.fail(f"the child ended (status {child.returncode}) before {what}: {err}")
            if time.monotonic() > deadline:
                pytest.fail(f"the child never reached {what}")
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=30)  # reaps it, and drains and closes its pipes
    assert child.returncode == -signal.SIGKILL, child.returncode
