"""fs_core.testing's helpers for a test's child processes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fs_core.testing import child_env, kill_9_when

SLEEPER = "import sys, time; sys.stdout.write('started'); sys.stdout.flush(); time.sleep(60)"


def test_the_child_is_killed_once_ready(tmp_path):
    marker = tmp_path / "ready"
    child = subprocess.Popen(
        [sys.executable, "-c", f"open({str(marker)!r}, 'w').close(); import time; time.sleep(60)"],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    kill_9_when(child, marker.exists, "the marker")
    assert child.returncode == -9
    assert child.stdout.closed
    assert child.stderr.closed


def test_a_child_that_ends_first_fails_the_test_with_its_stderr():
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.exit('no luck')"], stderr=subprocess.PIPE, text=True
    )
    with pytest.raises(pytest.fail.Exception, match=r"ended \(status 1\) before the marker: no luck"):
        kill_9_when(child, lambda: False, "the marker")


def test_a_child_that_never_gets_ready_fails_the_test_and_is_killed():
    child = subprocess.Popen([sys.executable, "-c", SLEEPER])
    with pytest.raises(pytest.fail.Exception, match="never reached the marker"):
        kill_9_when(child, lambda: False, "the marker", timeout=0.3)
    assert child.returncode == -9  # killed on the way out
