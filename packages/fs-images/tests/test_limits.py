"""The limits that bound what processing holds in memory: pixels (4 bytes each, decoded) and
metadata (which Pillow reads whole as it opens a file), refused before anything is decoded
or read, with nothing stored."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile, JpegImagePlugin, PngImagePlugin

from fs_core.errors import UnauthorizedFileType
from fs_images import ImageTooLarge, InvalidImage, metadata, pipeline, processing

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
    assert metadata.survey(io.BytesIO(img.encode(img.quadrants(), "BMP"))) is None


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
    assert pipeline._large(img.encode(img.quadrants(), "BMP"))  # size not surveyed: assumed large


# -- GIF: frames beyond the screen, frames counted up to the limit --------------------------------


def gif_outgrowing(side: int, frames: int) -> bytes:
    """A GIF whose header says 1x1, followed by ``frames`` single-colour frames of ``side`` x
    ``side`` (a few hundred bytes each, LZW-compressed): Pillow grows the image to each."""
    single = io.BytesIO()
    Image.new("P", (side, side), 0).save(single, "GIF")
    data = single.getvalue()
    at = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)  # past the colour table
    while data[at] == 0x21:  # extensions: label, then sub-blocks
        at += 2
        while data[at]:
            at += data[at] + 1
        at += 1
    big = data[at:-1]  # the frame: descriptor, LZW code size, sub-blocks
    assert big[0] == 0x2C
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    small = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    control = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"
    return header + control + small + (control + big) * frames + b"\x3b"


@pytest.mark.parametrize("how", HOWS)
def test_gif_frames_beyond_the_screen_count_at_their_size(photo_app, photos, monkeypatch, how):
    data = gif_outgrowing(300, 3)  # 1x1 on its header; 4 frames of 300x300 once decoded
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=4 * 300 * 300 - 1):
        monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
        with pytest.raises(ImageTooLarge) as info:
            store(photos, data, "grow.gif", how)
        message = str(info.value)
        assert "4 frames of 300x300 (the image is 1x1: its frames reach beyond it)" in message
        assert "360,000 pixels in all, more than the 359,999" in message
        assert files(photos) == []
        monkeypatch.undo()
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=4 * 300 * 300):
        store(photos, data, "grow.gif", how)  # counted right: the limit itself is accepted
        assert files(photos) == ["grow-16.gif", "grow.gif"]


def test_decoding_checks_the_pixels_again_as_a_gif_grows(img):
    """The count before decoding is on the file's structure; decode checks again at each
    frame, before Pillow allocates it, should the two ever disagree."""
    from fs_images.processing import decode, open_image

    image = open_image(io.BytesIO(gif_outgrowing(300, 3)), "grow.gif")  # no limits: no walk
    assert image.size == (1, 1)
    with pytest.raises(ImageTooLarge, match=r"4 frames and its frame 2 makes it 300x300: 360,000 pixels"):
        decode(image, max_pixels=359_999)
    image = open_image(io.BytesIO(gif_outgrowing(300, 3)), "grow.gif")
    assert len(decode(image, max_pixels=360_000).frames) == 4


def test_frames_are_counted_up_to_the_limit_only(photo_app, photos, monkeypatch):
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00\x2c"
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"
    )
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    data = header + frame * 50_000 + b"\x3b"
    found = metadata.survey(io.BytesIO(data), max_frames=10)
    assert (found.frames, found.more) == (11, True)  # the walk stopped there
    assert metadata.survey(io.BytesIO(data)).frames == 50_000
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("opened"))  # Pillow counts them all
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_FRAMES=10):
        with pytest.raises(
            ImageTooLarge, match=r"'many\.gif' has more than the 10 frames this storage accepts"
        ):
            photos.save(io.BytesIO(data), "many.gif")
        assert files(photos) == []
    with (
        photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_ANIMATION="refuse"),
        pytest.raises(InvalidImage, match=r"animated \(at least 1001 frames\)"),
    ):
        photos.save(io.BytesIO(data), "many.gif")


def test_gif_comments_count_as_metadata(photo_app, photos, img):
    comment = b"\x21\xfe" + (b"\xff" + b"A" * 255) * 8192 + b"\x00"  # 2 MiB, which Pillow joins
    gif = img.encode(img.quadrants((40, 30)), "GIF")
    data = gif[:-1] + comment + b"\x3b"
    data = gif[: gif.index(b"\x2c")] + comment + gif[gif.index(b"\x2c") :]  # before the frame
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_METADATA=1 << 20):
        with pytest.raises(ImageTooLarge, match=r"GIF comment extension of 2,088,962 bytes"):
            photos.save(io.BytesIO(data), "c.gif")
        assert files(photos) == []


def test_a_gif_with_junk_between_its_blocks_is_refused(photo_app, photos, img):
    gif = img.animated_gif(frames=2)
    at = gif.index(b"\x21\xf9", 13)  # the first frame's control extension
    with photo_app(PHOTOS_FS_IMAGES=True):
        photos.save(io.BytesIO(gif[:at] + b"\x00" * 64 + gif[at:]), "some.gif")  # Pillow skips a few
        with pytest.raises(InvalidImage, match=rf"corrupt image: GIF block expected at byte {at + 64}"):
            photos.save(io.BytesIO(gif[:at] + b"junk" * 5000 + gif[at:]), "junk.gif")
        assert files(photos) == ["some.gif"]


# -- TIFF: the first directory, before Pillow reads it --------------------------------------------


def tiff(entries: dict[int, tuple[int, list[int]]], data: bytes = b"\x00" * 64) -> bytes:
    """A little-endian TIFF: ``data`` at byte 8, then a directory of ``entries`` (tag: (type,
    values)); arrays that do not fit in an entry follow it. Offsets in StripOffsets and
    TileOffsets are relative to ``data``."""
    sizes = {3: "H", 4: "I", 5: "I", 8: "h", 9: "i"}
    ifd_at = 8 + len(data) + (len(data) & 1)
    extra_at = ifd_at + 2 + 12 * len(entries) + 4
    table, extra = b"", b""
    for tag, (kind, values) in sorted(entries.items()):
        if tag in (273, 324):
            values = [8 + v for v in values]
        packed = struct.pack(f"<{len(values)}{sizes[kind]}", *values)
        if len(packed) <= 4:
            field = packed.ljust(4, b"\x00")
        else:
            field = struct.pack("<I", extra_at + len(extra))
            extra += packed
        table += struct.pack("<HHI", tag, kind, len(values)) + field
    body = data + b"\x00" * (len(data) & 1)
    return (
        b"II*\x00"
        + struct.pack("<I", ifd_at)
        + body
        + struct.pack("<H", len(entries))
        + table
        + b"\x00" * 4
        + extra
    )


def grey_tiff(width: int, height: int, rows: int, more: dict | None = None) -> bytes:
    strips = -(-height // rows)
    entries = {
        256: (4, [width]),
        257: (4, [height]),
        258: (3, [8]),
        259: (3, [1]),
        262: (3, [1]),
        273: (4, [min(i * rows * width, width * height - 1) for i in range(strips)]),
        277: (3, [1]),
        278: (4, [rows]),
        279: (4, [min(rows, height - i * rows) * width for i in range(strips)]),
        **(more or {}),
    }
    return tiff(entries, b"\x80" * (width * height))


@pytest.mark.parametrize("how", HOWS)
def test_a_tiff_tile_far_larger_than_its_image_is_refused_before_pillow_reads_it(
    photo_app, photos, monkeypatch, how
):
    # 16x16 pixels in one 32768x32768 tile: libtiff would allocate the whole tile (1 GiB).
    data = tiff(
        {
            256: (3, [16]),
            257: (3, [16]),
            258: (3, [8]),
            259: (3, [5]),
            262: (3, [1]),
            322: (3, [32768]),
            323: (3, [32768]),
            324: (4, [0]),
            325: (4, [64]),
        }
    )
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("opened"))
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16]):
        with pytest.raises(
            InvalidImage,
            match=r"'tile.tif' is a corrupt image: tiles of 32768x32768 pixels in an image of 16x16",
        ):
            store(photos, data, "tile.tif", how)
        assert files(photos) == []


def test_tiles_of_usual_sizes_pass_the_walk(img):
    """Encoders tile by 256 or 512 whatever the image: tiles up to 1024, or the image's own
    size rounded up to 16, pass."""
    for side, tile_side in ((16, 1024), (2000, 2000), (1000, 1008)):
        entries = {256: (3, [side]), 257: (3, [side]), 322: (3, [tile_side]), 323: (3, [tile_side])}
        found = metadata.survey(io.BytesIO(tiff(entries)))
        assert found.broken is None, (side, tile_side)
    entries = {256: (3, [1000]), 257: (3, [1000]), 322: (3, [1024]), 323: (3, [1040])}
    assert "tiles of 1024x1040" in metadata.survey(io.BytesIO(tiff(entries))).broken


@pytest.mark.parametrize("how", HOWS)
def test_a_tiff_of_many_strips_counts_what_pillow_keeps_for_each(photo_app, photos, monkeypatch, how):
    many = grey_tiff(1, 2000, 1)  # a 1x2000 image, one row a strip: Pillow keeps 2000 entries
    with photo_app(PHOTOS_FS_IMAGES=True, PHOTOS_FS_IMAGES_MAX_METADATA=1 << 20):
        with monkeypatch.context() as patched:
            patched.setattr(Image, "open", lambda *a, **k: pytest.fail("opened"))
            with pytest.raises(ImageTooLarge) as info:
                store(photos, many, "strips.tif", how)
        message = str(info.value)
        assert "TIFF table of 2,000 strips (Pillow keeps an entry for each) of 1,400,000 bytes" in message
        assert "raise IMAGES_MAX_METADATA" in message
        assert files(photos) == []
        store(photos, grey_tiff(1, 1000, 1), "fewer.tif", how)  # 700,000 bytes: accepted
        assert files(photos) == ["fewer.tif"]


def test_tile_tags_do_not_hide_the_strips_pillow_reads(photo_app, photos):
    """Pillow reads an uncompressed TIFF's strips if it has StripOffsets, even if it has tile
    tags too: both are checked."""
    many = grey_tiff(1, 2000, 1, {322: (3, [16]), 323: (3, [16])})
    found = metadata.survey(io.BytesIO(many))
    assert found.largest == ("TIFF table of 2,000 strips (Pillow keeps an entry for each)", 1_400_000)
    with (
        photo_app(PHOTOS_FS_IMAGES=True, PHOTOS_FS_IMAGES_MAX_METADATA=1 << 20),
        pytest.raises(ImageTooLarge, match="2,000 strips"),
    ):
        photos.save(io.BytesIO(many), "hidden.tif")


@pytest.mark.parametrize(
    ("tag", "field", "reason"),
    [
        (257, (9, [-2000]), "TIFF of 1x-2000 pixels"),  # signed: Pillow reads it all the same
        (278, (8, [-1]), "-1 rows a strip"),
        (256, (5, [1, 1]), "TIFF width tag of type 5"),  # a rational: not read here, so refused
    ],
    ids=["negative height", "negative rows", "rational width"],
)
def test_tiff_sizes_the_walk_cannot_check_are_refused(photo_app, photos, tag, field, reason):
    data = grey_tiff(1, 2000, 1, {tag: field})  # 2000 strips: Pillow makes an entry for each
    with photo_app(PHOTOS_FS_IMAGES=True), pytest.raises(InvalidImage, match=reason):
        photos.save(io.BytesIO(data), "odd.tif")


def test_a_tiff_with_more_strips_than_its_rows_need_is_refused(photo_app, photos):
    data = grey_tiff(4, 16, 8)  # two strips of 8 rows
    entries_more = grey_tiff(4, 16, 8, {273: (4, [0, 32, 0, 32, 0]), 279: (4, [32] * 5)})
    with photo_app(PHOTOS_FS_IMAGES=True):
        photos.save(io.BytesIO(data), "ok.tif")
        with pytest.raises(InvalidImage, match="corrupt image: 5 strips where the image needs 2"):
            photos.save(io.BytesIO(entries_more), "more.tif")
        assert files(photos) == ["ok.tif"]


def test_a_repeated_tiff_size_tag_is_refused(photo_app, photos):
    data = bytearray(grey_tiff(4, 16, 8))
    at = data.index(struct.pack("<HHI", 257, 4, 1))  # ImageLength becomes a second ImageWidth
    data[at : at + 2] = struct.pack("<H", 256)
    with (
        photo_app(PHOTOS_FS_IMAGES=True),
        pytest.raises(InvalidImage, match="TIFF tag 256 appears twice"),
    ):
        photos.save(io.BytesIO(bytes(data)), "twice.tif")


@pytest.mark.parametrize("rows", [None, 400])
def test_a_compressed_tiff_s_strip_buffer_counts_against_the_pixel_limit(
    photo_app, photos, img, monkeypatch, rows
):
    """libtiff decodes a strip at a time into a buffer of its own: a whole image in one strip
    is a second copy (3 bytes a pixel for RGB), counted at 4 bytes a pixel beyond an allowance
    (8 MiB: a few kB here, for a small image)."""
    params = {"tiffinfo": {278: rows}} if rows else {}
    data = img.encode(img.noisy((400, 400)), "TIFF", compression="tiff_lzw", **params)
    written = Image.open(io.BytesIO(data)).tag_v2[278]  # Pillow writes strips of 64 KiB or so
    assert written == (rows or written)
    strip = 400 * 3 * written
    monkeypatch.setattr(processing, "BUFFER_ALLOWANCE", 1000)
    counted = 160_000 + -(-(strip - 1000) // 4)
    with photo_app(PHOTOS_FS_IMAGES=True, PHOTOS_FS_IMAGES_MAX_PIXELS=counted - 1):
        with pytest.raises(ImageTooLarge) as info:
            photos.save(io.BytesIO(data), "one.tif")
        message = str(info.value)
        assert f"decoding it holds {strip:,} bytes more (the strip libtiff decodes into)" in message
        assert f"{counted:,} in all, more than the {counted - 1:,}" in message
        assert files(photos) == []
    with photo_app(PHOTOS_FS_IMAGES=True, PHOTOS_FS_IMAGES_MAX_PIXELS=counted):
        photos.save(io.BytesIO(data), "one.tif")
        assert files(photos) == ["one.tif"]
    monkeypatch.undo()
    with photo_app(PHOTOS_FS_IMAGES=True, PHOTOS_FS_IMAGES_MAX_PIXELS=160_000):  # within the allowance
        photos.save(io.BytesIO(data), "two.tif")
        assert "two.tif" in files(photos)


# -- JPEG: scans, and what a progressive JPEG keeps while it is decoded ---------------------------


def with_repeated_scan(jpeg: bytes, times: int) -> bytes:
    """``jpeg`` with its smallest scan repeated ``times`` more times."""
    segments, _ = metadata._jpeg_segments(jpeg)
    scans = [(start, segments[i + 1][2]) for i, (marker, start, _) in enumerate(segments) if marker == 0xDA]
    start, end = min(scans, key=lambda scan: scan[1] - scan[0])
    last = scans[-1][1]
    return jpeg[:last] + jpeg[start:end] * times + jpeg[last:]


@pytest.mark.parametrize("how", HOWS)
def test_a_jpeg_of_too_many_scans_is_refused_before_pillow_opens_it(photo_app, photos, img, monkeypatch, how):
    progressive = img.jpeg(img.noisy((64, 48)), progressive=True)
    assert metadata.survey(io.BytesIO(progressive)).scans == 10  # what libjpeg writes
    assert metadata.survey(io.BytesIO(img.jpeg())).scans == 1
    assert metadata.survey(io.BytesIO(with_repeated_scan(progressive, 90))).scans == 100
    data = with_repeated_scan(progressive, 91)
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("opened"))
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16]):
        with pytest.raises(ImageTooLarge, match=r"'scans.jpg' is a JPEG of more than 100 scans") as info:
            store(photos, data, "scans.jpg", how)
        assert info.value.limit == 100
        assert files(photos) == []


def test_a_sequential_jpeg_is_decoded_from_its_first_scan_alone(photo_app, photos, img):
    """libjpeg decodes a sequential JPEG whose first scan holds every component from that scan
    and refuses another: its scans are not walked (the check stays as cheap as it was), and
    repeated scans make it a broken file, not a slow one."""
    baseline = img.jpeg(img.noisy((300, 200)))
    data = with_repeated_scan(baseline, 500)
    assert metadata.survey(io.BytesIO(data)).scans == 1
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16]):
        with pytest.raises(InvalidImage, match="corrupt or truncated") as info:
            photos.save(io.BytesIO(data), "repeated.jpg")
        assert not isinstance(info.value, ImageTooLarge)
        assert files(photos) == []


def test_scans_are_counted_as_libjpeg_reads_them(img):
    """Segments are skipped by their length (a table may hold the bytes of a marker), scan
    data searched for its end across the blocks it is read in, and the count stops past the
    limit."""
    progressive = img.jpeg(img.noisy((300, 200)), progressive=True, exif=img.gps_exif())
    # A comment between the first scan and the next holding the bytes of an SOS marker.
    hidden = b"\xff\xfe" + struct.pack(">H", 2 + 8) + b"\xff\xda\x00\x02" * 2
    segments, _ = metadata._jpeg_segments(progressive)
    first = next(i for i, segment in enumerate(segments) if segment[0] == 0xDA)
    at = segments[first + 1][2]  # the end of the first scan's data
    data = progressive[:at] + hidden + progressive[at:]
    assert metadata.survey(io.BytesIO(data)).scans == 10
    for block in ((16, 64), (2, 2)):  # scan data split across many blocks
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(metadata, "_SCAN_READ", block)
            assert metadata.survey(io.BytesIO(data)).scans == 10
    assert metadata.survey(io.BytesIO(with_repeated_scan(progressive, 5000))).scans == 101


@pytest.mark.parametrize(
    ("subsampling", "coefficients"), [(0, 3 * 50 * 50 * 128), (2, (50 * 50 + 2 * 25 * 25) * 128)]
)
def test_a_progressive_jpeg_s_coefficients_count_against_the_pixel_limit(
    photo_app, photos, img, monkeypatch, subsampling, coefficients
):
    """libjpeg keeps 64 coefficients of 2 bytes for every 8x8 block of every component of a
    progressive JPEG until its last scan, whatever the scale it decodes at: counted at 4 bytes
    a pixel on top of the image's own pixels, beyond an allowance (8 MiB; 1000 bytes here, for
    a small image)."""
    image = img.noisy((400, 400))
    progressive = img.jpeg(image, progressive=True, subsampling=subsampling)
    monkeypatch.setattr(processing, "BUFFER_ALLOWANCE", 1000)
    counted = 400 * 400 + -(-(coefficients - 1000) // 4)
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=counted - 1):
        with pytest.raises(ImageTooLarge) as info:
            photos.save(io.BytesIO(progressive), "p.jpg")
        message = str(info.value)
        assert (
            f"decoding it holds {coefficients:,} bytes more (the coefficients of a progressive JPEG"
            in message
        )
        assert f"{counted:,} in all, more than the {counted - 1:,}" in message
        photos.save(io.BytesIO(img.jpeg(image, subsampling=subsampling)), "baseline.jpg")  # same size
        assert files(photos) == ["baseline-16.jpg", "baseline.jpg"]
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=counted):
        photos.save(io.BytesIO(progressive), "p.jpg")
        assert files(photos) == ["p-16.jpg", "p.jpg"]
    monkeypatch.undo()
    with photo_app(PHOTOS_FS_IMAGES_THUMBNAILS=[16], PHOTOS_FS_IMAGES_MAX_PIXELS=160_000):  # within it
        photos.save(io.BytesIO(progressive), "q.jpg")
        assert "q.jpg" in files(photos)
