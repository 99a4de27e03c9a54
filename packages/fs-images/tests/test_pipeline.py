"""The post-save processors on a storage (memory backend), checked on stored bytes and pixels."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

import fs_core
import fs_images
from fs_core.errors import BackendError, ConfigurationError, ProcessingError, UnauthorizedFileType
from fs_images import ImageTooLarge, InvalidImage


def sizes(storage, img):
    return {name: img.opened(storage.read(name)).size for name in storage.list_files()}


def test_thumbnails_are_made_with_flask_fs_names(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[100, 32]):
        assert photos.save(io.BytesIO(img.jpeg()), "cat.jpg") == "cat.jpg"
        assert sizes(photos, img) == {
            "cat.jpg": (400, 300),
            "cat-100.jpg": (100, 100),
            "cat-32.jpg": (32, 32),
        }
        thumb = img.opened(photos.read("cat-32.jpg"))
        assert thumb.format == "JPEG"
        assert img.close_to(thumb.getpixel((1, 1)), img.RED, 60)
        assert img.close_to(thumb.getpixel((30, 30)), img.YELLOW, 60)


def test_thumbnail_sizes_from_an_environment_string(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS="64, 16", PHOTOS_FS_IMAGES_THUMBNAIL_MODE="fit"):
        photos.save(io.BytesIO(img.png()), "a/b.png")
        assert sizes(photos, img) == {"a/b.png": (400, 300), "a/b-64.png": (64, 48), "a/b-16.png": (16, 12)}


def test_max_size_keeps_the_original(photo_app, photos, img):
    source = img.jpeg(img.quadrants((800, 600)))
    with photo_app(PHOTOS_FS_IMAGES_MAX_SIZE=200):
        photos.save(io.BytesIO(source), "big.jpg")
        assert sizes(photos, img) == {"big.jpg": (200, 150), "big-original.jpg": (800, 600)}
        assert photos.read("big-original.jpg") == source  # no metadata to clean: the very bytes
        photos.save(io.BytesIO(img.jpeg(img.quadrants((100, 80)))), "small.jpg")
        assert "small-original.jpg" not in files(photos)  # nothing changed, nothing to keep
        assert img.opened(photos.read("small.jpg")).size == (100, 80)


def test_a_thumbnail_cut_from_a_resized_image_whose_height_was_rounded(photo_app, photos, img):
    # 301x203 fits 150 as 150x101 (101.16, rounded down): the square thumbnail, the image's
    # whole height, is cut from it; its box once reached 101.16 and Pillow refused it.
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[48], PHOTOS_FS_IMAGES_MAX_SIZE=150):
        photos.save(io.BytesIO(img.png(img.quadrants((301, 203)))), "odd.png")
        assert sizes(photos, img) == {
            "odd.png": (150, 101),
            "odd-original.png": (301, 203),
            "odd-48.png": (48, 48),
        }


def test_max_size_without_keeping_the_original(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_MAX_SIZE=200, PHOTOS_FS_IMAGES_KEEP_ORIGINAL=False):
        photos.save(io.BytesIO(img.jpeg(img.quadrants((800, 600)))), "big.jpg")
        assert sizes(photos, img) == {"big.jpg": (200, 150)}


def files(storage):
    return sorted(storage.list_files())


def test_global_optimize_only_applies_to_enabled_storages(make_app, photos, img):
    other = fs_core.Storage("other", fs_core.IMAGES)
    heavy = img.jpeg(img.noisy(), quality=100)
    app = make_app(photos, other, FS_IMAGES_OPTIMIZE=True, PHOTOS_FS_IMAGES=True)
    with app.app_context():
        other.save(io.BytesIO(heavy), "x.jpg")
        assert files(other) == ["x.jpg"]
        assert other.read("x.jpg") == heavy  # FS_IMAGES_OPTIMIZE alone turns nothing on
        photos.save(io.BytesIO(heavy), "x.jpg")
        assert files(photos) == ["x-original.jpg", "x.jpg"]
        assert len(photos.read("x.jpg")) < len(heavy)
        assert photos.read("x-original.jpg") == heavy


def test_quality_setting_changes_the_files(make_app, photos, img):
    source = img.jpeg(img.noisy(), quality=98)
    stored = {}
    for quality in (30, 95):
        app = make_app(photos, PHOTOS_FS_IMAGES_THUMBNAILS=[256], PHOTOS_FS_IMAGES_QUALITY=quality)
        with app.app_context():
            photos.save(io.BytesIO(source), "q.jpg")
            stored[quality] = photos.read("q-256.jpg")
    assert len(stored[30]) * 2 < len(stored[95])


def test_webp_and_avif_variants(photo_app, photos, img):
    with photo_app(
        PHOTOS_FS_IMAGES_THUMBNAILS=[64], PHOTOS_FS_IMAGES_WEBP=True, PHOTOS_FS_IMAGES_AVIF="auto"
    ):
        photos.save(io.BytesIO(img.png(img.quadrants((200, 100), ((255, 0, 0, 0),) * 4))), "t.png")
        names = files(photos)
        assert {"t.png", "t-64.png", "t.png.webp", "t-64.png.webp"} <= set(names)
        webp = img.opened(photos.read("t-64.png.webp"))
        assert (webp.format, webp.size) == ("WEBP", (64, 64))
        assert webp.convert("RGBA").getpixel((5, 5))[3] == 0  # transparency kept in WebP
        if fs_images.settings.avif_supported():
            avif = img.opened(photos.read("t.png.avif"))
            assert (avif.format, avif.size) == ("AVIF", (200, 100))
        else:  # 'auto': only where Pillow can
            assert "t.png.avif" not in names


def test_no_webp_variant_of_a_webp(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_WEBP=True):
        photos.save(io.BytesIO(img.encode(img.quadrants(), "WEBP")), "w.webp")
        assert files(photos) == ["w.webp"]


def test_avif_required_but_unsupported_is_a_clear_error(photo_app, photos, img, monkeypatch):
    monkeypatch.setattr(fs_images.settings, "avif_supported", lambda: False)
    with photo_app(PHOTOS_FS_IMAGES_AVIF=True), pytest.raises(ConfigurationError, match="AVIF"):
        photos.save(io.BytesIO(img.jpeg()), "x.jpg")


def test_gps_is_stripped_from_everything_stored(photo_app, photos, img):
    source = img.jpeg(img.quadrants((800, 600)), exif=img.gps_exif(), icc_profile=img.srgb_icc())
    with photo_app(
        PHOTOS_FS_IMAGES_THUMBNAILS=[64], PHOTOS_FS_IMAGES_MAX_SIZE=400, PHOTOS_FS_IMAGES_WEBP=True
    ):
        photos.save(io.BytesIO(source), "p.jpg")
        assert len(files(photos)) == 5
        for name in photos.list_files():
            data = photos.read(name)
            stored = Image.open(io.BytesIO(data))
            assert not stored.getexif(), name
            assert b"Model X" not in data, name
            assert stored.info.get("icc_profile") == img.srgb_icc(), name


def test_gps_kept_or_exif_kept_per_config(make_app, photos, img):
    source = img.jpeg(exif=img.gps_exif())
    app = make_app(photos, PHOTOS_FS_IMAGES_THUMBNAILS=[64], PHOTOS_FS_IMAGES_KEEP_EXIF=True)
    with app.app_context():
        photos.save(io.BytesIO(source), "p.jpg")
        for name in ("p.jpg", "p-64.jpg"):
            exif = img.opened(photos.read(name)).getexif()
            assert exif[0x0110] == "Model X"
            assert 0x8825 not in exif
    app = make_app(
        photos, PHOTOS_FS_IMAGES_THUMBNAILS=[64], FS_IMAGES_KEEP_EXIF=True, FS_IMAGES_KEEP_GPS=True
    )
    with app.app_context():
        photos.save(io.BytesIO(source), "p.jpg")
        assert photos.read("p.jpg") == source
        assert img.opened(photos.read("p-64.jpg")).getexif().get_ifd(0x8825)[1] == "N"


def test_stored_image_stays_upright_and_thumbnails_are_transposed(photo_app, photos, img):
    raw = Image.new("RGB", (200, 100), (255, 255, 255))
    raw.paste(img.RED, (0, 0, 40, 40))
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[50], PHOTOS_FS_IMAGES_THUMBNAIL_MODE="fit"):
        photos.save(io.BytesIO(img.jpeg(raw, exif=img.gps_exif(orientation=6))), "r.jpg")
        main = img.opened(photos.read("r.jpg"))
        assert dict(main.getexif()) == {0x0112: 6}  # not re-encoded: only the orientation is left
        thumb = img.opened(photos.read("r-50.jpg"))
        assert thumb.size == (25, 50)
        assert img.close_to(thumb.getpixel((22, 2)), img.RED)


def test_bbox_option_crops_the_thumbnails(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[40]):
        with fs_images.options(bbox=(0, 150, 200, 300)):  # the blue bottom-left quadrant
            photos.save(io.BytesIO(img.png()), "q.png")
        thumb = img.opened(photos.read("q-40.png"))
        for xy in [(0, 0), (20, 20), (39, 0), (0, 39), (39, 39)]:
            assert img.close_to(thumb.getpixel(xy), img.BLUE), xy


def test_process_remakes_thumbnails_with_a_box_from_the_original(photo_app, photos, img):
    """The README's way to rerender with a box kept by the application: the box is in the
    coordinates of the -original, not of the resized image."""
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[40], PHOTOS_FS_IMAGES_MAX_SIZE=200):
        photos.save(io.BytesIO(img.png(img.quadrants((800, 600)))), "q.png")
        result = fs_images.process(
            photos, "q.png", fs_images.settings_for(photos), bbox=(400, 300, 800, 600), rerender=True
        )
        assert result == fs_images.Processed(
            "q.png", "q-original.png", {40: "q-40.png"}, ["q-40.png", "q.png"]
        )
        thumb = img.opened(photos.read("q-40.png"))
        for xy in [(0, 0), (39, 0), (0, 39), (39, 39)]:
            assert img.close_to(thumb.getpixel(xy), img.YELLOW), xy  # the bottom-right quadrant
        assert img.opened(photos.read("q.png")).size == (200, 150)
        assert img.opened(photos.read("q-original.png")).size == (800, 600)


def test_animated_gif_thumbnails_keep_their_frames(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[30], PHOTOS_FS_IMAGES_WEBP=True):
        photos.save(io.BytesIO(img.animated_gif(frames=5)), "a.gif")
        assert img.opened(photos.read("a-30.gif")).n_frames == 5
        assert img.opened(photos.read("a-30.gif.webp")).n_frames == 5
        assert img.opened(photos.read("a.gif.webp")).n_frames == 5


def test_animated_webp_keeps_its_frames_timing_and_transparency(photo_app, photos, img):
    colours = [(255, 0, 0, 255), (0, 255, 0, 128), (0, 0, 255, 0)]
    frames = [Image.new("RGBA", (120, 80), colour) for colour in colours]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=[50, 60, 70], loop=3)
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[20]):
        photos.save(io.BytesIO(out.getvalue()), "a.webp")
        thumb = img.opened(photos.read("a-20.webp"))
        assert (thumb.format, thumb.size, thumb.n_frames, thumb.info["loop"]) == ("WEBP", (20, 20), 3, 3)
        for index, colour in enumerate(colours):
            thumb.seek(index)
            pixel = thumb.convert("RGBA").getpixel((10, 10))  # loads the frame, and its duration
            assert thumb.info["duration"] == 50 + 10 * index
            assert img.close_to(pixel, colour, 8) or colour[3] == pixel[3] == 0, (index, pixel)


def test_animations_first_frame_or_refused(make_app, photos, img):
    with make_app(photos, PHOTOS_FS_IMAGES_THUMBNAILS=[30], PHOTOS_FS_IMAGES_ANIMATION="first").app_context():
        photos.save(io.BytesIO(img.animated_gif(frames=5)), "a.gif")
        assert getattr(img.opened(photos.read("a-30.gif")), "n_frames", 1) == 1
    with make_app(
        photos, PHOTOS_FS_IMAGES_THUMBNAILS=[30], PHOTOS_FS_IMAGES_ANIMATION="refuse"
    ).app_context():
        with pytest.raises(InvalidImage, match="animated"):
            photos.save(io.BytesIO(img.animated_gif(frames=5)), "a.gif")
        assert files(photos) == []


# name: (content, file name, what the error must say)
BAD = {
    "html named .png": (b"<html><script>alert(1)</script></html>", "x.png", "is not a PNG image"),
    "truncated jpeg": (None, "t.jpg", "corrupt or truncated image: .*truncated"),
    "png named .jpg": (None, "p.jpg", "its content is PNG"),
    "corrupt png": (None, "c.png", "corrupt"),
}


@pytest.fixture
def bad_file(request, img):
    data, name, reason = BAD[request.param]
    if name == "t.jpg":
        data = img.jpeg(img.noisy())[:-3000]
    elif name == "p.jpg":
        data = img.png()
    elif name == "c.png":
        raw = bytearray(img.png(img.noisy()))
        raw[len(raw) // 2] ^= 0xFF
        data = bytes(raw)
    return data, name, reason


@pytest.mark.parametrize("bad_file", list(BAD), indirect=True)
@pytest.mark.parametrize("how", ["save", "save from disk", "write", "unseekable save"])
def test_bad_input_is_refused_and_nothing_is_stored(photo_app, photos, bad_file, how, tmp_path):
    data, name, reason = bad_file
    with photo_app(
        PHOTOS_FS_IMAGES_THUMBNAILS=[64, 16], PHOTOS_FS_IMAGES_MAX_SIZE=100, PHOTOS_FS_IMAGES_WEBP=True
    ):
        with pytest.raises(InvalidImage) as info:
            if how == "save":
                photos.save(io.BytesIO(data), name)
            elif how == "save from disk":  # a large upload, spooled to a file by werkzeug
                (tmp_path / "upload").write_bytes(data)
                with (tmp_path / "upload").open("rb") as fh:
                    photos.save(fh, name)
            elif how == "write":
                photos.write(name, data)
            else:
                photos.save(_Unseekable(data), name)
        assert isinstance(info.value, UnauthorizedFileType)
        assert name in str(info.value)
        assert re.search(reason, str(info.value)), str(info.value)
        assert files(photos) == []


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("how", ["unseekable save", "write"])  # the paths checked after storing
def test_a_refused_overwrite_keeps_the_previous_image_and_its_variants(disk_photo_app, photos, img, how):
    with disk_photo_app(
        PHOTOS_FS_OVERWRITE=True, PHOTOS_FS_IMAGES_THUMBNAILS=[32], PHOTOS_FS_IMAGES_MAX_SIZE=100
    ):
        photos.save(io.BytesIO(img.jpeg(img.quadrants((300, 200)))), "cat.jpg")
        before = {name: photos.read(name) for name in files(photos)}
        assert sorted(before) == ["cat-32.jpg", "cat-original.jpg", "cat.jpg"]
        broken = img.jpeg(img.noisy())[:-3000]
        with pytest.raises(InvalidImage, match="truncated"):
            if how == "write":
                photos.write("cat.jpg", broken, overwrite=True)
            else:
                photos.save(_Unseekable(broken), "cat.jpg")
        assert {name: photos.read(name) for name in files(photos)} == before
        assert img.opened(photos.read("cat.jpg")).size == (100, 67)


def test_an_image_name_too_long_for_its_variants_is_refused_up_front(disk_photo_app, photos, img):
    """``x-original.png``, ``x-100.png.webp`` are longer than ``x.png``: a name that fits but
    whose variants would not is refused before anything is stored (it was a ``BackendError``
    of the file system's, from the clean-up), and variants are never cut short (two long
    names would share them)."""
    config = {
        "PHOTOS_FS_IMAGES_THUMBNAILS": [100],
        "PHOTOS_FS_IMAGES_MAX_SIZE": 50,
        "PHOTOS_FS_IMAGES_WEBP": True,
    }
    fits = "a" * 242 + ".png"  # its longest variant, -original.png or -100.png.webp, is 255 bytes
    with disk_photo_app(**config):
        photos.save(io.BytesIO(img.png(img.quadrants((300, 200)))), fits)
        assert sorted(name.replace("a" * 242, "x") for name in files(photos)) == [
            "x-100.png",
            "x-100.png.webp",
            "x-original.png",
            "x.png",
            "x.png.webp",
        ]
        too_long = "b" * 243 + ".png"
        with pytest.raises(fs_core.InvalidFilename, match=r"variants: .* 1 bytes over .* at least 1 bytes"):
            photos.save(io.BytesIO(img.png(img.quadrants())), too_long)
        with pytest.raises(fs_core.InvalidFilename, match="too long for its variants"):
            photos.copy(fits, too_long)
        assert len(files(photos)) == 5


def test_variants_fit_the_room_a_backends_key_prefix_leaves(fs_make_app, photos, img):
    """Under an S3 or Swift key prefix a backend takes less than 1,024 bytes
    (``max_name_bytes``): an image whose variants would not fit it is refused before anything
    is stored, not by the service once the image is."""
    from fs_core.memory import MemoryBackend
    from fs_core.testing import name_of_length

    class Prefixed(MemoryBackend):
        max_name_bytes = 1024 - 40

        def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
            self.check_name_length(filename)
            return super().save(file_or_wfs, filename, overwrite=overwrite, content_type=content_type)

    class Registers:
        @fs_core.hookimpl
        def register_backends(self, register):
            register("prefixed", Prefixed)

    app = fs_make_app(
        "images", Registers(), storages=[photos], FS_BACKEND="prefixed", PHOTOS_FS_IMAGES_THUMBNAILS=[100]
    )
    with app.app_context():
        # Every variant it could have counts: a-original.png, a-100.png.webp are 984 bytes.
        fits = name_of_length(984 - len("-original"), "a.png")
        photos.save(io.BytesIO(img.png(img.quadrants((300, 200)))), fits)
        assert len(files(photos)) == 2  # the image and its thumbnail (nothing was resized)
        too_long = name_of_length(984 - len("-original") + 1, "b.png")
        with pytest.raises(fs_core.InvalidFilename, match="its -original would be 1 bytes over"):
            photos.save(io.BytesIO(img.png(img.quadrants((300, 200)))), too_long)
        assert len(files(photos)) == 2


def test_a_long_image_stored_before_the_pipeline_is_refused_processing_and_deletes(
    disk_photo_app, photos, img
):
    long = "c" * 250 + ".png"
    with disk_photo_app():
        photos.save(io.BytesIO(img.png(img.quadrants())), long)
    with disk_photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[100]):
        with pytest.raises(fs_core.InvalidFilename, match="too long for its variants"):
            fs_images.process(photos, long, fs_images.settings_for(photos))
        assert files(photos) == [long]
        photos.delete(long)  # its variants, which could not exist, are not asked for
        assert files(photos) == []


def test_upload_stream_is_left_where_it_was(photo_app, photos, img):
    data = img.png()
    stream = io.BytesIO(data)
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16]):
        photos.save(stream, "ok.png")
        assert photos.read("ok.png") == data  # the check rewound the stream for the save


def test_decompression_bomb_is_refused_before_decoding(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=10_000):
        with pytest.raises(ImageTooLarge, match="10,000"):
            photos.save(io.BytesIO(img.png(Image.new("L", (200, 200)))), "bomb.png")
        assert files(photos) == []
        photos.save(io.BytesIO(img.png(Image.new("L", (100, 100)))), "fine.png")
        assert "fine-16.png" in files(photos)


def test_animation_frames_count_together_against_the_pixel_limit(photo_app, photos, img):
    gif = img.animated_gif(frames=4, size=(120, 90))  # 10,800 pixels a frame, 43,200 in all
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=40_000):
        with pytest.raises(ImageTooLarge, match="4 frames"):
            photos.save(io.BytesIO(gif), "long.gif")
        assert files(photos) == []
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=44_000):
        photos.save(io.BytesIO(gif), "long.gif")
        assert files(photos) == ["long-16.gif", "long.gif"]


def test_frame_limit(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_FRAMES=3):
        with pytest.raises(ImageTooLarge, match="frames"):
            photos.save(io.BytesIO(img.animated_gif(frames=4)), "many.gif")
        assert files(photos) == []


def test_delete_removes_the_variants_and_nothing_else(photo_app, photos, img):
    config = {
        "PHOTOS_FS_IMAGES_THUMBNAILS": [64, 16],
        "PHOTOS_FS_IMAGES_MAX_SIZE": 100,
        "PHOTOS_FS_IMAGES_WEBP": True,
    }
    with photo_app(**config):
        photos.save(io.BytesIO(img.jpeg()), "cat.jpg")
        photos.save(io.BytesIO(img.jpeg()), "cat2.jpg")
        photos.write("notes.pdf", b"%PDF-1.4")
        assert len(files(photos)) == 2 * 7 + 1
        photos.delete("cat.jpg")
        assert not [n for n in files(photos) if n.startswith("cat.") or n.startswith("cat-")]
        assert len(files(photos)) == 7 + 1


@pytest.mark.parametrize("failing", ["cat-original.jpg", "cat-16.jpg", "cat-64.jpg.webp", "cat.jpg.webp"])
@pytest.mark.parametrize(
    ("error", "caught"),
    [(BackendError("service down"), BackendError), (OSError("service down"), ProcessingError)],
)
def test_a_backend_failure_while_writing_variants_leaves_nothing(
    photo_app, photos, img, monkeypatch, failing, error, caught
):
    """The backend fails on one variant, after others were written: the caller gets an
    error of fs-core's family (the backend's own, or a ProcessingError around a stray
    exception) and neither the upload nor any variant is left."""
    from fs_core.memory import MemoryBackend

    real = MemoryBackend.save

    def save(self, file, filename, *args, **kwargs):
        if filename == failing:
            raise error
        return real(self, file, filename, *args, **kwargs)

    monkeypatch.setattr(MemoryBackend, "save", save)
    with photo_app(
        PHOTOS_FS_IMAGES_THUMBNAILS=[64, 16], PHOTOS_FS_IMAGES_MAX_SIZE=100, PHOTOS_FS_IMAGES_WEBP=True
    ):
        with pytest.raises(caught, match="service down"):
            photos.save(io.BytesIO(img.jpeg()), "cat.jpg")
        assert files(photos) == []


def test_reupload_drops_a_stale_original(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_MAX_SIZE=200, PHOTOS_FS_OVERWRITE=True):
        photos.save(io.BytesIO(img.jpeg(img.quadrants((800, 600)))), "p.jpg")
        assert "p-original.jpg" in files(photos)
        photos.save(io.BytesIO(img.jpeg(img.quadrants((100, 100)))), "p.jpg")
        assert files(photos) == ["p.jpg"]


def test_non_images_in_an_enabled_storage_are_untouched(photo_app, photos):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16]):
        photos.save(io.BytesIO(b"%PDF-1.4 not an image"), "doc.pdf")
        photos.save(io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "logo.svg")
        assert files(photos) == ["doc.pdf", "logo.svg"]


def test_only_the_extension_of_the_file_name_counts(make_app, img):
    """A dot in a folder name or a leading dot is no extension, as fs-core sees it: such files
    are not images, not checked, and get no ``-original``/thumbnail names."""
    anything = fs_core.Storage("anything", fs_core.ALL)
    with make_app(anything, ANYTHING_FS_IMAGES_THUMBNAILS=[16]).app_context():
        anything.save(io.BytesIO(b"release notes"), "v1.2/png")
        anything.save(io.BytesIO(b"IGNORE"), ".gif")
        anything.save(io.BytesIO(img.png()), "v1.2/logo.PNG")
        assert files(anything) == [".gif", "v1.2/logo-16.PNG", "v1.2/logo.PNG", "v1.2/png"]


def test_storage_without_image_config_is_untouched(photo_app, photos, img):
    with photo_app(FS_IMAGES_THUMBNAILS=[16], FS_IMAGES_OPTIMIZE=True):
        photos.save(io.BytesIO(b"not an image at all"), "fake.png")
        photos.save(io.BytesIO(img.jpeg(exif=img.gps_exif())), "p.jpg")
        assert files(photos) == ["fake.png", "p.jpg"]
        assert img.opened(photos.read("p.jpg")).getexif().get_ifd(0x8825)


def test_storage_can_turn_itself_off(photo_app, photos):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES=False):
        photos.save(io.BytesIO(b"not an image"), "fake.png")
        assert files(photos) == ["fake.png"]


def test_blocked_plugin_does_nothing(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], FS_BLOCKED_PLUGINS=["images"]) as app:
        photos.save(io.BytesIO(b"not an image"), "fake.png")
        photos.save(io.BytesIO(img.jpeg()), "p.jpg")
        assert files(photos) == ["fake.png", "p.jpg"]
        assert "FS_IMAGES_QUALITY" not in app.config
        result = app.test_cli_runner().invoke(args=["fs", "images", "rerender", "photos"])
        assert result.exit_code != 0


def test_enabled_plugin_sets_documented_defaults(photo_app):
    with photo_app() as app:
        assert app.config["FS_IMAGES_OPTIMIZE"] is False
        assert app.config["FS_IMAGES_QUALITY"] == 85
        assert app.config["FS_IMAGES_MAX_PIXELS"] == 64_000_000  # below Pillow's 89.5 MP warning
        assert app.config["FS_IMAGES_MAX_METADATA"] == 16 << 20


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("THUMBNAIL_MODE", "stretch"),
        ("QUALITY", 0),
        ("THUMBNAILS", "big"),
        ("ANIMATION", "loop"),
        ("BACKGROUND", "not-a-colour"),
    ],
)
def test_bad_settings_are_named(photo_app, photos, img, key, value):
    with photo_app(**{"PHOTOS_FS_IMAGES": True, f"PHOTOS_FS_IMAGES_{key}": value}):
        with pytest.raises(ConfigurationError, match=key):
            photos.save(io.BytesIO(img.jpeg()), "x.jpg")
        assert files(photos) == []


def test_large_files_are_processed_from_a_memory_map(photo_app, photos, img, monkeypatch):
    from fs_images import pipeline

    monkeypatch.setattr(pipeline, "SPILL_SIZE", 1000)
    source = img.jpeg(img.quadrants((800, 600)), exif=img.gps_exif())
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[64], PHOTOS_FS_IMAGES_MAX_SIZE=200):
        photos.save(io.BytesIO(source), "big.jpg")
        assert sizes(photos, img) == {
            "big.jpg": (200, 150),
            "big-original.jpg": (800, 600),
            "big-64.jpg": (64, 64),
        }
        assert not img.opened(photos.read("big-original.jpg")).getexif()


@pytest.mark.parametrize("how", ["write", "save"])
@pytest.mark.parametrize("config", [{"PHOTOS_FS_IMAGES": True}, {"PHOTOS_FS_IMAGES_MAX_SIZE": 1000}])
def test_a_large_file_is_not_copied_into_memory(make_app, photos, img, tmp_path, monkeypatch, config, how):
    """Checking a large upload on disk (as werkzeug spools them) before storing it, cleaning
    its metadata, keeping its -original: the file is walked through a memory map and written
    from it piece by piece, never joined or read whole into memory."""
    import tracemalloc

    from fs_images import pipeline

    monkeypatch.setattr(pipeline, "SPILL_SIZE", 64 << 10)
    monkeypatch.setattr(pipeline, "PREPARE_SPOOL", 64 << 10)  # cleaned before storing, from disk too
    tile = Image.effect_noise((500, 500), 100).convert("RGB")
    photo = Image.new("RGB", (3000, 2000))
    for x in range(0, 3000, 500):
        for y in range(0, 2000, 500):
            photo.paste(tile, (x, y))
    source = img.jpeg(photo, quality=95, exif=img.gps_exif())
    size = len(source)
    assert size > 4 << 20
    app = make_app(photos, FS_BACKEND="local", FS_ROOT=str(tmp_path / "root"), **config)
    with app.app_context():
        upload = tmp_path / "upload.jpg"
        upload.write_bytes(source)
        with upload.open("rb") as fh:
            tracemalloc.start()
            try:
                if how == "save":  # checked before storing
                    photos.save(fh, "big.jpg")
                else:  # processed (and checked) only after storing
                    photos.write("big.jpg", fh)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        names = files(photos)
        assert peak < size // 2, f"{peak:,} bytes allocated for a {size:,}-byte file"
        kept = "big-original.jpg" if "big-original.jpg" in names else "big.jpg"
        assert not img.opened(photos.read(kept)).getexif()  # cleaned all the same
        assert img.opened(photos.read(kept)).size == (3000, 2000)


def test_a_broken_file_processed_from_a_memory_map_is_refused_as_such(photo_app, photos, img, monkeypatch):
    """Large files reach processing memory-mapped (JPEGs over 64 MiB are not checked before
    storing): a broken one must still be an InvalidImage, not an error about the map."""
    from fs_images import pipeline

    monkeypatch.setattr(pipeline, "SPILL_SIZE", 1000)
    broken = img.jpeg(img.noisy(), exif=img.gps_exif())[:-3000]
    with photo_app(PHOTOS_FS_IMAGES=True):
        with pytest.raises(InvalidImage, match="corrupt or truncated") as info:
            photos.write("big.jpg", broken)
        assert "big.jpg" in str(info.value)
        assert files(photos) == []


def test_mpo_camera_jpeg_is_a_jpeg_with_its_extra_image_dropped(photo_app, photos, img):
    out = io.BytesIO()
    img.quadrants((400, 300)).save(
        out, "MPO", save_all=True, append_images=[img.quadrants((160, 120))], exif=img.gps_exif()
    )
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[32]):
        photos.save(io.BytesIO(out.getvalue()), "cam.jpg")
        stored = img.opened(photos.read("cam.jpg"))
        assert stored.format == "JPEG"  # the MPO index and the second image are gone
        assert stored.size == (400, 300)
        assert not stored.getexif()
        assert img.opened(photos.read("cam-32.jpg")).size == (32, 32)


def test_a_gif_that_plays_once_still_plays_once(photo_app, photos, img):
    frames = [Image.new("RGB", (40, 40), color) for color in (img.RED, img.GREEN, img.BLUE)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[20]):
        photos.save(io.BytesIO(out.getvalue()), "once.gif")
        thumb = img.opened(photos.read("once-20.gif"))
        assert thumb.n_frames == 3
        assert "loop" not in thumb.info


def test_images_switch_alone_validates_and_cleans(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES=True):
        source = img.jpeg(exif=img.gps_exif(), icc_profile=img.srgb_icc())
        photos.save(io.BytesIO(source), "p.jpg")
        assert files(photos) == ["p.jpg"]
        stored = photos.read("p.jpg")
        assert not img.opened(stored).getexif()
        assert img.opened(stored).info["icc_profile"] == img.srgb_icc()
        assert stored[stored.index(b"\xff\xda") :] == source[source.index(b"\xff\xda") :]  # not re-encoded
        with pytest.raises(InvalidImage):
            photos.save(io.BytesIO(b"GIF89a but no"), "fake.gif")
        assert files(photos) == ["p.jpg"]


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP"])
def test_truncated_images_are_refused_without_any_processor(photo_app, photos, img, fmt):
    """Pillow has no structure check for these formats: only decoding finds the damage, and
    with no thumbnail to make the storage must still decode before keeping the file."""
    source = img.encode(img.noisy((200, 150)), fmt)
    name = f"cut.{fmt.lower()}"
    with photo_app(PHOTOS_FS_IMAGES=True):
        with pytest.raises(InvalidImage, match=r"corrupt or truncated|that can be read") as info:
            photos.save(io.BytesIO(source[: len(source) * 2 // 3]), name)
        assert name in str(info.value)
        assert files(photos) == []
        photos.save(io.BytesIO(source), name)  # the whole file is fine
        assert files(photos) == [name]


@pytest.mark.parametrize("fmt", ["TIFF", "AVIF"])
def test_formats_without_lossless_cleaning_are_reencoded_without_gps(photo_app, photos, img, fmt):
    if fmt == "AVIF" and not fs_images.settings.avif_supported():
        pytest.skip("this Pillow cannot write AVIF")
    ext = fmt.lower()
    source = img.encode(img.quadrants((200, 150)), fmt, exif=img.gps_exif())
    assert img.opened(source).getexif()[0x0110] == "Model X"
    with photo_app(PHOTOS_FS_IMAGES=True):
        photos.save(io.BytesIO(source), f"p.{ext}")
        assert files(photos) == [f"p.{ext}"]
        stored = img.opened(photos.read(f"p.{ext}"))
        assert stored.format == fmt
        assert stored.size == (200, 150)
        assert 0x0110 not in stored.getexif()
        assert not stored.getexif().get_ifd(0x8825)
        assert img.close_to(stored.convert("RGB").getpixel((10, 10)), img.RED)
        if fmt == "TIFF":  # lossless
            assert stored.convert("RGB").tobytes() == img.opened(source).convert("RGB").tobytes()


# -- copy and move ---------------------------------------------------------------------------


@pytest.mark.parametrize("move", [False, True])
def test_variants_follow_a_copy_or_a_move(disk_photo_app, photos, img, move):
    with disk_photo_app(
        PHOTOS_FS_IMAGES_THUMBNAILS=[40], PHOTOS_FS_IMAGES_MAX_SIZE=200, PHOTOS_FS_IMAGES_WEBP=True
    ):
        with fs_images.options(bbox=(0, 300, 400, 600)):  # the blue bottom-left quadrant
            photos.save(io.BytesIO(img.png(img.quadrants((800, 600)))), "q.png")
        before = {name: photos.read(name) for name in files(photos)}
        assert {"q-original.png", "q-40.png.webp"} <= set(before)
        (photos.move if move else photos.copy)("q.png", "albums/r.png")
        after = {name: photos.read(name) for name in files(photos)}
        moved = {"albums/r" + name[1:]: data for name, data in before.items()}
        assert after == (moved if move else {**before, **moved})
        # copied as they were: the bbox crop is still blue, the original still full size
        thumb = img.opened(photos.read("albums/r-40.png"))
        assert img.close_to(thumb.getpixel((39, 39)), img.BLUE)
        assert img.opened(photos.read("albums/r-original.png")).size == (800, 600)


def test_a_copy_over_an_image_replaces_its_variants(photo_app, photos, img):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[40], PHOTOS_FS_IMAGES_MAX_SIZE=200, PHOTOS_FS_OVERWRITE=True):
        photos.save(io.BytesIO(img.png(img.quadrants((800, 600)))), "big.png")
        photos.save(io.BytesIO(img.png(Image.new("RGB", (100, 100), img.RED))), "small.png")
        assert "big-original.png" in files(photos)
        photos.copy("small.png", "big.png")
        assert files(photos) == ["big-40.png", "big.png", "small-40.png", "small.png"]
        assert photos.read("big-40.png") == photos.read("small-40.png")


def test_a_copy_to_another_format_is_processed_and_refused_if_the_content_does_not_match(
    photo_app, photos, img
):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[40]):
        photos.save(io.BytesIO(img.jpeg(img.quadrants())), "a.jpg")
        with pytest.raises(ProcessingError, match=r"'a\.jpg' was copied to 'a\.png'.*its content is JPEG"):
            photos.copy("a.jpg", "a.png")
        assert files(photos) == ["a-40.jpg", "a.jpg", "a.png"]  # copied; nothing derived for it
        photos.save(io.BytesIO(img.png(img.quadrants())), "b.png")
        photos.move("b.png", "b.PNG")  # same format, another spelling: variants copied
        assert files(photos) == ["a-40.jpg", "a.jpg", "a.png", "b-40.PNG", "b.PNG"]


def test_moving_an_image_onto_its_own_name_keeps_its_variants(disk_photo_app, photos, img):
    with disk_photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[40], PHOTOS_FS_IMAGES_MAX_SIZE=100):
        photos.save(io.BytesIO(img.png(img.quadrants())), "a.png")
        before = {name: photos.read(name) for name in files(photos)}
        assert sorted(before) == ["a-40.png", "a-original.png", "a.png"]
        photos.move("a.png", "a.png", overwrite=True)
        assert {name: photos.read(name) for name in files(photos)} == before
