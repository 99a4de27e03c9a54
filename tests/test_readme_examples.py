"""Every ```python block of the READMEs and of docs/ (the documentation site's pages: the site
includes the READMEs) runs, so the documentation cannot drift from the code.

In each README, the ```python blocks run in order, in one namespace, in a fresh process whose
working directory is an empty folder. A block whose info string names a file
(```python file=test_app.py) is written to that file instead, and if any such file is a
test, pytest runs them in that folder. Blocks in other languages (sh, toml, nginx) are not run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from workspace import ROOT

GENERATED = ("packages", "api", "_build")
# Fenced blocks that are not Python, so not run: a block in any other language would be
# neither run nor shown as what it is.
NOT_RUN = {"sh", "toml", "nginx", "ini", "text", "{include}", "{toctree}", "{eval-rst}"}
FENCE = re.compile(r"^```(?P<info>\S*)", re.MULTILINE)

# docs/packages, docs/api: generated at each build of the site (docs/_ext/fs_docs.py), from the READMEs.
DOCS = [
    p for p in sorted(ROOT.glob("docs/**/*.md")) if p.relative_to(ROOT / "docs").parts[0] not in GENERATED
]
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md")), *DOCS]
BLOCK = re.compile(r"^```python(?P<info>[^\n]*)\n(?P<code>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
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


def test_every_package_readme_has_examples():
    for readme in sorted(ROOT.glob("packages/*/README.md")):
        scripts, _ = examples(readme)
        assert scripts, f"{readme.relative_to(ROOT)} has no runnable ```python example"


@pytest.mark.parametrize("readme", READMES, ids=[str(p.relative_to(ROOT)) for p in READMES])
def test_every_block_is_run_or_in_a_language_that_is_not_python(readme):
    """A Python example written as ```py, ```pycon or ```{code-block} python would be shown
    but never run: only ```python blocks are Python."""
    text = readme.read_text()
    opening = [m["info"] for m in FENCE.finditer(text)][::2]  # every other fence closes a block
    unknown = sorted({info for info in opening if info and info != "python" and info not in NOT_RUN})
    rel = readme.relative_to(ROOT)
    assert not unknown, f"{rel}: blocks in {unknown}: write ```python (run) or add to NOT_RUN"
    assert "" not in opening, f"{rel}: a block without a language (```sh, ```text…)"
