"""What a user's type checker sees of fs-core: tests/typed_user/user_ok.py (an app, a backend and a
plugin, with ``assert_type`` on what the public API returns) must pass ``mypy --strict``, and
each line of tests/typed_user/user_wrong.py marked ``# error: [code]`` must be reported, and nothing
else. mypy runs as a user's would: in a folder of its own, without the workspace's settings,
on the installed packages (their ``py.typed``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "typed_user"
EXPECTED = re.compile(r"#\s*error:\s*\[(?P<code>[a-z-]+)\]")
REPORTED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$", re.MULTILINE)


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("mypy")
    (work / "mypy.ini").write_text("[mypy]\n")  # not the workspace's [tool.mypy]
    command = [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.10", "--config-file"]
    command += [str(work / "mypy.ini"), "--cache-dir", str(work / "cache")]
    command += [str(HERE / "user_ok.py"), str(HERE / "user_wrong.py")]
    run = subprocess.run(command, cwd=work, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr  # 2: mypy itself failed
    return run.stdout


def reported(output: str, name: str) -> set[tuple[int, str]]:
    return {(int(m["line"]), m["code"]) for m in REPORTED.finditer(output) if Path(m["file"]).name == name}


def test_a_correct_user_module_type_checks(mypy_output):
    assert reported(mypy_output, "user_ok.py") == set(), mypy_output


def test_each_mistake_is_reported_and_nothing_else(mypy_output):
    lines = (HERE / "user_wrong.py").read_text().splitlines()
    expected = {(number, m["code"]) for number, line in enumerate(lines, 1) if (m := EXPECTED.search(line))}
    assert len(expected) >= 10
    assert reported(mypy_output, "user_wrong.py") == expected, mypy_output


def test_the_correct_user_module_runs(tmp_path):
    run = subprocess.run(
        [sys.executable, str(HERE / "user_ok.py")], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
