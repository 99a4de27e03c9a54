"""``./dev`` installs Debian packages (Chromium, Swift…) waiting for another apt to finish:
build-support/apt.sh, run with stand-ins for ``apt-get`` and ``id`` on ``PATH``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKED = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"

# apt-get: logs its arguments; `update` is locked for the first $LOCKED_UPDATES calls;
# `install` fails until an update ran (the package lists were stale).
APT_GET = """#!/bin/bash
echo "$*" >> "$LOG"
case " $* " in
  *" update "*)
    count=$(cat "$STATE/updates" 2>/dev/null || echo 0)
    echo $((count + 1)) > "$STATE/updates"
    if [ "$count" -lt "$LOCKED_UPDATES" ]; then echo "$LOCKED_MESSAGE" >&2; exit 100; fi
    touch "$STATE/updated" ;;
  *" install "*)
    [ -e "$STATE/updated" ] || { echo "E: Unable to locate package $PACKAGE" >&2; exit 100; } ;;
esac
"""


def run_apt(tmp_path: Path, locked_updates: int, wait_seconds: int = 60, message: str = LOCKED):
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    (bin_dir / "apt-get").write_text(APT_GET)
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
    for tool in ("apt-get", "id"):
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "apt.log"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "LOG": str(log),
        "STATE": str(state),
        "LOCKED_UPDATES": str(locked_updates),
        "LOCKED_MESSAGE": message,
        "PACKAGE": "chromium",
        "APT_WAIT_STEP": "0.1",
        "APT_WAIT_SECONDS": str(wait_seconds),
    }
    script = ["bash", "-c", ". build-support/apt.sh && apt_packages chromium"]
    run = subprocess.run(script, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    calls = [line.removeprefix("-o DPkg::Lock::Timeout=300 ") for line in log.read_text().splitlines()]
    return run, calls


def test_waits_while_another_apt_holds_the_lock(tmp_path):
    run, calls = run_apt(tmp_path, locked_updates=3)
    assert run.returncode == 0, run.stderr
    assert "another apt is running: waiting for it to finish" in run.stderr
    assert all("DPkg::Lock::Timeout=300" in line for line in (tmp_path / "apt.log").read_text().splitlines())
    install = "-y -qq --no-install-recommends install chromium"
    assert calls == [install, "-qq update", "-qq update", "-qq update", "-qq update", install]


def test_gives_up_after_the_wait_and_says_why(tmp_path):
    run, calls = run_apt(tmp_path, locked_updates=1000, wait_seconds=2)
    assert run.returncode != 0
    assert LOCKED in run.stderr
    assert 5 <= calls.count("-qq update") <= 40  # 1 to 2 s (bash counts whole seconds) of 0.1 s waits


def test_another_failure_is_not_waited_for(tmp_path):
    run, calls = run_apt(tmp_path, locked_updates=1, message="E: The repository is not signed.")
    assert run.returncode != 0
    assert "E: The repository is not signed." in run.stderr
    assert "waiting" not in run.stderr
    assert calls == ["-y -qq --no-install-recommends install chromium", "-qq update"]
