"""fs-gridfs in an application: configured by keys, loaded from its entry point, serving
files and signed URLs through fs-core's view."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.datastructures import FileStorage

import fs_core as fs


@pytest.fixture
def app(fs_make_app, mongo, database):
    """An app whose storages are on gridfs, with the plugin loaded as users get it."""
    config = {f"FS_GRIDFS_{k.upper()}": v for k, v in mongo.fs_config(database).items()}
    return fs_make_app(
        "gridfs",
        storages=[fs.Storage("files", fs.ALL), fs.Storage("private", fs.ALL)],
        FS_BACKEND="gridfs",
        PRIVATE_FS_PRIVATE=True,
        **config,
    )


def test_upload_read_serve(app):
    files = fs.storage_named("files", app)
    with app.app_context():
        upload = FileStorage(io.BytesIO(b"hello gridfs"), filename="Hello World.TXT")
        name = files.save(upload)
        assert files.read(name) == b"hello gridfs"
        url = files.url(name)
    response = app.test_client().get(url, headers={"Range": "bytes=6-11"})
    assert (response.status_code, response.data) == (206, b"gridfs")
    assert response.headers["Content-Type"].startswith("text/plain")


def test_signed_urls_are_the_apps_own(app):
    private = fs.storage_named("private", app)
    with app.app_context():
        private.write("secret.txt", b"for your eyes")
        assert private.backend.signed_url("secret.txt", 60) is None  # MongoDB has none
        url = private.signed_url("secret.txt", expires=60)
    assert url.startswith("http://fs.test/private/secret.txt?")
    client = app.test_client()
    assert client.get(url).data == b"for your eyes"
    assert client.get("/private/secret.txt").status_code in (403, 404)


def test_commands_show_the_backend_and_clean_it(app):
    runner = app.test_cli_runner()
    storages = json.loads(runner.invoke(args=["fs", "storages"]).output)
    files = next(row for row in storages if row["name"] == "files")
    assert files["backend"] == "gridfs"
    assert "atomic_create" in files["capabilities"]
    result = runner.invoke(args=["fs", "clean", "files", "--older-than", "0"])
    assert result.exit_code == 0, result.output
