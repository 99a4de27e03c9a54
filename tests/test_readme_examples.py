"""Every ```python and ```console block of the READMEs and of docs/ (the documentation site's
pages: the site includes the READMEs) runs, so the documentation cannot drift from the code.

In each README, the ```python blocks run in order, in one namespace, in a fresh process whose
working directory is an empty folder. A block whose info string names a file
(```python file=test_app.py) is written to that file instead, and if any such file is a
test, pytest runs them in that folder. Then the ```console blocks run in that folder, in
order: each ``$ command`` line in bash (with the workspace's ``flask`` on the PATH), its
output (stdout and stderr, as a terminal shows them) compared with the lines that follow it,
where ``...`` stands for any text and a last line ``[exit N]`` for the exit status (0 when
there is none). Blocks in other languages (sh, toml, nginx) are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from workspace import ROOT

GENERATED = ("packages", "api", "_build")
# Fenced blocks that are not Python, so not run: a block in any other language would be
# neither run nor shown as what it is.
RUN = {"python", "console"}  # the languages run (a console block as a shell session)
NOT_RUN = {"sh", "toml", "nginx", "ini", "text", "{include}", "{toctree}", "{eval-rst}"}
FENCE = re.compile(r"^```(?P<info>\S*)", re.MULTILINE)

# docs/packages, docs/api: generated at each build of the site (docs/_ext/fs_docs.py), from the READMEs.
DOCS = [
    p for p in sorted(ROOT.glob("docs/**/*.md")) if p.relative_to(ROOT / "docs").parts[0] not in GENERATED
]
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md")), *DOCS]
BLOCK = re.compile(r"^```python(?P<info>[^\n]*)\n(?P<code>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
CONSOLE = re.compile(r"^```console[^\n]*\n(?P<code>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
EXIT = re.compile(r"^\[exit (?P<code>\d+)\]$")
FILE = re.compile(r"\bfile=(?P<name>[\w./-]+)")

# Runs the blocks: each compiled with its README line, so a traceback points at the README.
RUNNER = """
import json, sys
namespace = {"__name__": "__main__"}
for path, line, code in json.load(open(sys.argv[1])):
    exec(compile("\\n" * (line - 1) + code, path, "exec"), namespace)
"""


def examples(readme: Path) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """(line, code) of the blocks to run, and the blocks to write as files."""
    text = readme.read_text()
    scripts, files = [], {}
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code")) + 1
        named = FILE.search(match["info"])
        if named:
            files[named["name"]] = match["code"]
        else:
            scripts.append((line, match["code"]))
    return scripts, files


def sessions(readme: Path) -> list[tuple[int, str, str]]:
    """(line, command, expected output) of each ``$ command`` of the ```console blocks."""
    text = readme.read_text()
    found: list[tuple[int, str, str]] = []
    for match in CONSOLE.finditer(text):
        first = text.count("\n", 0, match.start("code")) + 1
        for offset, line in enumerate(match["code"].splitlines()):
            if line.startswith("$ "):
                found.append((first + offset, line[2:], ""))
            elif found:
                number, command, expected = found[-1]
                found[-1] = (number, command, expected + line + "\n")
    return found


def output_matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` standing for any text."""
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def run_console(rel: str, readme: Path, folder: Path) -> None:
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleaved as on a terminal
        "COLUMNS": "100",
    }
    env.pop("FLASK_APP", None)
    for line, command, expected in sessions(readme):
        lines = expected.rstrip("\n").splitlines()
        status = 0
        if lines and (last := EXIT.match(lines[-1])):
            status, lines = int(last["code"]), lines[:-1]
        run = subprocess.run(
            ["bash", "-c", command],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        actual = "\n".join(out.rstrip() for out in run.stdout.rstrip("\n").splitlines())
        wanted = "\n".join(out.rstrip() for out in lines)
        report = (
            f"{rel}:{line}: $ {command}\n-- expected (exit {status}):\n{wanted}\n"
            f"-- got (exit {run.returncode}):\n{actual}"
        )
        assert run.returncode == status, report
        assert output_matches(wanted, actual), report


@pytest.mark.parametrize("readme", READMES, ids=[str(p.relative_to(ROOT)) for p in READMES])
def test_readme_examples_run(readme, tmp_path):
    import json

    scripts, files = examples(readme)
    rel = str(readme.relative_to(ROOT))
    if scripts:
        blocks = tmp_path / "blocks.json"
        blocks.write_text(json.dumps([[rel, line, code] for line, code in scripts]))
        work = tmp_path / "run"
        work.mkdir()
        run = subprocess.run(
            [sys.executable, "-c", RUNNER, str(blocks)], cwd=work, capture_output=True, text=True
        )
        assert run.returncode == 0, f"{rel}: an example failed\n{run.stderr}"
    if files:
        project = tmp_path / "project"
        project.mkdir()
        for name, code in files.items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(code)
        if any(Path(name).name.startswith("test_") for name in files):
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(project)],
                cwd=project,
                capture_output=True,
                text=True,
            )
            assert run.returncode == 0, f"{rel}: the example tests failed\n{run.stdout}\n{run.stderr}"
    if sessions(readme):
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        run_console(rel, readme, project)


def test_every_package_readme_has_examples():
    for readme in sorted(ROOT.glob("packages/*/README.md")):
        scripts, _ = examples(readme)
        assert scripts, f"{readme.relative_to(ROOT)} has no runnable ```python example"


def test_console_blocks_are_run_and_compared(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "```console\n$ echo one; echo two >&2\none\ntwo\n"
        "$ printf 'a 1.5 s\\n'; exit 3\na ... s\n[exit 3]\n```\n"
    )
    assert sessions(readme) == [
        (2, "echo one; echo two >&2", "one\ntwo\n"),
        (5, "printf 'a 1.5 s\\n'; exit 3", "a ... s\n[exit 3]\n"),
    ]
    run_console("README.md", readme, tmp_path)
    assert output_matches("a ... s", "a 1.5 s")
    assert not output_matches("a ... s", "b 1.5 s")
    readme.write_text("```console\n$ echo three\nfour\n```\n")
    with pytest.raises(AssertionError, match=r"README.md:2: \$ echo three"):
        run_console("README.md", readme, tmp_path)


@pytest.mark.parametrize("readme", READMES, ids=[str(p.relative_to(ROOT)) for p in READMES])
def test_every_block_is_run_or_in_a_language_that_is_not_python(readme):
    """A Python example written as ```py, ```pycon or ```{code-block} python would be shown
    but never run: only ```python blocks are Python."""
    text = readme.read_text()
    opening = [m["info"] for m in FENCE.finditer(text)][::2]  # every other fence closes a block
    unknown = sorted({info for info in opening if info and info not in RUN and info not in NOT_RUN})
    rel = readme.relative_to(ROOT)
    assert not unknown, f"{rel}: blocks in {unknown}: write ```python or ```console (run) or add to NOT_RUN"
    assert "" not in opening, f"{rel}: a block without a language (```sh, ```text…)"
