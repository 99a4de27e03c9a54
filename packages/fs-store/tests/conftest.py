"""Fixtures: a Flask app with Flask-Store's ``Store`` on each backend.

``backend`` runs a test once per backend: ``memory`` (``STORE_PROVIDER = 'memory'``, an fs
backend name), ``local`` (Flask-Store's ``LocalStore`` in a temporary ``STORE_PATH``) and
``moto`` (Flask-Store's ``S3Store`` with its ``STORE_S3_*`` keys, on moto in server mode, a
real S3 API on loopback from tools/fs-testservers). ``swift`` (OpenStack Swift's s3api) is
added where a test asks for it with ``@pytest.mark.parametrize("backend", [...], indirect=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from fs_core import Config
from fs_core.testing import fs_register_plugin  # noqa: F401  (a fixture)
from fs_s3.backend import S3Backend
from fs_store import Store
from fs_testservers import S3Server, empty_bucket, unique_name
from fs_testservers.fixtures import moto_server, swift_server  # noqa: F401  (fixtures)

BACKENDS = ["memory", "local", "moto"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[dict[str, Any]]:
    """The app configuration that puts the store on one backend."""
    name = request.param
    if name == "memory":
        yield {"STORE_PROVIDER": "memory"}
    elif name == "local":
        yield {"STORE_PATH": str(tmp_path / "uploads")}  # Flask-Store's default provider
    else:
        server: S3Server = request.getfixturevalue(f"{name}_server")
        bucket = unique_name("store")
        yield {
            "STORE_PROVIDER": "flask_store.stores.s3.S3Store",
            "STORE_S3_BUCKET": bucket,
            "STORE_S3_REGION": server.region,
            "STORE_S3_ACCESS_KEY": server.access_key,
            "STORE_S3_SECRET_KEY": server.secret_key,
            "STORE_FS_ENDPOINT": server.endpoint,
        }
        # fs-s3's client: it sends DeleteObjects as Swift's s3api wants it (Content-MD5).
        client = S3Backend(bucket, Config(server.fs_config())).client
        empty_bucket(client, bucket, "", delete_bucket=True)


@pytest.fixture
def make_app(tmp_path: Any, backend: dict[str, Any]) -> Iterator[Callable[..., tuple[Flask, Store]]]:
    """``make_app(**config)``: an app with ``Store`` on the test's backend. Background
    transfers still running when the test ends are waited for."""
    made: list[tuple[Flask, Store]] = []

    def make(**config: Any) -> tuple[Flask, Store]:
        app = Flask(f"store_test_{len(made)}", instance_path=str(tmp_path / f"instance{len(made)}"))
        app.config.update(TESTING=True, SECRET_KEY="test", **backend)
        app.config.update(config)
        store = Store(app)
        made.append((app, store))
        return app, store

    yield make
    for app, store in made:
        with app.app_context():
            store.background.wait(timeout=60)


@pytest.fixture
def store(make_app: Callable[..., tuple[Flask, Store]]) -> Iterator[Store]:
    """A ``Store`` with the backend's configuration, inside a request context of its app."""
    app, store = make_app()
    with app.test_request_context():
        yield store
