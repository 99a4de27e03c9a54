from __future__ import annotations

import importlib
import sys
import textwrap

import pytest
from flask import Flask

import fs_core
from fs_core.testing import fs_app, fs_make_app, fs_register_plugin  # noqa: F401  (fixtures)


@pytest.fixture
def make_app(tmp_path):
    """Build a Flask app with fs-core and the given storages; config first, as in real apps."""

    def make(*storages: fs_core.Storage, **config) -> Flask:
        app = Flask(f"app{len(config)}", instance_path=str(tmp_path / "instance"))
        app.config.update(TESTING=True, SECRET_KEY="s3cr3t", FS_BACKEND="memory")
        app.config.update(config)
        fs_core.init_app(app, *storages)
        return app

    return make


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Install fake distributions (dist-info + module) on sys.path for one test."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    added: list[str] = []

    def install(dist: str, entry_points: dict[str, dict[str, str]], modules: dict[str, str], version="1.0"):
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = []
        for group, eps in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{name} = {target}" for name, target in eps.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in modules.items():
            (root / f"{module}.py").write_text(textwrap.dedent(source))
            added.append(module)
        importlib.invalidate_caches()

    yield install
    for module in added:
        sys.modules.pop(module, None)
