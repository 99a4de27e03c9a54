"""``mypy --strict`` over every workspace member's ``src/`` (``./dev lint``, CI).

    python build-support/typecheck.py [MYPY ARGS]

The members come from the uv workspace, so a new package is checked as soon as it joins it;
mypy's settings (strict, the oldest supported Python) are ``[tool.mypy]`` in the root
``pyproject.toml``. Third-party stubs are in the root's ``checks`` dependency group.
"""

from __future__ import annotations

import subprocess
import sys

from workspace import ROOT, packages


def sources() -> list[str]:
    return [str(p.src.relative_to(ROOT)) for p in packages().values() if p.src.is_dir()]


def main(argv: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "mypy", *argv, *sources()], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
