"""Names from users, through a field, never leave the storage: fs-core's hostile names (the
contract suite's generator) as an explicit name, a client's name, a ``basename`` and an
``upload_to`` of the document, on fs-local with a root beside other files."""

from __future__ import annotations

import io
import os

import mongoengine as me
import pytest
from hypothesis import HealthCheck, given, settings
from mongoengine.errors import ValidationError
from werkzeug.datastructures import FileStorage

import fs_core as fs
from fs_core.naming import validate_name
from fs_core.testing.names import HOSTILE_NAMES
from fs_mongoengine import FileField, ImageField

storage = fs.Storage("hostilefiles", fs.ALL)


class Hostile(me.Document):
    value = me.StringField()
    plain = FileField(fs=storage, upload_to="inside")
    by_name = FileField(fs=storage, upload_to="inside", basename=lambda d: d.value)
    by_folder = FileField(fs=storage, upload_to=lambda d: f"inside/{d.value}")
    image = ImageField(fs=storage, upload_to="inside", thumbnails=[8])


def _snapshot(directory: str) -> set[str]:
    found = set()
    for root, dirs, names in os.walk(directory):
        for name in dirs + names:
            found.add(os.path.relpath(os.path.join(root, name), directory))
    return found


@pytest.fixture
def local_app(make_app, tmp_path):
    root = tmp_path / "root"
    beside = tmp_path / "beside"
    beside.mkdir()
    (beside / "keep.txt").write_bytes(b"outside")
    app = make_app(storage, plugins=("mongoengine", "images", "local"), FS_BACKEND="local", FS_ROOT=str(root))
    return app, tmp_path


def _attempt(call):
    try:
        return call()
    except (ValidationError, fs.FSError):
        return None


def test_hostile_names_stay_inside(local_app, pictures):
    app, top = local_app
    png = pictures.png((16, 16)).getvalue()
    outcomes = {"stored": 0, "refused": 0}
    with app.app_context():
        before = _snapshot(str(top))

        @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(name=HOSTILE_NAMES)
        def attempt(name: str) -> None:
            doc = Hostile(value=name)
            stored = [
                _attempt(lambda: doc.plain.save(io.BytesIO(b"x"), name, overwrite=True)),
                _attempt(
                    lambda: doc.plain.save(FileStorage(io.BytesIO(b"x"), filename=name), overwrite=True)
                ),
                _attempt(
                    lambda: doc.by_name.save(FileStorage(io.BytesIO(b"x"), filename="a.txt"), overwrite=True)
                ),
                _attempt(lambda: doc.by_folder.save(io.BytesIO(b"x"), "f.txt", overwrite=True)),
                _attempt(lambda: doc.image.save(io.BytesIO(png), name, overwrite=True)),
                _attempt(lambda: doc.image.save(FileStorage(io.BytesIO(png), filename=name), overwrite=True)),
            ]
            for result in stored:
                outcomes["refused" if result is None else "stored"] += 1
                if result is not None:
                    assert validate_name(result) == result
                    assert result.startswith("inside/"), result
                    assert storage.exists(result)
            for result in stored:
                if result is not None:
                    storage.delete(result)

        attempt()
        assert outcomes["stored"], outcomes  # both kinds were tried
        assert outcomes["refused"], outcomes
        after = _snapshot(str(top))
        outside = {path for path in after ^ before if not path.startswith("root")}
        assert outside == set()
        assert (top / "beside" / "keep.txt").read_bytes() == b"outside"
