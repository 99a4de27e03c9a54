"""Lossless metadata cleaning of JPEG, PNG and WebP files."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fs_images import metadata


def strip(data: bytes, fmt: str, **keep: bool) -> bytes | None:
    """:func:`metadata.strip`, its parts joined into the cleaned file."""
    parts = metadata.strip(data, fmt, **keep)
    return None if parts is None else b"".join(parts)


def _exif(data: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(data)).getexif()


def _scan(data: bytes) -> bytes:
    """The entropy-coded image data of a baseline JPEG: everything from the SOS marker."""
    return data[data.index(b"\xff\xda") :]


def test_jpeg_gps_and_exif_removed_without_reencoding(img):
    source = img.jpeg(img.noisy(), exif=img.gps_exif(), icc_profile=img.srgb_icc(), comment=b"secret")
    cleaned = strip(source, "JPEG", keep_exif=False, keep_gps=False)
    assert cleaned is not None
    assert not _exif(cleaned)
    assert b"secret" not in cleaned
    assert Image.open(io.BytesIO(cleaned)).info.get("icc_profile") == img.srgb_icc()
    assert _scan(cleaned) == _scan(source)  # the compressed pixels are the same bytes
    assert img.opened(cleaned).tobytes() == img.opened(source).tobytes()


def test_jpeg_orientation_survives_alone(img):
    source = img.jpeg(exif=img.gps_exif(orientation=6))
    exif = _exif(strip(source, "JPEG", keep_exif=False, keep_gps=False))
    assert dict(exif) == {0x0112: 6}


def test_jpeg_keep_exif_drops_only_gps(img):
    source = img.jpeg(exif=img.gps_exif())
    exif = _exif(strip(source, "JPEG", keep_exif=True, keep_gps=False))
    assert exif[0x0110] == "Model X"
    assert 0x8825 not in exif
    assert strip(source, "JPEG", keep_exif=True, keep_gps=True) is None


def test_jpeg_without_metadata_is_left_alone(img):
    assert strip(img.jpeg(), "JPEG", keep_exif=False, keep_gps=False) is None


def test_jpeg_trailer_is_dropped(img):
    source = img.jpeg() + b"PAYLOAD<script>"
    cleaned = strip(source, "JPEG", keep_exif=False, keep_gps=False)
    assert cleaned == img.jpeg()


def test_progressive_jpeg_is_parsed_to_its_end(img):
    source = img.jpeg(img.noisy(), progressive=True, exif=img.gps_exif())
    cleaned = strip(source, "JPEG", keep_exif=False, keep_gps=False)
    assert img.opened(cleaned).tobytes() == img.opened(source).tobytes()


def test_truncated_jpeg_is_an_error(img):
    with pytest.raises(ValueError, match=r"truncated|end-of-image"):
        strip(img.jpeg(img.noisy())[:-500], "JPEG", keep_exif=False, keep_gps=False)


def test_png_exif_and_text_removed(img):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "where I live")
    source = img.png(exif=img.gps_exif(), pnginfo=info, icc_profile=img.srgb_icc())
    cleaned = strip(source, "PNG", keep_exif=False, keep_gps=False)
    reopened = img.opened(cleaned)
    assert not reopened.getexif()
    assert "Comment" not in reopened.info
    assert reopened.info.get("icc_profile") == img.srgb_icc()
    assert reopened.tobytes() == img.opened(source).tobytes()
    kept = img.opened(strip(source, "PNG", keep_exif=True, keep_gps=False))
    assert 0x8825 not in kept.getexif()
    assert kept.getexif()[0x010F] == "Camera maker"


def test_webp_exif_removed(img):
    source = img.encode(
        img.quadrants(), "WEBP", exif=img.gps_exif(), icc_profile=img.srgb_icc(), lossless=True
    )
    cleaned = strip(source, "WEBP", keep_exif=False, keep_gps=False)
    reopened = img.opened(cleaned)
    assert not reopened.getexif()
    assert reopened.info.get("icc_profile") == img.srgb_icc()
    assert reopened.tobytes() == img.opened(source).tobytes()
