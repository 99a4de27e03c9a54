"""The structure checks and metadata strippers of fs_images.metadata, given files broken in
each way their parsers look for: each is refused with the error that names the fault (what
the upload check reports), never read past its end."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from fs_images.metadata import jpeg_structure, png_structure, strip_png, strip_webp

SOI, EOI = b"\xff\xd8", b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"GIF89a\x00\x00", "not a JPEG file"),
        (SOI + b"\x00\x00", "JPEG marker expected at byte 2"),
        (SOI + b"\xff\xff\xff", "JPEG file has no end-of-image marker"),  # fill bytes to the end
        (SOI + b"\xff\xe0\x00", "truncated JPEG segment"),  # a length cut in half
        (SOI + b"\xff\xe0\x00\x10JFIF", "truncated JPEG segment"),  # a segment longer than the file
        (SOI + b"\xff\xe0\x00\x04ab", "JPEG file has no end-of-image marker"),
    ],
)
def test_broken_jpegs(data, error):
    with pytest.raises(ValueError, match=error):
        jpeg_structure(data)


def test_a_jpeg_with_markers_that_have_no_length():
    data = SOI + b"\xff\x01" + b"\xff\xd0" + EOI  # TEM and RST0 stand alone
    assert jpeg_structure(data) == len(data)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"GIF89a\x00\x00", "not a PNG file"),
        (PNG, "truncated PNG file: no IEND chunk"),
        (PNG + struct.pack(">I", 100) + b"IDAT" + b"x" * 10, r"truncated PNG file \(IDAT chunk\)"),
    ],
)
def test_broken_pngs(data, error):
    with pytest.raises(ValueError, match=error):
        png_structure(io.BytesIO(data))
    if error != "truncated PNG file: no IEND chunk":
        with pytest.raises(ValueError, match=r"not a PNG file|PNG file is truncated"):
            strip_png(data, keep_exif=False, keep_gps=False)


def test_strip_png_refuses_a_chunk_cut_short():
    whole = PNG + png_chunk(b"IHDR", b"\x00" * 13) + png_chunk(b"IEND", b"")
    assert png_structure(io.BytesIO(whole)) is None
    with pytest.raises(ValueError, match="PNG file is truncated"):
        strip_png(whole[:-6], keep_exif=False, keep_gps=False)
    with pytest.raises(ValueError, match="PNG file is truncated"):
        strip_png(PNG + png_chunk(b"IHDR", b"\x00" * 13)[:10], keep_exif=False, keep_gps=False)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"RIFF\x00\x00\x00\x00WAVE", "not a WebP file"),
        (b"RIFF", "not a WebP file"),
        (
            b"RIFF" + struct.pack("<I", 30) + b"WEBP" + b"VP8 " + struct.pack("<I", 100) + b"x" * 10,
            "truncated",
        ),
    ],
)
def test_broken_webps(data, error):
    with pytest.raises(ValueError, match=error):
        strip_webp(data, keep_exif=False, keep_gps=False)
