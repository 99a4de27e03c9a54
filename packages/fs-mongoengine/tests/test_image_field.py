"""ImageField: what it stores, checked by the pixels and dimensions of the files."""

from __future__ import annotations

import io

import mongoengine as me
import pytest
from mongoengine.errors import ValidationError
from werkzeug.datastructures import FileStorage

import fs_core as fs
from fs_mongoengine import ImageField
from fs_mongoengine import images as field_images

images = fs.Storage("pictures", fs.IMAGES)


class Photo(me.Document):
    owner = me.StringField()
    image = ImageField(fs=images, max_size=150, thumbnails=[32, 100])


class Plain(me.Document):
    image = ImageField(fs=images)


class Avatar(me.Document):
    owner = me.StringField()
    image = ImageField(fs=images, upload_to=lambda doc: f"users/{doc.owner}", thumbnails=[64])


@pytest.fixture
def app(app_context):
    with app_context(images) as context:
        yield context


def test_max_size_original_and_thumbnails(app, pictures, raw):
    doc = Photo(owner="a")
    upload = pictures.png((400, 300))
    assert doc.image.save(upload, "test.png") == "test.png"
    assert doc.image.filename == "test.png"
    assert doc.image.original == "test-original.png"
    assert doc.image.thumbnail(100) == "test-100.png"
    assert doc.image.thumbnail(32) == "test-32.png"

    main = pictures.opened(images.read("test.png"))
    assert main.size == (150, 112)  # fits in 150, aspect ratio kept
    assert pictures.close(main.getpixel((5, 5)), pictures.RED)
    assert pictures.close(main.getpixel((144, 5)), pictures.GREEN)
    assert pictures.close(main.getpixel((5, 107)), pictures.BLUE)
    assert pictures.close(main.getpixel((144, 107)), pictures.YELLOW)
    original = pictures.opened(images.read("test-original.png"))
    assert original.size == (400, 300)
    for size in (100, 32):
        thumb = pictures.opened(images.read(f"test-{size}.png"))
        assert thumb.size == (size, size)
        # A centred square crop of the four quadrants: each corner keeps its colour.
        assert pictures.close(thumb.getpixel((1, 1)), pictures.RED)
        assert pictures.close(thumb.getpixel((size - 2, 1)), pictures.GREEN)
        assert pictures.close(thumb.getpixel((1, size - 2)), pictures.BLUE)
        assert pictures.close(thumb.getpixel((size - 2, size - 2)), pictures.YELLOW)

    doc.save()
    assert raw.photo.find_one({"_id": doc.id})["image"] == {
        "filename": "test.png",
        "original": "test-original.png",
        "thumbnails": {"100": "test-100.png", "32": "test-32.png"},
    }
    loaded = Photo.objects.get(id=doc.id)
    assert loaded.image == doc.image
    assert loaded.image.best_url(50) == "/pictures/test-100.png"


def test_bbox_crops_the_thumbnails_and_is_kept(app, pictures, raw):
    doc = Photo()
    doc.image.save(pictures.png((400, 300)), "crop.png", bbox=(200, 150, 400, 300))  # yellow
    for size in (100, 32):
        thumb = pictures.opened(images.read(f"crop-{size}.png"))
        assert thumb.size == (size, size)
        for point in ((1, 1), (size - 2, 1), (size // 2, size // 2), (size - 2, size - 2)):
            assert pictures.close(thumb.getpixel(point), pictures.YELLOW), point
    main = pictures.opened(images.read("crop.png"))
    assert pictures.close(main.getpixel((5, 5)), pictures.RED)  # the image itself is not cropped
    doc.save()
    assert raw.photo.find_one({"_id": doc.id})["image"]["bbox"] == [200.0, 150.0, 400.0, 300.0]
    loaded = Photo.objects.get(id=doc.id)
    assert loaded.image.bbox == [200.0, 150.0, 400.0, 300.0]
    # A new image without a box: thumbnails of the whole image, and no box stored.
    loaded.image.save(pictures.png((400, 300)), "crop.png", overwrite=True)
    assert loaded.image.bbox is None
    thumb = pictures.opened(images.read("crop-100.png"))
    assert pictures.close(thumb.getpixel((1, 1)), pictures.RED)


def test_an_image_that_fits_is_stored_as_it_is(app, pictures):
    doc = Plain()
    data = pictures.png((120, 80)).getvalue()
    doc.image.save(io.BytesIO(data), "small.png")
    assert doc.image.original == "small.png"  # nothing kept aside: nothing was changed
    assert doc.image.to_mongo() == {"filename": "small.png"}
    stored = pictures.opened(images.read("small.png"))
    assert stored.size == (120, 80)
    assert sorted(images.list_files()) == ["small.png"]


def test_thumbnails_keep_the_format(app, pictures):
    doc = Photo()
    doc.image.save(pictures.jpeg((400, 300)), "photo.jpg")
    for name in ("photo.jpg", "photo-100.jpg", "photo-32.jpg"):
        assert pictures.opened(images.read(name)).format == "JPEG"


def test_a_clients_name_is_made_safe(app, pictures):
    doc = Photo()
    doc.image.save(FileStorage(pictures.png(), filename="../../Holiday Photo.PNG"))
    assert doc.image.filename == "Holiday_Photo.png"
    assert doc.image.thumbnail(32) == "Holiday_Photo-32.png"
    assert images.exists("Holiday_Photo-32.png")


def test_rerender_with_upload_to_keeps_the_name(app, pictures):
    doc = Avatar(owner="ann")
    doc.image.save(pictures.png((300, 300)), "me.png")
    assert doc.image.filename == "users/ann/me.png"
    images.delete("users/ann/me-64.png")  # lost: rerender makes it again
    assert doc.image.rerender() == "users/ann/me.png"
    images.delete("users/ann/me-64.png")
    assert doc.image.render() == "users/ann/me.png"  # the name Flask-FS's documentation used
    assert doc.image.filename == "users/ann/me.png"
    assert doc.image.thumbnails == {"64": "users/ann/me-64.png"}
    assert pictures.opened(images.read("users/ann/me-64.png")).size == (64, 64)
    assert sorted(images.list_files()) == ["users/ann/me-64.png", "users/ann/me.png"]


def test_rerender_takes_new_sizes_and_marks_the_old_thumbnails_stale(app, pictures, raw):
    doc = Photo()
    doc.image.save(pictures.png((400, 300)), "re.png")
    doc.save()

    class PhotoV2(me.Document):  # the same documents, declared with other sizes
        meta = {"collection": "photo"}
        owner = me.StringField()
        image = ImageField(fs=images, max_size=150, thumbnails=[64])

    loaded = PhotoV2.objects.get(id=doc.id)
    loaded.image.rerender()
    assert loaded.image.thumbnails == {"64": "re-64.png"}
    assert loaded.image.original == "re-original.png"
    assert pictures.opened(images.read("re-64.png")).size == (64, 64)
    assert loaded._changed_fields == ["image"]
    assert set(loaded.image.stale) == {"re.png"}
    assert loaded.image.stale["re.png"] >= {"re-100.png", "re-32.png"}
    loaded.save()
    assert raw.photo.find_one({"_id": doc.id})["image"]["thumbnails"] == {"64": "re-64.png"}


def test_best_url_does_not_change_the_field(app, pictures):
    field = Photo._fields["image"]
    doc = Photo()
    doc.image.save(pictures.png(), "b.png")
    assert doc.image.best_url(40) == "/pictures/b-100.png"
    assert doc.image.best_url(32) == "/pictures/b-32.png"
    assert doc.image.best_url(101) == "/pictures/b.png"
    assert field.thumbnail_sizes == (32, 100)  # as declared: Flask-FS sorted it in place
    assert doc.image.thumbnail_sizes == (32, 100)


def test_an_empty_image(app):
    doc = Photo()
    assert not doc.image
    assert doc.image.original is None
    assert doc.image.best_url() is None
    assert doc.image(100) is None
    assert doc.image.full(external=True) is None
    assert doc.image.thumbnail(100) is None
    with pytest.raises(fs.FileNotFound, match="no image to render"):
        doc.image.rerender()


def test_a_new_image_does_not_take_another_files_variant_names(app_context, pictures):
    renaming = fs.Storage("renamingpics", fs.IMAGES)

    class Pic(me.Document):
        image = ImageField(fs=renaming, thumbnails=[100])

    with app_context(renaming, RENAMINGPICS_FS_ON_CONFLICT="rename"):
        renaming.write("x-100.png", b"someone else's file")
        doc = Pic()
        doc.image.save(pictures.png(), "x.png")
        assert doc.image.filename == "x_1.png"
        assert doc.image.thumbnail(100) == "x_1-100.png"
        assert renaming.read("x-100.png") == b"someone else's file"
        assert not renaming.exists("x.png")


def test_variant_names_taken_without_renaming_is_an_error(app, pictures):
    images.write("y-32.png", b"not yours")
    doc = Photo()
    with pytest.raises(fs.FileExists, match=r"y-32\.png"):
        doc.image.save(pictures.png(), "y.png")
    assert images.read("y-32.png") == b"not yours"
    assert sorted(images.list_files()) == ["y-32.png"]
    assert not doc.image


def test_settings_come_from_the_field_over_the_app(make_app):
    storage = fs.Storage("optim", fs.IMAGES)
    app = make_app(storage, FS_IMAGES_OPTIMIZE=True)
    with app.app_context():
        inherited = field_images.field_settings(storage, max_size=None, thumbnails=None, optimize=None)
        assert inherited.field.optimize is True
        assert inherited.storage is None
        override = field_images.field_settings(storage, max_size=64, thumbnails=[8, 16, 8], optimize=False)
        assert override.field.optimize is False
        assert override.field.max_size == 64
        assert override.field.thumbnails == (16, 8)


def test_field_optimize_over_the_app_setting(make_app, pictures):
    storage = fs.Storage("optimized", fs.IMAGES)

    class Optimized(me.Document):
        image = ImageField(fs=storage, optimize=False)

    app = make_app(storage, FS_IMAGES_OPTIMIZE=True)
    with app.app_context():
        doc = Optimized()
        data = pictures.jpeg((640, 480)).getvalue()
        doc.image.save(io.BytesIO(data), "o.jpg")
        assert doc.image.original == "o.jpg"  # optimize=False: not re-encoded, nothing kept aside
        assert sorted(storage.list_files()) == ["o.jpg"]


def test_a_storage_that_processes_images_itself(make_app, pictures):
    """The storage's fs-images settings are the base; the field's values go on top."""
    storage = fs.Storage("processing", fs.IMAGES)

    class Same(me.Document):
        image = ImageField(fs=storage, thumbnails=[48])

    class Other(me.Document):
        image = ImageField(fs=storage, thumbnails=[20], max_size=100)

    app = make_app(storage, PROCESSING_FS_IMAGES_THUMBNAILS=[48])
    with app.app_context():
        same = Same()
        same.image.save(pictures.png((200, 100)), "same.png")
        assert same.image.thumbnails == {"48": "same-48.png"}
        assert pictures.opened(storage.read("same-48.png")).size == (48, 48)

        other = Other()
        other.image.save(pictures.png((400, 300)), "other.png")
        assert other.image.thumbnails == {"20": "other-20.png"}
        assert other.image.original == "other-original.png"
        assert pictures.opened(storage.read("other.png")).size == (100, 75)
        assert pictures.opened(storage.read("other-20.png")).size == (20, 20)
        assert pictures.opened(storage.read("other-original.png")).size == (400, 300)


def test_saves_outside_a_field_are_left_alone(app, pictures):
    images.save(pictures.png(), "direct.png")
    assert sorted(images.list_files()) == ["direct.png"]


def test_the_plugin_must_be_loaded(make_app, pictures):
    app = make_app(images, plugins=("images",))
    with app.app_context():
        with pytest.raises(fs.ConfigurationError, match="add 'mongoengine' to FS_PLUGINS"):
            Photo().image.save(pictures.png(), "p.png")
        assert list(images.list_files()) == []


def test_saving_needs_an_application_context(make_app, pictures):
    make_app(images)
    with pytest.raises(RuntimeError, match="application context"):
        Photo().image.save(pictures.png(), "p.png")


def test_a_processing_storage_in_an_app_without_fs_images_plugin(make_app, pictures):
    """The storage's settings say it processes images, but fs-images' plugin is not loaded:
    the field processes the image itself, and what it records exists."""
    storage = fs.Storage("unplugged", fs.IMAGES)

    class Unplugged(me.Document):
        image = ImageField(fs=storage, thumbnails=[48])

    app = make_app(storage, plugins=("mongoengine",), UNPLUGGED_FS_IMAGES_THUMBNAILS=[48])
    with app.app_context():
        doc = Unplugged()
        doc.image.save(pictures.png((200, 100)), "u.png")
        assert doc.image.thumbnails == {"48": "u-48.png"}
        assert pictures.opened(storage.read("u-48.png")).size == (48, 48)


def test_query_by_image_names(app, pictures):
    doc = Photo()
    doc.image.save(pictures.png(), "q.png")
    doc.save()
    Photo(image="other.png").save()
    assert [d.id for d in Photo.objects(image__filename="q.png")] == [doc.id]
    assert [d.id for d in Photo.objects(image__original="q-original.png")] == [doc.id]
    assert [d.id for d in Photo.objects(image__thumbnails__32="q-32.png")] == [doc.id]


class Probe:
    """A plugin that looks at each file as soon as it is stored, before any processor."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    @fs.hookimpl(tryfirst=True)
    def after_save(self, storage, filename):
        self.stored[filename] = storage.read(filename)


def _gps_jpeg(pictures) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)  # GPSLatitude
    out = io.BytesIO()
    pictures.quadrants((400, 300)).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def test_a_photos_gps_position_is_never_stored(make_app, pictures):
    storage = fs.Storage("gps", fs.IMAGES)

    class Snap(me.Document):
        image = ImageField(fs=storage, max_size=200, thumbnails=[50])

    probe = Probe()
    app = make_app(storage, plugins=("mongoengine", "images", probe))
    with app.app_context():
        doc = Snap()
        doc.image.save(io.BytesIO(_gps_jpeg(pictures)), "snap.jpg")
        assert set(probe.stored) == {"snap.jpg"}  # what was first stored, before processing
        first = pictures.opened(probe.stored["snap.jpg"])
        assert not first.getexif().get_ifd(0x8825)
        assert first.size == (400, 300)
        for name in storage.list_files():
            assert not pictures.opened(storage.read(name)).getexif().get_ifd(0x8825), name
        assert pictures.opened(storage.read("snap.jpg")).size == (200, 150)


def test_a_bad_image_is_refused_before_anything_is_stored(make_app):
    probe = Probe()
    app = make_app(images, plugins=("mongoengine", "images", probe))
    with app.app_context():
        doc = Photo()
        with pytest.raises(ValidationError, match="not a PNG image"):
            doc.image.save(io.BytesIO(b"\x89PNG but not really"), "bad.png")
        assert probe.stored == {}
        assert list(images.list_files()) == []
