"""Configuration: Flask-FS's keys through the cascade, validation that names the key, and
nothing contacting MongoDB before the first operation."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fs_core as fs
from fs_core.config import Config
from fs_core.errors import BackendError, ConfigurationError
from fs_core.testing import child_env
from fs_gridfs import plugin
from fs_gridfs.backend import GridFSBackend
from fs_gridfs.clients import EXTENSION
from fs_gridfs.settings import GridFSSettings, redact


def settings(name: str = "files", **config: object) -> GridFSSettings:
    return GridFSSettings.from_config(name, Config(config))


def test_flask_fs_keys_and_defaults():
    s = settings(mongo_url="mongodb://db.example:27017", mongo_db="app")
    assert (s.url, s.database, s.bucket) == ("mongodb://db.example:27017", "app", "files")
    assert s.chunk_size == 255 * 1024  # GridFS's default
    assert s.server_selection_timeout == 10.0


def test_database_from_the_url_unless_mongo_db_says_otherwise():
    assert settings(mongo_url="mongodb://h1,h2:27018/fromurl?replicaSet=rs").database == "fromurl"
    assert settings(mongo_url="mongodb://h/fromurl", mongo_db="explicit").database == "explicit"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "FS_GRIDFS_MONGO_URL or FILES_FS_MONGO_URL"),
        ({"mongo_url": "http://h"}, "must start with mongodb://"),
        ({"mongo_url": "mongodb://h"}, "set MONGO_DB"),
        ({"mongo_url": "mongodb://h", "mongo_db": "a.b"}, "not a valid MongoDB database name"),
        ({"mongo_url": "mongodb://h/d", "bucket": "x$y"}, "not a valid GridFS bucket name"),
        ({"mongo_url": "mongodb://h/d", "bucket": "system.x"}, "not a valid GridFS bucket name"),
        ({"mongo_url": "mongodb://h/d", "chunk_size": 16 << 20}, "CHUNK_SIZE must be at most 15 MiB"),
        ({"mongo_url": "mongodb://h/d", "chunk_size": "lots"}, "CHUNK_SIZE must be a size"),
        ({"mongo_url": "mongodb://h/d", "client_options": "tls=true"}, "CLIENT_OPTIONS must be a dict"),
        ({"mongo_url": "mongodb://h/d", "server_selection_timeout": 0}, "SERVER_SELECTION_TIMEOUT"),
    ],
)
def test_bad_values_name_their_key(config, message):
    with pytest.raises(ConfigurationError, match=message):
        settings(**config)


def test_sizes_accept_units():
    s = settings(mongo_url="mongodb://h/d", chunk_size="1MiB", write_buffer="8 MB", read_ahead=65536)
    assert (s.chunk_size, s.write_buffer, s.read_ahead) == (1 << 20, 8 << 20, 65536)
    assert (s.chunks_per_write, s.chunks_per_read) == (8, 1)


def test_passwords_never_shown():
    assert redact("mongodb://app:s3cret@h1,h2/db") == "mongodb://app:***@h1,h2/db"
    assert redact("mongodb+srv://app@cluster.example/db") == "mongodb+srv://app@cluster.example/db"
    with pytest.raises(ConfigurationError) as info:
        settings(mongo_url="mongodb://app:s3cret@h")  # no database
    assert "s3cret" not in str(info.value)
    backend = GridFSBackend("files", Config(mongo_url="mongodb://app:s3cret@h/db"))
    assert "s3cret" not in repr(backend)


def test_cascade_backend_level_then_storage_level(fs_make_app, mongo):
    files, images = fs.Storage("files"), fs.Storage("images")
    app = fs_make_app(
        plugin,
        storages=[files, images],
        FS_BACKEND="gridfs",
        FS_GRIDFS_MONGO_URL="mongodb://shared:27017",
        FS_GRIDFS_MONGO_DB="app",
        FS_GRIDFS_CHUNK_SIZE="64KiB",
        IMAGES_FS_MONGO_DB="media",
        IMAGES_FS_BUCKET="pictures",
    )
    with app.app_context():
        assert files.backend.settings.database == "app"
        assert images.backend.settings.database == "media"
        assert (files.backend.settings.bucket, images.backend.settings.bucket) == ("files", "pictures")
        assert images.backend.settings.chunk_size == 64 * 1024


def test_bucket_is_per_storage_only(fs_make_app):
    with pytest.raises(ConfigurationError, match="BUCKET"):
        fs_make_app(
            plugin,
            storages=[fs.Storage("files")],
            FS_BACKEND="gridfs",
            FS_GRIDFS_MONGO_URL="mongodb://h/db",
            FS_GRIDFS_BUCKET="shared",
        )


def test_nothing_connects_at_init_app(fs_make_app, closed_port_url):
    """A storage whose server is down lets the app start; no client exists until the first
    operation, which fails with the core's error."""
    files = fs.Storage("files")
    app = fs_make_app(
        plugin,
        storages=[files],
        FS_BACKEND="gridfs",
        FS_GRIDFS_MONGO_URL=closed_port_url,
        FS_GRIDFS_MONGO_DB="app",
        FS_GRIDFS_SERVER_SELECTION_TIMEOUT=0.2,
    )
    registry = app.extensions[EXTENSION]
    assert len(registry) == 0
    with app.app_context():
        assert files.backend._client is None
        with pytest.raises(BackendError, match="cannot reach MongoDB"):
            files.exists("a.txt")
    assert len(registry) == 1


def test_importing_the_plugin_does_not_import_pymongo():
    code = (
        "import json, sys, fs_gridfs, fs_gridfs.plugin;"
        "print(json.dumps(sorted(m for m in ('pymongo', 'gridfs', 'bson') if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_env()
    ).stdout
    assert json.loads(out) == []
