"""Pick-and-mix installs: each package's wheel installs and works alone and with the others.

Every package under packages/ is built into a wheel (``uv build``), then fresh virtualenvs get
combinations of those wheels (their third-party requirements come from PyPI): fs-core alone,
fs-core with each backend on its own, everything, and fs-s3 and fs-gridfs with the oldest boto3 and
pymongo they declare (fs-gridfs on mongomock).
In each, tests/pick_and_mix_app.py saves, reads and serves a file through the installed
backend, and checks that every backend whose package is not installed fails with an error
naming that package; where fs-mongoengine is installed, it stores files through its fields
(images only with fs-images; without, ImageField must say what to install); ``flask fs
plugins`` must list exactly the installed plugins.

Libraries built on fs-core's API that are not plugins (fs-hashfs, fs-store) are installed
with fs-core alone too, and the app then runs their own check (``check_libraries``: put,
save, serve on the memory backend; a backend whose package is missing named by the error).

Adding a package: a backend gets one line in ``BACKENDS`` (its name and the configuration a
storage needs, or a function of the test's ``request`` that builds it from fixtures, for a
backend that needs a server); any other plugin goes in ``OTHER_PLUGINS``; a library in
``LIBRARIES``, with its check in pick_and_mix_app.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from workspace import ROOT, load_toml, released, uv, version

from fs_core.plugins import KNOWN_BACKEND_PACKAGES
from fs_testservers import unique_name

pytestmark = pytest.mark.wheels

Config = dict[str, Any] | Callable[[pytest.FixtureRequest], dict[str, Any]]


@dataclass(frozen=True)
class Backend:
    name: str
    config: Config = field(default_factory=dict)
    #: Third-party packages installed beside the wheels (a stand-in for the service).
    extras: tuple[str, ...] = ()


def _s3_on_moto(request: pytest.FixtureRequest) -> dict[str, Any]:
    """fs-s3 on the session's moto server (tools/fs-testservers), in a bucket of its own."""
    server = request.getfixturevalue("moto_server")
    config = server.fs_config(bucket=unique_name("pick"))
    return {f"FS_S3_{key.upper()}": value for key, value in config.items()}


def _swift(request: pytest.FixtureRequest) -> dict[str, Any]:
    """fs-swift on the session's OpenStack Swift (tools/fs-testservers), in a container of its own."""
    server = request.getfixturevalue("swift_server")
    config = server.swift_config(container=unique_name("pick"))
    return {f"FS_SWIFT_{key.upper()}": value for key, value in config.items()}


#: Backend packages: the backend each provides, and the configuration a storage needs.
BACKENDS: dict[str, Backend] = {
    "fs-local": Backend("local"),  # FS_ROOT defaults to the app's instance folder
    "fs-s3": Backend("s3", _s3_on_moto),
    "fs-swift": Backend("swift", _swift),
    "fs-gridfs": Backend(  # on mongomock (no MongoDB server here): a client class, by config
        "gridfs",
        {"FS_GRIDFS_MONGO_URL": "mongodb://db/pick", "FS_GRIDFS_CLIENT_CLASS": "mongomock:MongoClient"},
        ("mongomock",),
    ),
}
#: Plugins that are not backends (fs-images, fs-mongoengine): installed together with
#: everything else, and fs-mongoengine also alone and with fs-images (``_combinations``).
OTHER_PLUGINS: set[str] = {"fs-images", "fs-mongoengine"}
#: Third-party packages installed beside a package's wheel, as a stand-in for a service:
#: fs-mongoengine's documents go to mongomock (no MongoDB server here).
SERVICE_STAND_INS: dict[str, tuple[str, ...]] = {"fs-mongoengine": ("mongomock",)}
#: Libraries on fs-core's public API (no plugin): each alone with fs-core, and in everything.
LIBRARIES: set[str] = {"fs-hashfs", "fs-store"}

CORE = "fs-core"


def _plugins_of(package: str) -> set[str]:
    """The names of the ``fs_core`` entry points a package declares."""
    project = load_toml(released()[package] / "pyproject.toml")["project"]
    return set(project.get("entry-points", {}).get("fs_core", {}))


def _lowest(package: str, requirement: str) -> str:
    """``requirement==X``, where ``requirement>=X`` is the floor ``package`` declares for it."""
    dependencies = load_toml(released()[package] / "pyproject.toml")["project"]["dependencies"]
    floors = [m.group(1) for d in dependencies if (m := re.fullmatch(rf"{requirement}\s*>=\s*([\w.]+).*", d))]
    assert len(floors) == 1, f"{package} declares no {requirement}>=X floor: {dependencies}"
    return f"{requirement}=={floors[0]}"


def _combinations() -> list[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    """(id, packages, backend to exercise, third-party requirements pinned on top)."""
    everything = tuple(sorted(released()))
    combos = [("fs-core", (CORE,), "memory", ())]
    combos += [(f"fs-core+{name}", (CORE, name), b.name, b.extras) for name, b in BACKENDS.items()]
    combos += [(f"fs-core+{name}", (CORE, name), "memory", ()) for name in sorted(LIBRARIES)]
    # The floor it declares must really work: conditional writes need a recent botocore.
    boto3 = _lowest("fs-s3", "boto3")
    combos.append((f"fs-core+fs-s3+{boto3}", (CORE, "fs-s3"), "s3", (boto3,)))
    swiftclient = _lowest("fs-swift", "python-swiftclient")
    combos.append((f"fs-core+fs-swift+{swiftclient}", (CORE, "fs-swift"), "swift", (swiftclient,)))
    pymongo = _lowest("fs-gridfs", "pymongo")
    combos.append((f"fs-core+fs-gridfs+{pymongo}", (CORE, "fs-gridfs"), "gridfs", (pymongo, "mongomock")))
    # The fields without fs-images (FileField works, ImageField reads and says what to
    # install to save), with it, and at the lowest mongoengine declared.
    combos.append(("fs-core+fs-mongoengine", (CORE, "fs-mongoengine"), "memory", ()))
    combos.append(("fs-core+fs-mongoengine+fs-images", (CORE, "fs-mongoengine", "fs-images"), "memory", ()))
    mongoengine = _lowest("fs-mongoengine", "mongoengine")
    combos.append(
        (f"fs-core+fs-mongoengine+{mongoengine}", (CORE, "fs-mongoengine"), "memory", (mongoengine,))
    )
    default = "local" if "fs-local" in BACKENDS else "memory"
    combos.append(("everything", everything, default, ()))
    return combos


def test_every_package_is_in_the_pick_and_mix():
    plugins = set(released()) - {CORE}
    assert plugins == set(BACKENDS) | OTHER_PLUGINS | LIBRARIES, (
        "add the new package to BACKENDS, OTHER_PLUGINS or LIBRARIES"
    )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    """One freshly built wheel per package under packages/."""
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [*uv(), "build", "--all-packages", "--wheel", "--out-dir", str(out), "--quiet"], cwd=ROOT, check=True
    )
    found = {}
    for package in released():
        built = sorted(out.glob(f"{package.replace('-', '_')}-*.whl"))
        assert len(built) == 1, f"expected one wheel of {package}, found {built}"
        found[package] = built[0]
    return found


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a process in a fresh virtualenv: nothing from the workspace's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT")
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("packages", "backend", "pinned"), [c[1:] for c in _combinations()], ids=[c[0] for c in _combinations()]
)
def test_install(packages, backend, pinned, wheels, tmp_path, request):
    venv = tmp_path / "venv"
    env = _clean_env()
    subprocess.run([*uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    # Every first-party package as a wheel file, so none can come from PyPI.
    wheel_files = [str(wheels[p]) for p in packages]
    stand_ins = [extra for p in packages for extra in SERVICE_STAND_INS.get(p, ())]
    subprocess.run(
        [*uv(), "pip", "install", "--quiet", "--python", str(python), *wheel_files, *pinned, *stand_ins],
        check=True,
        env=env,
    )
    config = BACKENDS[_package_of(backend)].config if backend != "memory" else {}
    if callable(config):
        config = config(request)
    installed = {name for package in packages for name in _plugins_of(package)}
    missing = {b: p for b, p in KNOWN_BACKEND_PACKAGES.items() if p not in packages}
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    shutil.copy(Path(__file__).with_name("pick_and_mix_app.py"), app_dir)
    libraries = sorted(LIBRARIES & set(packages))
    spec = {
        "backend": backend,
        "config": config,
        "missing": missing,
        "mongoengine": "fs-mongoengine" in packages,
        "images": "fs-images" in packages,
        "libraries": libraries,
    }
    env = _clean_env(PICK_AND_MIX=json.dumps(spec), PICK_AND_MIX_INSTANCE=str(tmp_path / "instance"))

    run = subprocess.run(
        [str(python), "pick_and_mix_app.py"], cwd=app_dir, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "ok: fs-core" in run.stderr
    for library in libraries:
        assert f"ok: {library}" in run.stderr, run.stderr

    listing = subprocess.run(
        [str(venv / "bin" / "flask"), "--app", "pick_and_mix_app", "fs", "plugins"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert listing.returncode == 0, listing.stderr
    plugins = json.loads(listing.stdout)
    assert {p["name"] for p in plugins} == installed
    for plugin in plugins:
        assert plugin["distribution"] in packages
        assert plugin["version"] == version(released()[plugin["distribution"]])


def _package_of(backend: str) -> str:
    return next(package for package, b in BACKENDS.items() if b.name == backend)
