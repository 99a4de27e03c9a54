"""Refused uploads are mongoengine ValidationErrors of the field, with fs-core's reason, and
leave nothing stored: no file, no variant, the previous file and value as they were."""

from __future__ import annotations

import io

import mongoengine as me
import pytest
from mongoengine.errors import ValidationError

import fs_core as fs
import fs_images
from fs_mongoengine import FileField, ImageField

pictures_storage = fs.Storage("valpics", fs.IMAGES)
anything = fs.Storage("valany", fs.ALL)


class Profile(me.Document):
    name = me.StringField()
    picture = FileField(fs=pictures_storage)
    attachment = FileField(fs=anything)
    avatar = ImageField(fs=anything, max_size=100, thumbnails=[50])
    photo = ImageField(fs=pictures_storage, thumbnails=[40])


@pytest.fixture
def app(app_context):
    with app_context(pictures_storage, anything, VALANY_FS_MAX_SIZE=200_000) as context:
        yield context


def _refused(call, field, pattern):
    with pytest.raises(ValidationError, match=pattern) as info:
        call()
    assert info.value.field_name == field
    assert isinstance(info.value.__cause__, fs.FSError)
    return info.value


def _everything():
    return sorted(pictures_storage.list_files()), sorted(anything.list_files())


def test_a_type_the_storage_refuses(app):
    doc = Profile()
    error = _refused(lambda: doc.picture.save(io.BytesIO(b"x"), "notes.txt"), "picture", "'.txt' files")
    assert isinstance(error.__cause__, fs.UnauthorizedFileType)
    assert not doc.picture
    assert _everything() == ([], [])


def test_a_file_over_max_size(app):
    doc = Profile()
    error = _refused(
        lambda: doc.attachment.save(io.BytesIO(b"x" * 200_001), "big.bin"), "attachment", "larger than"
    )
    assert isinstance(error.__cause__, fs.FileTooLarge)
    assert _everything() == ([], [])


def test_not_an_image(app, pictures):
    doc = Profile()
    error = _refused(lambda: doc.avatar.save(io.BytesIO(b"not an image"), "fake.png"), "avatar", "fake.png")
    assert isinstance(error.__cause__, fs_images.InvalidImage)
    truncated = pictures.png((300, 300)).getvalue()[:300]
    _refused(lambda: doc.avatar.save(io.BytesIO(truncated), "cut.png"), "avatar", "cut.png")
    _refused(lambda: doc.avatar.save(io.BytesIO(b"text"), "notes.txt"), "avatar", "not an image")
    assert not doc.avatar
    assert _everything() == ([], [])


def test_an_image_over_the_pixel_limit_of_a_processing_storage(make_app, pictures):
    storage = fs.Storage("limited", fs.IMAGES)

    class Limited(me.Document):
        image = ImageField(fs=storage, thumbnails=[10])

    app = make_app(storage, LIMITED_FS_IMAGES=True, LIMITED_FS_IMAGES_MAX_PIXELS=10_000)
    with app.app_context():
        doc = Limited()
        error = _refused(lambda: doc.image.save(pictures.png((200, 200)), "huge.png"), "image", "MAX_PIXELS")
        assert isinstance(error.__cause__, fs_images.ImageTooLarge)
        assert list(storage.list_files()) == []


def test_a_refused_replacement_keeps_the_previous_image(app, pictures):
    doc = Profile()
    doc.avatar.save(pictures.png((300, 200)), "me.png")
    doc.save()
    before = {name: anything.read(name) for name in anything.list_files()}
    assert set(before) == {"me.png", "me-original.png", "me-50.png"}
    loaded = Profile.objects.get(id=doc.id)
    _refused(lambda: loaded.avatar.save(io.BytesIO(b"garbage"), "me.png", overwrite=True), "avatar", "me.png")
    assert {name: anything.read(name) for name in anything.list_files()} == before
    assert loaded.avatar.filename == "me.png"
    assert loaded.avatar.thumbnails == {"50": "me-50.png"}
    assert loaded._changed_fields == []


def test_a_bad_bbox(app, pictures):
    doc = Profile()
    for bbox, pattern in (((0, 0, 500, 100), "not inside"), ((50, 50, 10, 10), "empty")):
        error = _refused(
            lambda bbox=bbox: doc.avatar.save(pictures.png(), "b.png", bbox=bbox), "avatar", pattern
        )
        assert isinstance(error.__cause__, fs.ProcessingError)
        assert isinstance(error.__cause__.__cause__, fs_images.InvalidBBox)
    assert _everything() == ([], [])


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/etc/passwd.txt", "a/../../b.txt", "a\\..\\b.txt", "x\x00.txt"]
)
def test_hostile_explicit_names(app, name):
    doc = Profile()
    error = _refused(lambda: doc.attachment.save(io.BytesIO(b"x"), name), "attachment", ".")
    assert isinstance(error.__cause__, fs.InvalidFilename)
    assert _everything() == ([], [])


def test_hostile_basename_and_upload_to(app_context):
    storage = fs.Storage("hostile", fs.ALL)

    class Owned(me.Document):
        owner = me.StringField()
        by_name = FileField(fs=storage, basename=lambda doc: doc.owner)
        by_folder = FileField(fs=storage, upload_to=lambda doc: doc.owner)

    with app_context(storage):
        doc = Owned(owner="../../../tmp/evil")
        _refused(lambda: doc.by_name.save(io.BytesIO(b"x")), "by_name", ".")
        _refused(lambda: doc.by_folder.save(io.BytesIO(b"x"), "f.txt"), "by_folder", ".")
        assert list(storage.list_files()) == []


def test_a_basename_that_gives_no_name(app_context):
    storage = fs.Storage("nobasename", fs.ALL)

    class Slugged(me.Document):
        slug = me.StringField()
        file = FileField(fs=storage, basename=lambda doc: doc.slug)

    with app_context(storage):
        doc = Slugged()  # no slug yet
        _refused(lambda: doc.file.save(io.BytesIO(b"x")), "file", "gave None, not a name")
        assert list(storage.list_files()) == []


def test_a_bbox_that_is_no_box(app, pictures):
    doc = Profile()
    with pytest.raises(ValidationError, match="bbox must be") as info:
        doc.avatar.save(pictures.png(), "b.png", bbox=("a", 1, 2, 3))
    assert info.value.field_name == "avatar"
    assert isinstance(info.value.__cause__, fs_images.InvalidBBox)  # a ValueError, as fs-images has it
    assert _everything() == ([], [])
