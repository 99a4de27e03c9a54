"""What the build scripts need to know about the uv workspace, read from its pyproject files."""

from __future__ import annotations

import glob
import os
import re
import shutil
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib  # type: ignore[no-redef]  # pants: no-infer-dep

ROOT = Path(__file__).resolve().parent.parent

_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def canonical(name: str) -> str:
    """PEP 503 name: ``FS_Core`` and ``fs.core`` are ``fs-core``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def members(root: Path = ROOT) -> dict[str, Path]:
    """Workspace members, canonical distribution name to directory, in path order."""
    workspace = load_toml(root / "pyproject.toml")["tool"]["uv"]["workspace"]
    found: dict[str, Path] = {}
    for pattern in workspace.get("members", []):
        for directory in sorted(glob.glob(str(root / pattern))):
            pyproject = Path(directory) / "pyproject.toml"
            if pyproject.is_file():
                found[canonical(load_toml(pyproject)["project"]["name"])] = Path(directory)
    return found


def released(root: Path = ROOT) -> dict[str, Path]:
    """The members that are published: those under packages/ (tools/ are not)."""
    return {name: path for name, path in members(root).items() if path.parent.name == "packages"}


def version(package_dir: Path) -> str:
    """The package's version: ``[project].version``, or the hatch version file's ``__version__``."""
    data = load_toml(package_dir / "pyproject.toml")
    project = data["project"]
    if "version" in project:
        return project["version"]
    path = data.get("tool", {}).get("hatch", {}).get("version", {}).get("path")
    match = _VERSION.search((package_dir / path).read_text()) if path else None
    if match is None:
        raise ValueError(f"{package_dir}: no version in pyproject.toml nor a __version__ in {path}")
    return match.group(1)


def uv() -> list[str]:
    """The command that runs uv: the one running us (``uv run`` sets ``UV``), else ``uv`` on
    PATH, else ``python3 -m uv`` (how ./dev installs it)."""
    if os.environ.get("UV"):
        return [os.environ["UV"]]
    found = shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]


class Package:
    """One workspace member as the checks see it: its entry in the root pyproject's
    ``[tool.fs.packages]`` (the documentation site, the coverage floor) and where it lives."""

    def __init__(self, name: str, directory: Path, entry: dict[str, Any]) -> None:
        self.name = name
        self.directory = directory
        #: The import package: ``fs-core`` is ``fs_core``.
        self.module = name.replace("-", "_")
        #: The modules of its API reference (public ones only; default: the import package).
        self.api: list[str] = list(entry.get("api", [self.module]))
        #: The least percentage of its lines and branches the suite must run.
        self.coverage: float = float(entry["coverage"])
        #: Released packages get a page on the documentation site; tools do not.
        self.documented = directory.parent.name == "packages"

    @property
    def src(self) -> Path:
        return self.directory / "src"

    def __repr__(self) -> str:
        return f"Package({self.name!r})"


def packages(root: Path = ROOT) -> dict[str, Package]:
    """Every workspace member, with its ``[tool.fs.packages]`` entry; a ``ValueError`` that says
    what to add if a member has none (or an entry names no member)."""
    entries = load_toml(root / "pyproject.toml").get("tool", {}).get("fs", {}).get("packages", {})
    found = members(root)
    missing = sorted(set(found) - set(entries))
    unknown = sorted(set(entries) - set(found))
    problems = [
        f"{name} has no entry in pyproject.toml: add [tool.fs.packages.{name}] with coverage = <floor>"
        for name in missing
    ] + [f"[tool.fs.packages.{name}] names no workspace member" for name in unknown]
    for name, entry in entries.items():
        if name in found and not isinstance(entry.get("coverage"), (int, float)):
            problems.append(f"[tool.fs.packages.{name}] needs coverage = <floor, a percentage>")
    if problems:
        raise ValueError("; ".join(problems))
    return {name: Package(name, directory, entries[name]) for name, directory in found.items()}
