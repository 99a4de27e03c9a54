"""One client per app and URL, made on first use and reused; options passed through."""

from __future__ import annotations

import io

import pytest

import fs_core as fs
from fs_core.errors import ConfigurationError
from fs_gridfs import plugin
from fs_gridfs.clients import EXTENSION, client_class


class Recording:
    """A client class that records how it was made, and stores through the target's."""

    made: list[tuple[str, dict]] = []
    inner: type | None = None

    def __new__(cls, url, **options):
        cls.made.append((url, options))
        return (cls.inner or client_class(None))(url, **options)


@pytest.fixture
def recording(mongo):
    Recording.made = []
    Recording.inner = mongo.client_class
    return Recording


def _app(fs_make_app, mongo, database, storages, **config):
    return fs_make_app(
        plugin,
        storages=storages,
        FS_BACKEND="gridfs",
        FS_GRIDFS_MONGO_URL=mongo.url,
        FS_GRIDFS_MONGO_DB=database,
        FS_GRIDFS_CLIENT_CLASS=Recording,
        **config,
    )


def test_one_client_per_app_and_url_made_on_first_use(fs_make_app, mongo, database, recording):
    files, images, other = fs.Storage("files"), fs.Storage("images"), fs.Storage("other")
    app = _app(
        fs_make_app,
        mongo,
        database,
        [files, images, other],
        OTHER_FS_MONGO_URL=mongo.url + "/?appname=other",  # another URL: its own client
        OTHER_FS_MONGO_DB=database,
    )
    assert recording.made == []  # nothing at init_app
    with app.app_context():
        files.write("a.txt", b"a")
        assert len(recording.made) == 1
        images.write("b.txt", b"b")
        files.read("a.txt")
        assert len(recording.made) == 1  # reused, by both storages
        assert images.backend.client is files.backend.client
        other.write("c.txt", b"c")
        assert len(recording.made) == 2
        assert other.backend.client is not files.backend.client
    assert len(app.extensions[EXTENSION]) == 2

    second = _app(fs_make_app, mongo, database, [fs.Storage("files")])
    with second.app_context():
        assert fs.storage_named("files").read("a.txt") == b"a"  # the same data, its own client
    assert len(recording.made) == 3


def test_client_options_pass_through(fs_make_app, mongo, database, recording):
    files = fs.Storage("files")
    app = _app(
        fs_make_app,
        mongo,
        database,
        [files],
        FS_GRIDFS_SERVER_SELECTION_TIMEOUT=2.5,
        FILES_FS_CLIENT_OPTIONS={"maxPoolSize": 7, "appname": "mine"},
    )
    with app.app_context():
        files.save(io.BytesIO(b"x"), "x.txt")
    ((url, options),) = recording.made
    assert url == mongo.url
    assert options["maxPoolSize"] == 7
    assert options["appname"] == "mine"  # the user's over fs-gridfs's own
    assert options["serverSelectionTimeoutMS"] == 2500
    assert options["tz_aware"] is True


def test_client_class_by_dotted_path():
    assert client_class("collections:OrderedDict").__name__ == "OrderedDict"
    assert client_class("collections.OrderedDict").__name__ == "OrderedDict"
    assert client_class(None).__name__ == "MongoClient"
    with pytest.raises(ConfigurationError, match="cannot be imported"):
        client_class("no_such_module:Client")
    with pytest.raises(ConfigurationError, match="does not name a class"):
        client_class("fs_gridfs.clients:EXTENSION")


def test_unknown_client_options_are_a_configuration_error(make_backend):
    backend = make_backend(client_class=None, client_options={"noSuchOption": 1})
    with pytest.raises(ConfigurationError, match="CLIENT_OPTIONS"):
        backend.exists("a.txt")
