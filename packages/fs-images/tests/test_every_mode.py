"""Every pixel mode a format can store comes out of the helpers as an image of that format in
a mode it can show: CMYK (with and without a colour profile), greyscale with alpha, 16- and
32-bit greyscale, floats, palettes, premultiplied alpha, bilevel."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

import fs_images

SHOWABLE = {"1", "L", "LA", "P", "PA", "RGB", "RGBA"}


def encoded(mode: str, fmt: str, size=(80, 60), **params) -> bytes:
    image = Image.new(mode, size)
    if mode in ("I", "I;16", "F"):
        image.putdata([x * 300 for x in range(size[0] * size[1])])  # values above 255
    elif mode not in ("1",):
        image = Image.linear_gradient("L").resize(size).convert(mode)
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


SIZES = {"make_thumbnail": (32, 32), "center_thumbnail": (32, 32), "resize": (32, 24), "optimize": (80, 60)}


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("CMYK", "JPEG"),
        ("CMYK", "TIFF"),
        ("LA", "PNG"),
        ("I;16", "PNG"),
        ("I", "TIFF"),
        ("F", "TIFF"),
        ("P", "GIF"),
        ("1", "BMP"),
        ("LA", "WEBP"),
    ],
)
@pytest.mark.parametrize("helper", list(SIZES))
def test_each_mode_comes_out_showable_in_its_format(mode, fmt, helper):
    data = encoded(mode, fmt)
    call = getattr(fs_images, helper)
    out = call(io.BytesIO(data)) if helper == "optimize" else call(io.BytesIO(data), 32)
    with Image.open(out) as image:
        image.load()
        assert image.format == fmt
        assert image.mode in SHOWABLE, image.mode
        assert image.size == SIZES[helper]
        if mode in ("I;16", "I"):  # scaled to 8 bits, not clipped to white (floats are clipped)
            low, high = image.convert("L").getextrema()
            assert low < 100 < high


def test_a_cmyk_jpeg_with_a_colour_profile_becomes_rgb_through_it():
    cmyk = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # red, in ink
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    cmyk.save(out, "JPEG", icc_profile=profile)  # an RGB profile on CMYK pixels: cannot convert
    with Image.open(fs_images.make_thumbnail(io.BytesIO(out.getvalue()), 16)) as thumbnail:
        assert thumbnail.mode == "RGB"
        red, green, blue = thumbnail.convert("RGB").getpixel((8, 8))
        assert red > 200
        assert max(green, blue) < 80
