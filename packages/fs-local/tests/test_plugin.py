from __future__ import annotations

from flask import Flask

import fs_core
import fs_local


def test_local_backend_comes_from_the_entry_point(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    storage = fs_core.Storage("files")
    fs_core.init_app(app, storage)  # FS_BACKEND defaults to 'local'
    assert storage.backend_name == "local"
    assert isinstance(storage.backend, fs_local.LocalBackend)
    plugins = {p["name"]: p for p in app.extensions["fs"].plugins.describe()}
    assert plugins["local"]["distribution"] == "fs-local"
    assert plugins["local"]["version"] == fs_local.__version__
    assert plugins["local"]["backends"] == ["local"]
