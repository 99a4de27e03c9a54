"""The fields work on every backend: memory, fs-local, fs-s3 (on moto, a real S3 server on
loopback) and fs-gridfs (in the same MongoDB as the documents: mongomock, or the server
``FS_TEST_MONGO_URL`` names). Each backend is loaded from its installed plugin."""

from __future__ import annotations

import io

import mongoengine as me
import pytest

import fs_core as fs
from fs_mongoengine import FileField, ImageField
from fs_testservers import unique_name
from fs_testservers.fixtures import moto_server  # noqa: F401  (fixture)

files = fs.Storage("anybackend", fs.ALL)
pics = fs.Storage("anybackendpics", fs.IMAGES)


class Record(me.Document):
    file = FileField(fs=files, upload_to=lambda doc: doc.owner, delete_files=True)
    image = ImageField(fs=pics, max_size=60, thumbnails=[20], delete_files=True)
    owner = me.StringField()


def _memory(request):
    return {"FS_BACKEND": "memory"}


def _local(request):
    return {"FS_BACKEND": "local", "FS_ROOT": str(request.getfixturevalue("tmp_path") / "root")}


def _s3(request):
    server = request.getfixturevalue("moto_server")
    config = server.fs_config(bucket=unique_name("mongoengine"))
    return {"FS_BACKEND": "s3", **{f"FS_S3_{key.upper()}": value for key, value in config.items()}}


def _gridfs(request):
    target = request.getfixturevalue("mongo")
    config = target.fs_config(request.getfixturevalue("database"))
    return {"FS_BACKEND": "gridfs", **{f"FS_GRIDFS_{key.upper()}": value for key, value in config.items()}}


BACKENDS = {"memory": _memory, "local": _local, "s3": _s3, "gridfs": _gridfs}


@pytest.fixture(params=sorted(BACKENDS))
def app(request, make_app):
    backend = request.param
    config = BACKENDS[backend](request)
    plugins = ("mongoengine", "images") + ((backend,) if backend != "memory" else ())
    app = make_app(files, pics, plugins=plugins, **config)
    with app.app_context():
        assert files.backend_name == pics.backend_name == backend
        yield app


def test_round_trip_serve_and_clean_up(app, pictures, raw):
    doc = Record(owner="ann")
    doc.file.save(io.BytesIO(b"on any backend"), "note.txt")
    doc.image.save(pictures.png((120, 90)), "pic.png")
    doc.save()

    loaded = Record.objects.get(id=doc.id)
    assert loaded.file.filename == "ann/note.txt"
    assert files.read(loaded.file.filename) == b"on any backend"
    client = app.test_client()
    response = client.get(loaded.file.url)
    assert (response.status_code, response.data) == (200, b"on any backend")
    main = pictures.opened(pics.read(loaded.image.filename))
    assert main.size == (60, 45)
    thumb = pictures.opened(client.get(loaded.image(20)).data)
    assert thumb.size == (20, 20)
    assert pictures.close(thumb.getpixel((1, 1)), pictures.RED)

    loaded.file.save(io.BytesIO(b"replaced"), "other.txt")
    loaded.save()
    assert sorted(files.list_files()) == ["ann/other.txt"]
    loaded.delete()
    assert list(files.list_files()) == []
    assert list(pics.list_files()) == []


def test_a_refused_image_leaves_nothing(app, pictures):
    from mongoengine.errors import ValidationError

    doc = Record()
    doc.image.save(pictures.png((120, 90)), "keep.png")
    before = {name: pics.read(name) for name in pics.list_files()}
    with pytest.raises(ValidationError):
        doc.image.save(io.BytesIO(b"garbage"), "keep.png", overwrite=True)
    with pytest.raises(ValidationError):
        doc.image.save(io.BytesIO(b"garbage"), "new.png")
    assert {name: pics.read(name) for name in pics.list_files()} == before
