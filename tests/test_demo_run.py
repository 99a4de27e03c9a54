"""The demo as a person runs it: ``./dev demo [BACKEND]`` (``examples/demo/run.py``) on a real
port, the ``curl`` examples of its README against it, and stopping it with Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from demo_pictures import camera_jpeg, landscape
from fs_testservers import free_ports

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
README = DEMO / "README.md"
DOCUMENTED = "http://127.0.0.1:5000"
#: What differs from one run to the next (or with Pillow's version): compared by type only.
VARYING = {"checksum", "modified", "size", "size_text"}


class Demo:
    """A demo started in a session of its own, as from a terminal (Ctrl-C reaches the group)."""

    def __init__(self, argv: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> None:
        (self.port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "demo.log"
        environment = dict(env or os.environ)
        environment.update(PORT=str(self.port), FS_ROOT=str(tmp_path / "fs"), SECRET_KEY="test")
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the demo exited:\n{self.output()}"
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the demo did not answer within {timeout} s:\n{self.output()}")

    def processes(self) -> list[psutil.Process]:
        """The demo's processes: the one started and all it started (uv, python, servers)."""
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C, as a terminal sends it (to the whole foreground group); the exit status."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def run_demo(tmp_path):
    started: list[Demo] = []

    def start(argv: list[str], env: dict[str, str] | None = None) -> Demo:
        demo = Demo(argv, tmp_path, env)
        started.append(demo)
        demo.wait_until_up()
        return demo

    yield start
    for demo in started:
        demo.stop()


def readme_examples() -> list[tuple[str, str, str]]:
    """(command, language of the answer, answer) for each ``curl`` example of the README."""
    text = README.read_text()
    blocks = re.findall(r"^```(\w*)\n(.*?)^```\s*$", text, re.MULTILINE | re.DOTALL)
    examples = []
    for (language, code), (answer_language, answer) in zip(blocks, [*blocks[1:], ("", "")], strict=True):
        if language == "sh" and code.startswith("curl "):
            assert answer_language in ("json", "text"), f"no answer after {code!r}"
            examples.append((code.strip(), answer_language, answer))
    return examples


def same_answer(got, documented, where: str = "answer") -> None:
    """``got`` has the documented shape and values (but for :data:`VARYING`)."""
    if isinstance(documented, dict):
        assert isinstance(got, dict), where
        assert sorted(got) == sorted(documented), where
        for key, value in documented.items():
            if key in VARYING:
                assert type(got[key]) is type(value), f"{where}.{key}"
                if key == "checksum":
                    assert got[key].split(":")[0] == value.split(":")[0], f"{where}.{key}"
            else:
                same_answer(got[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(got, list), where
        assert len(got) == len(documented), where
        for index, (item, expected) in enumerate(zip(got, documented, strict=True)):
            same_answer(item, expected, f"{where}[{index}]")
    else:
        assert got == documented, where


def test_the_readme_examples_answer_as_documented(run_demo, tmp_path):
    demo = run_demo([sys.executable, "examples/demo/run.py"])
    folder = tmp_path / "visitor"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(camera_jpeg(landscape("dawn", (2400, 1600))))
    (folder / "notes.txt").write_text("Bring the tent.\n")
    (folder / "setup.exe").write_bytes(b"MZ")
    examples = readme_examples()
    assert len(examples) == 6
    for command, language, answer in examples:
        command, answer = (text.replace(DOCUMENTED, demo.url) for text in (command, answer))
        run = subprocess.run(command, shell=True, cwd=folder, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, (command, run.stderr)
        if language == "json":
            same_answer(json.loads(run.stdout), json.loads(answer), command)
        else:
            assert run.stdout == answer, command


def test_the_readme_shows_the_backends_as_they_are():
    block = re.search(r"^```python\n(BACKENDS.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL).group(1)
    assert block in (DEMO / "fs_demo" / "backends.py").read_text()


def without_this_venv() -> dict[str, str]:
    """The environment of a person's shell: no virtualenv of the test run on ``PATH``."""
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def test_dev_demo_serves_and_stops_on_ctrl_c(run_demo):
    """The README's first command, as a person types it (PORT from the environment)."""
    demo = run_demo(["./dev", "demo"], env=without_this_venv())
    with urllib.request.urlopen(demo.url + "/", timeout=10) as answer:
        page = answer.read().decode()
    assert "Shared photos and files" in page
    assert "stored on <strong>local</strong>" in page
    processes = demo.processes()
    assert demo.interrupt() == 0
    _, alive = psutil.wait_procs(processes, timeout=15)
    assert not alive
    output = demo.output()
    assert f"fs demo: open {demo.url}/" in output
    assert output.rstrip().endswith("fs demo: stopped")
    assert "Traceback" not in output


def test_on_s3_the_server_starts_and_stops_with_the_demo(run_demo):
    demo = run_demo([sys.executable, "examples/demo/run.py", "s3"])
    servers = [p for p in demo.processes() if "moto_server" in " ".join(p.cmdline())]
    assert len(servers) == 1
    request = urllib.request.Request(
        demo.url + "/api/files",
        data=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhi\r\n--b--\r\n',
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201
    with urllib.request.urlopen(demo.url + "/", timeout=10) as answer:
        page = answer.read().decode()
    assert "stored on <strong>s3</strong>" in page
    assert "a.txt" in page
    # SIGTERM to the app alone (as a service manager stops it): it stops its server too.
    demo.process.send_signal(signal.SIGTERM)
    assert demo.process.wait(30) == 0
    _, alive = psutil.wait_procs(servers, timeout=15)
    assert not alive
    assert demo.output().rstrip().endswith("fs demo: stopped")


def test_a_port_in_use_is_said_plainly(run_demo, tmp_path):
    first = run_demo([sys.executable, "examples/demo/run.py"])
    env = dict(os.environ, PORT=str(first.port), FS_ROOT=str(tmp_path / "fs2"), SECRET_KEY="test")
    argv = [sys.executable, "examples/demo/run.py"]
    second = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "in use" in second.stdout + second.stderr


def test_flask_commands_work_on_the_demo(tmp_path):
    """``flask --app examples/demo/app.py``: the demo on local disk, and fs-core's commands."""
    env = dict(os.environ, FS_ROOT=str(tmp_path / "fs"), SECRET_KEY="test")
    flask = [sys.executable, "-m", "flask", "--app", "examples/demo/app.py", "fs", "storages"]
    run = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    storages = {s["name"]: s for s in json.loads(run.stdout)}
    assert set(storages) == {"shared", "private", "avatars"}
    assert {s["backend"] for s in storages.values()} == {"local"}
    assert storages["private"]["private"]
    assert storages["shared"]["root"] == str(tmp_path / "fs" / "shared")
