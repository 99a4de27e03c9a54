"""The limits that bound what processing holds in memory: pixels (4 bytes each, decoded) and
metadata (which Pillow reads whole as it opens a file), refused before anything is decoded
or read, with nothing stored."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, JpegImagePlugin, PngImagePlugin

from fs_core.errors import UnauthorizedFileType
from fs_images import ImageTooLarge, InvalidImage, metadata, pipeline

HOWS = ["save", "write", "unseekable save"]  # checked before storing; after; after


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def store(storage, data: bytes, name: str, how: str) -> None:
    if how == "save":
        storage.save(io.BytesIO(data), name)
    elif how == "write":
        storage.write(name, data)
    else:
        storage.save(_Unseekable(data), name)


def files(storage) -> list[str]:
    return sorted(storage.list_files())


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(kind))
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def with_chunk(png: bytes, kind: bytes, payload: bytes, *, at_end: bool = False) -> bytes:
    """``png`` with a chunk added after IHDR, or before IEND."""
    at = len(png) - 12 if at_end else 33
    return png[:at] + png_chunk(kind, payload) + png[at:]


def png_header_only(width: int, height: int) -> bytes:
    """A grey PNG that says it is ``width`` x ``height`` but holds one row of pixels (every
    CRC right: Pillow decodes it, the rows its data lack left black)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


BIG = 2 << 20  # over the 1 MiB limit the tests set


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(
    ("kind", "payload", "at_end"),
    [
        (b"tEXt", b"Comment\x00" + b"x" * BIG, False),
        (b"zTXt", b"Comment\x00\x00" + zlib.compress(b"x" * BIG, 0), False),
        (b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + b"x" * BIG, False),
        (b"eXIf", b"MM\x00*" + b"\x00" * BIG, False),
        (b"prVt", b"\x00" * BIG, False),  # a private chunk Pillow keeps
        (b"tEXt", b"Comment\x00" + b"x" * BIG, True),  # after the pixels
    ],
    ids=["tEXt", "zTXt", "iTXt", "eXIf", "private", "tEXt-after-IDAT"],
)
def test_an_oversized_png_chunk_is_refused_before_it_is_read(
    photo_app, photos, img, monkeypatch, how, kind, payload, at_end
):
    data = with_chunk(img.png(img.noisy((64, 48))), kind, payload, at_end=at_end)

    def read_chunk(self, *args):
        raise AssertionError("Pillow read the chunk")

    for handler in ("chunk_tEXt", "chunk_zTXt", "chunk_iTXt", "chunk_eXIf"):
        monkeypatch.setattr(PngImagePlugin.PngStream, handler, read_chunk)
    monkeypatch.setattr(PngImagePlugin.ChunkStream, "verify", read_chunk)
    with photo_app(
        PHOTOS_FS_IMAGES_THUMBNAILS=[16],
        PHOTOS_FS_IMAGES_WEBP="auto",
        PHOTOS_FS_IMAGES_MAX_METADATA=1 << 20,
    ):
        with pytest.raises(ImageTooLarge) as info:
            store(photos, data, "big.png", how)
        assert isinstance(info.value, UnauthorizedFileType)
        message = str(info.value)
        assert "'big.png'" in message
        assert f"{kind.decode()} chunk of {len(payload) + 12:,} bytes" in message
        assert "more than the 1,048,576 this storage accepts" in message
        assert "raise IMAGES_MAX_METADATA" in message
        assert info.value.limit == 1 << 20
        assert files(photos) == []


def test_metadata_within_the_limit_is_read_and_cleaned_as_before(photo_app, photos, img):
    icc = img.srgb_icc()
    source = with_chunk(img.png(img.quadrants(), icc_profile=icc), b"tEXt", b"Comment\x00" + b"x" * 500_000)
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16]):  # the default limit: 16 MiB
        photos.save(io.BytesIO(source), "ok.png")
        assert files(photos) == ["ok-16.png", "ok.png"]
        stored = img.opened(photos.read("ok.png"))
        assert "Comment" not in stored.info  # text removed, losslessly
        assert stored.info.get("icc_profile") == icc  # the profile kept
        assert stored.tobytes() == img.opened(source).tobytes()


@pytest.mark.parametrize("how", HOWS)
def test_oversized_jpeg_segments_are_refused_before_pillow_reads_them(
    photo_app, photos, img, monkeypatch, how
):
    jpeg = img.jpeg(img.noisy((64, 48)))
    app15 = b"\xff\xef" + struct.pack(">H", 65535) + b"\x00" * 65533
    data = jpeg[:2] + app15 * 20 + jpeg[2:]  # 1.25 MiB of APP15 segments, each of them allowed

    def read_segment(self, marker):
        raise AssertionError("Pillow read the segment")

    monkeypatch.setitem(JpegImagePlugin.MARKER, 0xFFEF, ("APP15", "Application segment 15", read_segment))
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_METADATA=1 << 20):
        with pytest.raises(ImageTooLarge, match=r"JPEG APP15 segment of 65,537 bytes.*IMAGES_MAX_METADATA"):
            store(photos, data, "big.jpg", how)
        assert files(photos) == []


@pytest.mark.parametrize("how", HOWS)
def test_an_oversized_webp_chunk_is_refused(photo_app, photos, img, how):
    data = img.encode(img.noisy((64, 48)), "WEBP", exif=b"Exif\x00\x00MM\x00*" + b"\x00" * BIG)
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_METADATA=1 << 20):
        with pytest.raises(ImageTooLarge, match=r"WebP EXIF chunk of 2,097,\d+ bytes"):
            store(photos, data, "big.webp", how)
        assert files(photos) == []


@pytest.mark.parametrize("how", HOWS)
def test_an_image_just_over_the_default_pixel_limit_is_refused_and_nothing_is_stored(photo_app, photos, how):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[256, 64], PHOTOS_FS_IMAGES_MAX_SIZE=2048):
        with pytest.raises(ImageTooLarge) as info:
            # Refused on its header: decoded, it would take 61 MiB and give 7 files.
            store(photos, png_header_only(8001, 8000), "huge.png", how)
        message = str(info.value)
        assert "'huge.png' is 8001x8000 = 64,008,000 pixels" in message
        assert "more than the 64,000,000 this storage accepts" in message
        assert "raise IMAGES_MAX_PIXELS to accept it" in message
        assert "FS_IMAGES_MAX_PIXELS" in message
        assert info.value.limit == 64_000_000
        assert files(photos) == []


def test_an_image_at_the_pixel_limit_is_accepted(photo_app, photos):
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[64], PHOTOS_FS_IMAGES_MAX_PIXELS=1_000_000):
        with pytest.raises(ImageTooLarge, match="1,001,000 pixels, more than the 1,000,000"):
            photos.save(io.BytesIO(png_header_only(1001, 1000)), "over.png")
        photos.save(io.BytesIO(png_header_only(1000, 1000)), "edge.png")
        assert files(photos) == ["edge-64.png", "edge.png"]


def test_webp_pixels_count_four_times(photo_app, photos, img):
    webp = img.encode(img.quadrants((100, 100)), "WEBP")  # Pillow holds ~4 copies decoding it
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=39_999):
        with pytest.raises(ImageTooLarge, match="a WEBP holds 4 full-size copies: it counts as 40,000"):
            photos.save(io.BytesIO(webp), "a.webp")
        assert files(photos) == []
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=40_000):
        photos.save(io.BytesIO(webp), "a.webp")
        assert files(photos) == ["a-16.webp", "a.webp"]


def test_a_webp_canvas_over_the_limit_is_refused_before_pillow_opens_it(photo_app, photos, monkeypatch):
    # A VP8X header for a 16000x16000 canvas, which Pillow's decoder allocates on opening.
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4 + (15999).to_bytes(3, "little") * 2
    data = b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x
    opened = []
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or pytest.fail("opened"))
    with photo_app(PHOTOS_FS_IMAGES=True):
        with pytest.raises(ImageTooLarge, match="16000x16000"):
            photos.save(io.BytesIO(data), "canvas.webp")
        assert files(photos) == []
    assert opened == []


def test_limits_must_be_positive(photo_app, photos, img):
    from fs_core.errors import ConfigurationError

    with (
        photo_app(PHOTOS_FS_IMAGES=True, PHOTOS_FS_IMAGES_MAX_METADATA=0),
        pytest.raises(ConfigurationError, match="IMAGES_MAX_METADATA"),
    ):
        photos.save(io.BytesIO(img.png()), "x.png")


# -- the structure walks ------------------------------------------------------------------------


def test_survey_reads_headers_only(img):
    png = with_chunk(img.png(img.quadrants((40, 30))), b"tEXt", b"k\x00" + b"v" * 1000)
    found = metadata.survey(io.BytesIO(png))
    assert found is not None
    assert (found.format, found.size, found.largest) == ("PNG", (40, 30), ("tEXt chunk", 1014))
    assert found.metadata == len(png) - sum(12 + n for n in _idat_lengths(png)) - 8

    jpeg = img.jpeg(img.quadrants((40, 30)), exif=img.gps_exif())
    found = metadata.survey(io.BytesIO(jpeg))
    assert (found.format, found.size) == ("JPEG", (40, 30))
    assert found.largest is not None
    assert found.largest[0].startswith("JPEG")

    webp = io.BytesIO(img.encode(img.quadrants((40, 30)), "WEBP"))
    webp.seek(0)
    assert metadata.survey(webp).size == (40, 30)
    assert webp.tell() == 0  # put back
    assert metadata.survey(io.BytesIO(img.encode(img.quadrants(), "GIF"))) is None


def _idat_lengths(png: bytes) -> list[int]:
    pos, lengths = 8, []
    while pos < len(png):
        (length,) = struct.unpack_from(">I", png, pos)
        if png[pos + 4 : pos + 8] == b"IDAT":
            lengths.append(length)
        pos += 12 + length
    return lengths


def test_junk_between_jpeg_segments_is_refused_before_pillow_skips_through_it(photo_app, photos, img):
    jpeg = img.jpeg()
    data = jpeg[:2] + b"junk" * 1000 + jpeg[2:]
    with photo_app(PHOTOS_FS_IMAGES=True):
        with pytest.raises(InvalidImage, match="corrupt image: JPEG marker expected at byte 2"):
            photos.save(io.BytesIO(data), "junk.jpg")
        assert files(photos) == []


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda png: png[:-20], "truncated"),
        (lambda png: png[:60] + bytes([png[60] ^ 0xFF]) + png[61:], "bad checksum in IDAT"),
        (lambda png: png[:37] + b"\x00\x01" + png[39:], "broken PNG file"),
    ],
    ids=["truncated", "checksum", "chunk type"],
)
def test_png_structure_reads_in_blocks_and_finds_damage(img, monkeypatch, damage, reason):
    png = img.png(img.noisy((200, 150)))
    metadata.png_structure(io.BytesIO(png))
    monkeypatch.setattr(metadata, "_CRC_BLOCK", 1000)
    with pytest.raises(ValueError, match=reason):
        metadata.png_structure(io.BytesIO(damage(png)))


def test_large_images_leave_memory_early(img, monkeypatch):
    """A file kept in memory while processed sits next to the decoded image: the file of an
    image that decodes large is spilled from SPILL_LARGE on, others from SPILL_SIZE."""
    assert pipeline._large(png_header_only(8000, 8000))
    assert not pipeline._large(img.png(img.quadrants((4000, 3000))))
    assert pipeline._large(img.encode(img.quadrants(), "GIF"))  # size not surveyed: assumed large
