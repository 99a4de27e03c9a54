from __future__ import annotations

import pytest
from flask import Flask

import fs_core
from fs_core.testing import fs_app, fs_register_plugin  # noqa: F401  (fixtures)


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
