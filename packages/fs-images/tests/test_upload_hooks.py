"""What fs-images does before an upload is first stored: the names a new image takes
(fs-core's ``check_target`` hook) and the upload with its metadata removed (``prepare_upload``).
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

import fs_core
import fs_images
from fs_core.errors import FileExists, FileTooLarge, UnauthorizedFileType
from fs_core.testing import child_env, kill_9_when
from fs_images import InvalidImage, ReservedName, pipeline, processing


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def files(storage) -> list[str]:
    return sorted(storage.list_files())


def colour(storage, name: str, img) -> tuple[int, ...]:
    return img.opened(storage.read(name)).convert("RGB").getpixel((2, 2))


# -- names: variants belong to their image ----------------------------------------------------

VARIANTS = [
    "holiday-64.jpg",
    "holiday-original.jpg",
    "holiday.jpg.webp",
    "holiday.jpg.avif",
    "holiday-64.jpg.webp",
]
SHARED = {
    "PHOTOS_FS_IMAGES_THUMBNAILS": [64],
    "PHOTOS_FS_IMAGES_MAX_SIZE": 200,  # an -original is kept
    "PHOTOS_FS_IMAGES_WEBP": True,
}


def someone_elses(name: str, img) -> bytes:
    """A file of that name as another user would upload it (a real image where the storage
    processes that extension)."""
    if name.endswith(".webp"):
        return img.encode(img.quadrants((90, 60)), "WEBP")
    if name.endswith(".avif"):
        if processing.format_for(name) is None:  # this Pillow cannot write AVIF: not an image here
            return b"not processed"
        return img.encode(img.quadrants((90, 60)), "AVIF")
    return img.jpeg(img.quadrants((90, 60)))


def red(img, size=(300, 200)) -> bytes:
    return img.jpeg(Image.new("RGB", size, img.RED))


@pytest.mark.parametrize("taken", VARIANTS)
def test_rename_gives_a_new_image_a_name_whose_variants_are_free(photo_app, photos, img, taken):
    with photo_app(PHOTOS_FS_ON_CONFLICT="rename", **SHARED):
        assert photos.save(io.BytesIO(someone_elses(taken, img)), taken) == taken  # user A
        theirs = {name: photos.read(name) for name in files(photos)}
        name = photos.save(io.BytesIO(red(img)), "holiday.jpg")  # user B: holiday.jpg is free
        assert name == "holiday_1.jpg"
        mine = set(files(photos)) - set(theirs)
        assert mine == {
            "holiday_1.jpg",
            "holiday_1-original.jpg",
            "holiday_1-64.jpg",
            "holiday_1.jpg.webp",
            "holiday_1-64.jpg.webp",
        }
        assert {n: photos.read(n) for n in theirs} == theirs  # A's files untouched
        photos.delete(name)  # B deletes its image: its own variants go, A's files stay
        assert {n: photos.read(n) for n in files(photos)} == theirs


def test_an_existing_image_s_variants_are_not_renamed_around(photo_app, photos, img):
    with photo_app(PHOTOS_FS_ON_CONFLICT="rename", **SHARED):
        photos.save(io.BytesIO(red(img)), "holiday.jpg")
        # holiday.jpg exists: the core renames the upload as always, whatever its variants.
        assert photos.save(io.BytesIO(red(img)), "holiday.jpg") == "holiday_1.jpg"


@pytest.mark.parametrize("how", ["save", "write"])
def test_error_mode_refuses_a_new_image_whose_variant_name_is_taken(photo_app, photos, img, how):
    with photo_app(**SHARED):
        photos.save(io.BytesIO(someone_elses("holiday.jpg.webp", img)), "holiday.jpg.webp")
        before = {name: photos.read(name) for name in files(photos)}
        with pytest.raises(FileExists) as info:
            if how == "save":
                photos.save(io.BytesIO(red(img)), "holiday.jpg")
            else:
                photos.write("holiday.jpg", red(img))
        assert "'holiday.jpg.webp' exists in storage 'photos'" in str(info.value)
        assert "its WebP variant a new image 'holiday.jpg' would get" in str(info.value)
        assert {name: photos.read(name) for name in files(photos)} == before


def test_overwrite_mode_replaces_an_image_s_own_variants_only(photo_app, photos, img):
    with photo_app(PHOTOS_FS_OVERWRITE=True, **SHARED):
        photos.save(io.BytesIO(someone_elses("holiday-64.jpg", img)), "holiday-64.jpg")
        theirs = photos.read("holiday-64.jpg")
        # Nothing is stored as holiday.jpg: this would be a new image, over A's file.
        with pytest.raises(FileExists, match=r"'holiday-64\.jpg' exists.*its 64 px thumbnail"):
            photos.save(io.BytesIO(red(img)), "holiday.jpg")
        assert photos.read("holiday-64.jpg") == theirs
        assert not photos.exists("holiday.jpg")

        # One's own image: replacing it replaces its variants, as before.
        photos.save(io.BytesIO(red(img)), "mine.jpg")
        assert colour(photos, "mine-64.jpg", img) == pytest.approx(img.RED, abs=10)
        photos.save(io.BytesIO(img.jpeg(Image.new("RGB", (300, 200), img.BLUE))), "mine.jpg")
        assert colour(photos, "mine-64.jpg", img) == pytest.approx(img.BLUE, abs=10)
        assert colour(photos, "mine-original.jpg", img) == pytest.approx(img.BLUE, abs=10)
        assert photos.read("holiday-64.jpg") == theirs


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("how", ["save", "overwrite", "write"])
def test_the_name_of_a_stored_image_s_variant_is_refused(photo_app, photos, img, name, how):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[64], PHOTOS_FS_ON_CONFLICT="rename"):  # no WebP, no -original
        photos.save(io.BytesIO(red(img)), "holiday.jpg")
        before = {n: photos.read(n) for n in files(photos)}
        assert sorted(before) == ["holiday-64.jpg", "holiday.jpg"]
        data = someone_elses(name, img)
        if how == "save":
            # A new file: taken in effect, so rename mode takes the next free name, as it does
            # for a stored file (holiday-64.jpg is one too).
            stored = photos.save(io.BytesIO(data), name)
            stem, _, ext = name.rpartition(".")
            assert stored == f"{stem}_1.{ext}"
            assert photos.read(stored) == data
            assert {n: photos.read(n) for n in before} == before  # the image and its variants intact
            return
        with pytest.raises(ReservedName) as info:
            if how == "write":
                photos.write(name, data, overwrite=True)
            else:
                photos.save(io.BytesIO(data), name, overwrite=how == "overwrite")
        assert isinstance(info.value, UnauthorizedFileType)
        message = str(info.value)
        assert f"{name!r} is the name of" in message
        assert "'holiday.jpg' in storage 'photos'" in message or "'holiday-64.jpg' in storage" in message
        assert {n: photos.read(n) for n in files(photos)} == before


def test_names_that_are_no_variant_are_free(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[64]):
        photos.save(io.BytesIO(red(img)), "holiday.jpg")
        for name in (
            "holiday-100.jpg",
            "holiday-2024.jpg",
            "holiday-64.png",
            "other-64.jpg",
            "a/holiday-64.jpg",
        ):
            photos.save(io.BytesIO(img.png() if name.endswith(".png") else red(img)), name)
        photos.write("holiday.jpg.txt", b"notes")
        assert "holiday-2024.jpg" in files(photos)


def test_storages_without_images_take_any_name(make_app, img):
    plain = fs_core.Storage("plain", fs_core.ALL)
    with make_app(plain).app_context():
        plain.save(io.BytesIO(red(img)), "holiday.jpg")
        plain.save(io.BytesIO(red(img)), "holiday-64.jpg")
        plain.write("holiday.jpg.webp", b"x")
        assert files(plain) == ["holiday-64.jpg", "holiday.jpg", "holiday.jpg.webp"]


def test_the_checks_cost_a_few_exists_calls(photo_app, photos, img, monkeypatch):
    from fs_core.memory import MemoryBackend

    calls = []
    real = MemoryBackend.exists
    monkeypatch.setattr(MemoryBackend, "exists", lambda self, name: calls.append(name) or real(self, name))
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[256, 64], PHOTOS_FS_IMAGES_WEBP=True):
        variants = fs_images.variant_names("a.jpg", fs_images.settings_for(photos))
        calls.clear()
        photos.save(io.BytesIO(red(img)), "a.jpg")
        checked = [name for name in calls if name in variants]
        assert sorted(checked) == sorted(variants)  # each once: 9 for two thumbnail sizes
        calls.clear()
        photos.save(io.BytesIO(red(img)), "b-64.jpg")  # may be a variant of b.jpg: one more
        assert sorted(
            set(calls) - set(fs_images.variant_names("b-64.jpg", fs_images.settings_for(photos)))
        ) == ["b.jpg"]


# -- prepare_upload: the raw upload is never stored -----------------------------------------------


class FirstSeen:
    """Records each file as it is before any processor works on it (registered after
    fs-images, so its after_save runs first)."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    @fs_core.hookimpl
    def after_save(self, storage, filename):
        self.stored[filename] = storage.read(filename)


def _scan(data: bytes) -> bytes:
    return data[data.index(b"\xff\xda") :]


@pytest.mark.parametrize("how", ["save", "save from disk", "write", "unseekable save", "hash naming"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_upload_is_first_stored_without_its_metadata(
    make_app, photos, img, fs_register_plugin, tmp_path, monkeypatch, how, fmt
):
    source = img.encode(img.noisy((300, 200)), fmt, exif=img.gps_exif(), icc_profile=img.srgb_icc())
    assert img.opened(source).getexif().get_ifd(0x8825)
    if how == "save from disk":
        monkeypatch.setattr(pipeline, "PREPARE_SPOOL", 1000)  # cleaned from a temporary file
    config = {"PHOTOS_FS_IMAGES_THUMBNAILS": [64]}
    if how == "hash naming":
        config["PHOTOS_FS_NAMING"] = "hash"
    app = make_app(photos, **config)
    seen = FirstSeen()
    fs_register_plugin(app, seen)
    ext = fmt.lower()
    with app.app_context():
        if how == "write":
            name = photos.write(f"p.{ext}", source)
        elif how == "unseekable save":
            name = photos.save(_Unseekable(source), f"p.{ext}")
        elif how == "save from disk":
            (tmp_path / "upload").write_bytes(source)
            with (tmp_path / "upload").open("rb") as fh:
                name = photos.save(fh, f"p.{ext}")
        else:
            name = photos.save(io.BytesIO(source), f"p.{ext}")
        first = seen.stored[name]
        assert first == photos.read(name)  # nothing left for processing to clean
    stored = img.opened(first)
    assert not stored.getexif()
    assert b"Camera maker" not in first
    assert stored.info.get("icc_profile") == img.srgb_icc()
    assert stored.tobytes() == img.opened(source).tobytes()  # losslessly
    if fmt == "JPEG":
        assert _scan(first) == _scan(source)  # the compressed pixels are the upload's bytes


@pytest.mark.parametrize("spool", [None, 1000], ids=["in memory", "from a temporary file"])
@pytest.mark.parametrize("fmt", ["TIFF", "AVIF"])
def test_formats_cleaned_by_re_encoding_are_re_encoded_once_before_storing(
    make_app, photos, img, fs_register_plugin, monkeypatch, fmt, spool
):
    if fmt == "AVIF" and not fs_images.settings.avif_supported():
        pytest.skip("this Pillow cannot write AVIF")
    if spool:
        monkeypatch.setattr(pipeline, "PREPARE_SPOOL", spool)
    source = img.encode(img.quadrants((200, 150)), fmt, exif=img.gps_exif())
    encoded = []
    real = processing.encode
    monkeypatch.setattr(
        processing, "encode", lambda frames, f, **kw: encoded.append(f) or real(frames, f, **kw)
    )
    app = make_app(photos, PHOTOS_FS_IMAGES=True)
    seen = FirstSeen()
    fs_register_plugin(app, seen)
    with app.app_context():
        photos.save(io.BytesIO(source), f"p.{fmt.lower()}")
        assert encoded == [fmt]  # before storing; processing kept that file as it is
        first = seen.stored[f"p.{fmt.lower()}"]
        assert photos.read(f"p.{fmt.lower()}") == first
    stored = img.opened(first)
    assert 0x0110 not in stored.getexif()
    assert not stored.getexif().get_ifd(0x8825)
    if fmt == "TIFF":
        assert stored.convert("RGB").tobytes() == img.opened(source).convert("RGB").tobytes()
    if fmt == "TIFF":
        with app.app_context():  # a TIFF stored another way is still re-encoded after storing
            photos.backend.save(io.BytesIO(source), "other.tif", overwrite=True)
            encoded.clear()
            fs_images.process(photos, "other.tif", fs_images.settings_for(photos))
            assert encoded == ["TIFF"]
            assert not img.opened(photos.read("other.tif")).getexif().get_ifd(0x8825)


def test_a_bad_unseekable_upload_is_refused_before_it_is_stored(make_app, photos, img, fs_register_plugin):
    app = make_app(photos, PHOTOS_FS_IMAGES_THUMBNAILS=[64])
    seen = FirstSeen()
    fs_register_plugin(app, seen)
    with app.app_context():
        with pytest.raises(InvalidImage, match=r"'t\.jpg' is a corrupt or truncated image"):
            photos.save(_Unseekable(img.jpeg(img.noisy())[:-3000]), "t.jpg")
        with pytest.raises(InvalidImage, match="its content is PNG"):
            photos.save(_Unseekable(img.png()), "p.jpg")
        assert files(photos) == []
    assert seen.stored == {}  # never stored, not even for a moment
    app = make_app(photos, PHOTOS_FS_IMAGES=True, PHOTOS_FS_MAX_SIZE=1000)
    with app.app_context():
        with pytest.raises(FileTooLarge):  # MAX_SIZE, counted as the upload is read
            photos.save(_Unseekable(img.jpeg(img.noisy(), exif=img.gps_exif())), "big.jpg")
        assert files(photos) == []


def test_what_needs_no_cleaning_is_stored_as_uploaded(photo_app, photos, img):
    gif = img.animated_gif()
    jpeg = img.jpeg(exif=img.gps_exif())
    with photo_app(PHOTOS_FS_IMAGES=True):
        photos.save(io.BytesIO(gif), "a.gif")
        photos.save(io.BytesIO(img.jpeg()), "plain.jpg")
        assert photos.read("a.gif") == gif
        assert photos.read("plain.jpg") == img.jpeg()
    with photo_app(PHOTOS_FS_IMAGES=True, PHOTOS_FS_IMAGES_KEEP_EXIF=True, PHOTOS_FS_IMAGES_KEEP_GPS=True):
        photos.save(io.BytesIO(jpeg), "kept.jpg")
        assert photos.read("kept.jpg") == jpeg


def test_the_cleaned_upload_is_a_seekable_stream(photo_app, photos, img):
    source = img.jpeg(img.noisy(), exif=img.gps_exif())
    with photo_app(PHOTOS_FS_IMAGES=True):
        settings = fs_images.settings_for(photos)
    for spool in (1 << 20, 1000):  # in memory; in a temporary file
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(pipeline, "PREPARE_SPOOL", spool)
            cleaned = pipeline.prepare_upload(io.BytesIO(source), "p.jpg", settings)
        whole = cleaned.read()
        assert len(whole) < len(source)
        assert not img.opened(whole).getexif()
        cleaned.seek(0)
        assert cleaned.read(10) == whole[:10]
        assert cleaned.tell() == 10
        cleaned.seek(-100, io.SEEK_END)
        assert cleaned.read() == whole[-100:]
        cleaned.seek(len(whole) // 2)
        assert cleaned.read() == whole[len(whole) // 2 :]
        cleaned.close()
        assert cleaned.closed


# -- a process killed while it processes: what is stored and served has no GPS ----------------------

_KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import flask, fs_core

    root, marker, source = sys.argv[1:4]

    class Slow:  # processing that takes long: the parent kills the process while it runs
        @fs_core.hookimpl
        def after_save(self, storage, filename):
            Path(marker).write_text(filename)
            time.sleep(600)

    app = flask.Flask("killed")
    app.config.update(FS_BACKEND="local", FS_ROOT=root, PHOTOS_FS_IMAGES_THUMBNAILS=[64])
    photos = fs_core.Storage("photos", fs_core.IMAGES)
    fs_core.init_app(app, photos).plugins.register(Slow())
    with app.app_context():
        with open(source, "rb") as fh:
            photos.save(fh, "holiday.jpg")
    """
)


def test_a_photo_stored_by_a_process_killed_while_processing_has_no_gps(make_app, photos, img, tmp_path):
    source = img.jpeg(img.noisy((800, 600)), exif=img.gps_exif(), icc_profile=img.srgb_icc())
    (tmp_path / "upload.jpg").write_bytes(source)
    root, marker = tmp_path / "root", tmp_path / "processing"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(root), str(marker), str(tmp_path / "upload.jpg")],
        env=child_env(),
        stderr=subprocess.PIPE,
    )
    kill_9_when(child, marker.exists, "processing", timeout=120)

    app = make_app(photos, FS_BACKEND="local", FS_ROOT=str(root), PHOTOS_FS_IMAGES_THUMBNAILS=[64])
    with app.app_context():
        assert files(photos) == ["holiday.jpg"]  # stored; never processed, never removed
        stored = Path(photos.path("holiday.jpg")).read_bytes()
        url = photos.url("holiday.jpg")
    served = app.test_client().get(url)
    assert served.status_code == 200
    assert served.data == stored
    for data in (stored, served.data):
        assert not img.opened(data).getexif()
        assert b"Camera maker" not in data
        assert img.opened(data).info.get("icc_profile") == img.srgb_icc()
        assert _scan(data) == _scan(source)


def test_a_variant_name_is_taken_in_error_mode(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[64]):
        photos.save(io.BytesIO(red(img)), "holiday.jpg")
        with pytest.raises(FileExists, match=r"'holiday-original.jpg' is the name of its -original"):
            photos.save(io.BytesIO(red(img)), "holiday-original.jpg")
        assert not photos.exists("holiday-original.jpg")


def test_the_steps_before_storing_are_public(img):
    """``check_upload`` and ``prepare_upload`` with settings of one's own: what a plugin that
    processes images by its own settings (fs-mongoengine's ImageField) runs before storing."""
    settings = fs_images.ImageSettings(thumbnails=(32,))
    with pytest.raises(InvalidImage):
        fs_images.check_upload(io.BytesIO(b"not an image"), "x.png", settings)
    upload = io.BytesIO(img.jpeg(img.noisy(), exif=img.gps_exif()))
    fs_images.check_upload(upload, "x.jpg", settings)
    assert upload.tell() == 0  # put back where it was
    cleaned = fs_images.prepare_upload(upload, "x.jpg", settings)
    try:
        stored = img.opened(cleaned.read())
    finally:
        cleaned.close()
    assert stored.size == (640, 480)
    assert not stored.getexif().get_ifd(0x8825)  # no GPS block
    assert fs_images.prepare_upload(io.BytesIO(b"GIF89a"), "x.gif", settings) is None  # nothing to clean
