"""Documents written by Flask-FS (inserted here as the raw dicts it stored, next to the files
it wrote) load unchanged, keep their shape when saved again, and can be re-rendered."""

from __future__ import annotations

import io

import mongoengine as me
import pytest
from bson import ObjectId
from PIL import Image

import fs_core as fs
from fs_mongoengine import FileField, ImageField, ImageReference

files = fs.Storage("legacyfiles", fs.ALL)
images = fs.Storage("legacyimages", fs.IMAGES)


class Legacy(me.Document):
    meta = {"collection": "legacy"}
    file = FileField(fs=files)
    image = ImageField(fs=images, upload_to="avatars", max_size=150, thumbnails=[100, 32])


def _flask_fs_png(size, color=(255, 0, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def app(app_context):
    with app_context(files, images) as context:
        yield context


@pytest.fixture
def flask_fs_image():
    """The files Flask-FS's ImageField wrote for a 400x300 upload with max_size=150 and
    thumbnails [100, 32] (thumbnails always PNG, an -original always kept)."""
    images.write("avatars/flask-original.png", _flask_fs_png((400, 300)))
    images.write("avatars/flask.png", _flask_fs_png((150, 112)))
    images.write("avatars/flask-100.png", _flask_fs_png((100, 100)))
    images.write("avatars/flask-32.png", _flask_fs_png((32, 32)))
    return {
        "filename": "avatars/flask.png",
        "original": "avatars/flask-original.png",
        "thumbnails": {"100": "avatars/flask-100.png", "32": "avatars/flask-32.png"},
        "bbox": [0, 0, 300, 300],
    }


def test_flask_fs_shapes_load(app, raw, flask_fs_image):
    _id = ObjectId()
    raw.legacy.insert_one({"_id": _id, "file": {"filename": "docs/report.pdf"}, "image": flask_fs_image})
    doc = Legacy.objects.get(id=_id)
    assert doc._changed_fields == []
    assert doc.file.filename == "docs/report.pdf"
    assert doc.file.url == "/legacyfiles/docs/report.pdf"
    image = doc.image
    assert isinstance(image, ImageReference)
    assert image.filename == "avatars/flask.png"
    assert image.original == "avatars/flask-original.png"
    assert image.thumbnail(100) == "avatars/flask-100.png"
    assert image.thumbnail(32) == "avatars/flask-32.png"
    assert image.bbox == [0, 0, 300, 300]
    assert image.full() == "/legacyimages/avatars/flask.png"
    assert image.full(external=True) == "http://fs.test/legacyimages/avatars/flask.png"
    assert image.best_url(100) == "/legacyimages/avatars/flask-100.png"
    assert image.best_url(90) == "/legacyimages/avatars/flask-100.png"
    assert image.best_url(30) == "/legacyimages/avatars/flask-32.png"
    assert image(32) == "/legacyimages/avatars/flask-32.png"
    # Flask-FS's documentation: the image itself without a size, and above every thumbnail.
    assert image.best_url() == image() == "/legacyimages/avatars/flask.png"
    assert image.best_url(200) == "/legacyimages/avatars/flask.png"
    assert image.best_url(100, external=True) == "http://fs.test/legacyimages/avatars/flask-100.png"
    assert doc._changed_fields == []


def test_saving_again_keeps_the_stored_shape(app, raw, flask_fs_image):
    _id = ObjectId()
    stored = {"_id": _id, "file": {"filename": "a.txt"}, "image": flask_fs_image}
    raw.legacy.insert_one(dict(stored))
    doc = Legacy.objects.get(id=_id)
    doc.save()
    Legacy.objects.get(id=_id).save()
    again = raw.legacy.find_one({"_id": _id})
    again.pop("_cls", None)
    assert again == stored


def test_a_bare_name_and_unknown_keys_load(app, raw):
    _id = ObjectId()
    raw.legacy.insert_one(
        {"_id": _id, "file": "plain.txt", "image": {"filename": "x.png", "extra": "ignored"}}
    )
    doc = Legacy.objects.get(id=_id)
    assert doc.file.filename == "plain.txt"
    assert doc.image.filename == "x.png"
    assert doc.image.original == "x.png"  # no -original: the image is the upload
    assert doc.image.thumbnail(100) is None  # a size of the field, never made for this image
    assert doc.image.best_url(10) == "/legacyimages/x.png"  # no thumbnail: the image itself
    with pytest.raises(ValueError, match="Unregistered thumbnail size 64"):
        doc.image.thumbnail(64)


def test_missing_and_null_values_load_empty(app, raw):
    first, second = ObjectId(), ObjectId()
    raw.legacy.insert_many([{"_id": first}, {"_id": second, "file": None, "image": None}])
    for _id in (first, second):
        doc = Legacy.objects.get(id=_id)
        assert not doc.file
        assert not doc.image
        assert doc.image.best_url() is None
        assert doc.image.full() is None
        assert str(doc.image) == ""


def test_thumbnails_of_an_older_configuration_are_still_found(app, raw):
    _id = ObjectId()
    raw.legacy.insert_one(
        {
            "_id": _id,
            "image": {"filename": "old.png", "thumbnails": {"200": "old-200.png", "32": "old-32.png"}},
        }
    )
    image = Legacy.objects.get(id=_id).image
    assert image.thumbnail(200) == "old-200.png"
    assert image.best_url(150) == "/legacyimages/old-200.png"
    assert image.best_url(300) == "/legacyimages/old.png"


def test_rerender_of_a_flask_fs_image_keeps_its_name(app, raw, flask_fs_image, pictures):
    """Flask-FS's rerender doubled the upload_to prefix (avatars/avatars/flask.png)."""
    images.write("avatars/flask-original.png", pictures.png((400, 300)).getvalue(), overwrite=True)
    _id = ObjectId()
    raw.legacy.insert_one({"_id": _id, "image": {**flask_fs_image, "bbox": None}})
    doc = Legacy.objects.get(id=_id)
    assert doc.image.rerender() == "avatars/flask.png"
    assert doc.image.filename == "avatars/flask.png"
    assert not any(name.startswith("avatars/avatars") for name in images.list_files())
    main = pictures.opened(images.read("avatars/flask.png"))
    assert main.size == (150, 112)
    assert pictures.close(main.getpixel((10, 10)), pictures.RED)
    assert pictures.close(main.getpixel((140, 100)), pictures.YELLOW)
    thumb = pictures.opened(images.read("avatars/flask-100.png"))
    assert thumb.size == (100, 100)
    doc.save()
    stored = raw.legacy.find_one({"_id": _id})["image"]
    assert stored["filename"] == "avatars/flask.png"
    assert stored["original"] == "avatars/flask-original.png"
    assert stored["thumbnails"] == {"100": "avatars/flask-100.png", "32": "avatars/flask-32.png"}
