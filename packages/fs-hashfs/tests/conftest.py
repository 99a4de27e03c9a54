"""Fixtures: a Flask app with ``FlaskHashFS`` on each backend the store must work on.

``backend`` runs a test once per backend: ``memory``, ``local`` (fs-local, in a temporary
folder) and ``s3`` on moto in server mode (a real S3 API on loopback, from
tools/fs-testservers); ``swift`` (OpenStack Swift's s3api, which has no atomic create-only
write) is added where a test says so with
``@pytest.mark.parametrize("backend", [..., "swift"], indirect=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from fs_core import Config
from fs_hashfs import FlaskHashFS
from fs_s3.backend import S3Backend
from fs_testservers import S3Server, empty_bucket, unique_name
from fs_testservers.fixtures import moto_server, swift_server  # noqa: F401  (fixtures)

#: The backends every test runs on.
BACKENDS = ["memory", "local", "moto"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[dict[str, Any]]:
    """The app configuration that puts the ``hashfs`` storage on one backend."""
    name = request.param
    if name == "memory":
        yield {"HASHFS_FS_BACKEND": "memory"}
    elif name == "local":
        yield {"HASHFS_FS_BACKEND": "local", "HASHFS_ROOT_FOLDER": str(tmp_path / "store")}
    else:
        server: S3Server = request.getfixturevalue(f"{name}_server")
        bucket = unique_name("hashfs")
        yield {
            "HASHFS_FS_BACKEND": "s3",
            "HASHFS_FS_BUCKET": bucket,
            **{f"HASHFS_FS_{key.upper()}": value for key, value in server.fs_config().items()},
        }
        # fs-s3's client: it sends DeleteObjects as Swift's s3api wants it (Content-MD5).
        client = S3Backend(bucket, Config(server.fs_config())).client
        empty_bucket(client, bucket, "", delete_bucket=True)


@pytest.fixture
def make_app(tmp_path: Any, backend: dict[str, Any]) -> Callable[..., tuple[Flask, FlaskHashFS]]:
    """``make_app(**config)``: an app with ``FlaskHashFS`` on the test's backend."""
    made = iter(range(100))

    def make(**config: Any) -> tuple[Flask, FlaskHashFS]:
        app = Flask(f"hashfs_test_{next(made)}", instance_path=str(tmp_path / "instance"))
        app.config.update(TESTING=True, SECRET_KEY="test", **backend)
        app.config.update(config)
        return app, FlaskHashFS(app)

    return make


@pytest.fixture
def hashfs(make_app: Callable[..., tuple[Flask, FlaskHashFS]]) -> Iterator[FlaskHashFS]:
    """``FlaskHashFS`` with the default ``HASHFS_*`` configuration, inside its app's context."""
    app, fs = make_app()
    with app.app_context():
        yield fs
