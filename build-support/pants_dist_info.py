"""A pytest plugin that gives the packages under test their distribution metadata under Pants.

Plugins are found through entry points (``importlib.metadata``), which exist only for an
installed distribution. ``./dev test`` runs in the uv workspace, where every package is
installed (editable). Pants runs tests from sources, so this plugin (``[pytest].args`` in
pants.toml) writes what an editable install would: a ``<name>-<version>.dist-info`` with
``METADATA`` and ``entry_points.txt``, read from each package's own pyproject.toml, for every
package whose pyproject.toml is in the sandbox (the test's package and those it requires, see
build-support/pants_macros.py) and that is not installed already.

Pants can also put a package's built wheel on the path (a test depending on its
``python_distribution``), but Pants 2.17 fails to build the test runner when such a wheel has
third-party requirements (pantsbuild/pants#19625).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from workspace import load_toml, version


def _entry_points(project: dict) -> str:
    groups = dict(project.get("entry-points", {}))
    if project.get("scripts"):
        groups["console_scripts"] = project["scripts"]
    return "".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items()) + "\n"
        for group, entries in groups.items()
    )


def write_dist_info(pyproject: Path, target: Path) -> str | None:
    """Write the dist-info of the package of ``pyproject`` into ``target``, unless installed."""
    project = load_toml(pyproject).get("project", {})
    name = project.get("name")
    if not name:
        return None
    try:
        distribution(name)
        return None
    except PackageNotFoundError:
        pass
    number = version(pyproject.parent)
    dist_info = target / f"{name.replace('-', '_')}-{number}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {number}\n")
    (dist_info / "entry_points.txt").write_text(_entry_points(project))
    return name


def pytest_configure(config) -> None:
    target = Path(tempfile.mkdtemp(prefix="pants-dist-info-"))
    written = [
        write_dist_info(pyproject, target)
        for pyproject in sorted(Path(config.rootpath).glob("packages/*/pyproject.toml"))
    ]
    if any(written):
        sys.path.append(str(target))
        importlib.invalidate_caches()
