"""Large images are processed band by band and let go of early: the outputs are those of the
whole-image path (same names, sizes and modes; pixels equal up to rounding), and peak memory
stays near one decoded copy of the image."""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
import textwrap
import weakref
import zlib

import pytest
from PIL import Image, ImageChops, ImageStat

from fs_core.testing import child_env
from fs_images import processing
from fs_images.processing import Target, decode, open_image, render

TARGETS = [
    Target("main", 150, "fit"),
    Target("crop", 48, "crop"),
    Target("pad", 60, "pad"),
    Target("box", 40, "crop", bbox=(10, 20, 150, 100)),
    Target("tiny", 12, "fit"),  # reduced by whole factors first
    Target("up", 400, "fit", upscale=True),
]


def photo(size: tuple[int, int] = (301, 203)) -> Image.Image:
    """Photo-like content, the same every run (Image.effect_noise is random)."""
    rng = random.Random(7)
    small = Image.new("RGB", (size[0] // 6, size[1] // 6))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(small.width * small.height)])
    return small.resize(size, Image.Resampling.BICUBIC)


def source(img, mode: str) -> Image.Image:
    """Photo-like content in ``mode`` (an asymmetric picture, so that a wrong turn shows)."""
    rgb = photo()
    alpha = Image.linear_gradient("L").resize(rgb.size)
    if mode == "RGBA":
        rgb.putalpha(alpha)
        return rgb
    if mode == "LA":
        return Image.merge("LA", [rgb.convert("L"), alpha])
    if mode == "P":
        image = rgb.quantize(64)
        image.info["transparency"] = 3
        return image
    if mode == "I;16":
        return rgb.convert("L").convert("I").point(lambda v: v * 200).convert("I;16")
    return rgb.convert(mode)


def encoded(img, mode: str, orientation: int) -> bytes:
    image = source(img, mode)
    params = {}
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        params["exif"] = exif
    if "transparency" in image.info:
        params["transparency"] = image.info["transparency"]
    return img.encode(image, "TIFF" if mode == "CMYK" else "PNG", **params)


def outputs(data: bytes) -> dict[str, Image.Image]:
    image = open_image(io.BytesIO(data))
    decoded = decode(image)
    image.close()
    return {key: output.frames[0] for key, output in render(decoded, TARGETS, release=True).items()}


def seen_difference(a: Image.Image, b: Image.Image) -> tuple[int, float]:
    """The largest and the mean difference of a channel, colours weighed by their alpha."""
    if a.mode in ("RGBA", "LA"):
        a, b = a.convert("RGBA").convert("RGBa"), b.convert("RGBA").convert("RGBa")
    difference = ImageChops.difference(a, b)
    extrema = difference.getextrema()
    largest = max(high for _, high in extrema) if isinstance(extrema[0], tuple) else extrema[1]
    return largest, max(ImageStat.Stat(difference).mean)


def assert_equivalent(a: Image.Image, b: Image.Image, name: str, *, hard_edges: bool = False) -> None:
    """Equal up to rounding. Pillow picks the order of its two passes by the size of the box,
    and a thumbnail made in bands from an output itself made in bands adds two roundings: a
    few levels here and there (more on the hard alpha edges a transparent colour makes), a
    fraction of one on average. A band out of place or turned wrong is tens of levels."""
    assert (a.mode, a.size) == (b.mode, b.size), name
    largest, mean = seen_difference(a, b)
    assert largest <= (64 if hard_edges else 8), (name, largest)
    assert mean <= 0.5, (name, mean)


@pytest.mark.parametrize(
    ("mode", "orientation"),
    [("RGB", o) for o in range(1, 9)]
    + [(m, o) for m in ("RGBA", "LA", "P", "I;16", "CMYK", "L") for o in (1, 6)],
)
def test_bands_give_the_outputs_of_the_whole_image(img, monkeypatch, mode, orientation):
    data = encoded(img, mode, orientation)
    whole = outputs(data)
    monkeypatch.setattr(processing, "WHOLE_BYTES", 0)  # every frame is "large"
    monkeypatch.setattr(processing, "BAND_BYTES", 3000)  # in bands of a few rows
    banded = outputs(data)
    assert sorted(banded) == sorted(whole)
    for key in whole:
        assert_equivalent(banded[key], whole[key], key, hard_edges=mode == "P")


def test_the_decoded_frame_is_let_go_once_no_output_needs_it(img, monkeypatch):
    monkeypatch.setattr(processing, "WHOLE_BYTES", 0)
    image = open_image(io.BytesIO(img.png(photo((400, 300)))))
    decoded = decode(image)
    image.close()
    frame = weakref.ref(decoded.frames[0])
    alive = []
    original = processing._render_frame

    def spy(sources, plan, *args):
        alive.append((plan.target.key, frame() is not None))
        return original(sources, plan, *args)

    monkeypatch.setattr(processing, "_render_frame", spy)
    targets = [Target("main", 200, "fit"), Target("t", 64, "crop"), Target("s", 16, "crop")]
    render(decoded, targets, release=True)
    # The thumbnails come from the 200 px image: the decoded frame is freed once it is made.
    assert alive == [("main", True), ("t", False), ("s", False)]
    assert decoded.frames == []


@pytest.mark.slow
def test_a_large_png_gives_the_same_files_as_the_whole_image_path(photo_app, photos, img, monkeypatch):
    """A 17 MP PNG (over WHOLE_BYTES: processed in bands) against the same upload processed
    whole: same names, sizes and modes, pixels equal up to rounding."""
    ramp = Image.linear_gradient("L").resize((4200, 4000))
    big = Image.merge("RGBA", [ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp, ramp.rotate(90)])
    big.paste(photo((800, 600)), (1000, 1500))  # some detail where the bands meet
    data = img.png(big, compress_level=1)
    del big, ramp
    config = {
        "PHOTOS_FS_IMAGES_THUMBNAILS": [256, 64],
        "PHOTOS_FS_IMAGES_MAX_SIZE": 2048,
        "PHOTOS_FS_IMAGES_THUMBNAIL_MODE": "pad",
    }

    def stored() -> dict[str, Image.Image]:
        with photo_app(**config):
            photos.save(io.BytesIO(data), "big.png")
            result = {name: img.opened(photos.read(name)) for name in photos.list_files()}
            for name in list(result):
                photos.delete(name)
            return result

    banded = stored()
    monkeypatch.setattr(processing, "WHOLE_BYTES", 1 << 40)
    whole = stored()
    assert sorted(banded) == sorted(whole) == ["big-256.png", "big-64.png", "big-original.png", "big.png"]
    for name in whole:
        assert_equivalent(banded[name], whole[name], name)


# -- peak memory, measured in a fresh process ---------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import json, os, sys, tempfile
    from flask import Flask
    import fs_core, fs_images.pipeline

    def peak():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    path = sys.argv[1]
    app = Flask("memory")
    app.config.update(
        FS_BACKEND="local", FS_ROOT=tempfile.mkdtemp(), PHOTOS_FS_IMAGES_THUMBNAILS=[256, 64],
        PHOTOS_FS_IMAGES_MAX_SIZE=2048, PHOTOS_FS_IMAGES_WEBP="auto",
    )
    photos = fs_core.Storage("photos", fs_core.IMAGES)
    fs_core.init_app(app, photos)
    with app.app_context():
        list(photos.list_files())
        before = peak()
        try:
            with open(path, "rb") as fh:
                photos.save(fh, os.path.basename(path))
            error = None
        except fs_core.FSError as exc:
            error = type(exc).__name__
        stored = sorted(photos.list_files())
        print(json.dumps({"growth": (peak() - before) / 1024, "error": error, "stored": stored}))
    """
)


def _peak_of_one_save(path: str) -> dict:
    if not os.path.exists("/proc/self/status"):
        pytest.skip("peak memory is read from /proc/self/status (Linux)")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, path], capture_output=True, text=True, check=True, env=child_env()
    )
    return json.loads(out.stdout)


@pytest.mark.slow
def test_a_png_with_a_50_mb_text_chunk_costs_no_memory_and_stores_nothing(img, tmp_path):
    png = img.png()
    payload = b"Comment\x00" + b"x" * (50 << 20)
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(payload, zlib.crc32(b"tEXt")))
    path = tmp_path / "text.png"
    path.write_bytes(png[:33] + chunk + png[33:])  # after IHDR
    result = _peak_of_one_save(str(path))
    assert result["error"] == "ImageTooLarge"
    assert result["stored"] == []
    assert result["growth"] < 32, result  # MiB; Pillow reading the chunk took 200


@pytest.mark.slow
def test_a_large_rgba_png_is_processed_near_one_decoded_copy(img, tmp_path):
    big = Image.linear_gradient("L").resize((6000, 4500))
    flipped = big.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = Image.merge("RGBA", [big, flipped, big, big.point(lambda v: 255 - v)])
    path = tmp_path / "big.png"
    image.save(path, "PNG", compress_level=1)
    del image, big, flipped
    decoded_mib = 6000 * 4500 * 4 / 2**20  # 103 MiB
    result = _peak_of_one_save(str(path))
    assert result["error"] is None
    assert "big-256.png" in result["stored"]
    # One decoded copy, the 2048 px image, bands: about 25 MiB over. Processed whole, the
    # premultiplied copy alone was another 103.
    assert result["growth"] < decoded_mib + 64, result


def _gif_outgrowing_its_screen(side: int, frames: int) -> bytes:
    single = io.BytesIO()
    Image.new("P", (side, side), 0).save(single, "GIF")
    data = single.getvalue()
    at = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while data[at] == 0x21:
        at += 2
        while data[at]:
            at += data[at] + 1
        at += 1
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    first = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"  # 1x1, as declared
    return header + first + data[at:-1] * frames + b"\x3b"


def _tiff(entries: list[tuple[int, int, int, bytes]], data: bytes) -> bytes:
    """A little-endian TIFF: ``data`` at byte 8, then a directory of (tag, type, count,
    value-or-offset) entries."""
    at = 8 + len(data) + (len(data) & 1)
    table = b"".join(struct.pack("<HHI", *entry[:3]) + entry[3] for entry in sorted(entries))
    return (
        b"II*\x00"
        + struct.pack("<I", at)
        + data
        + b"\x00" * (len(data) & 1)
        + struct.pack("<H", len(entries))
        + table
        + b"\x00" * 4
    )


def _short(value: int) -> bytes:
    return struct.pack("<HH", value, 0)


def _long(value: int) -> bytes:
    return struct.pack("<I", value)


def _tiff_one_huge_tile() -> bytes:
    """16x16 pixels in one 16384x16384 LZW tile, whose data decodes to zeros: libtiff
    allocates the whole tile (256 MiB) to decode it."""
    lzw = bytes([0x80, 0x00, 0x20, 0x20])  # clear, 0, end (9-bit codes)
    return _tiff(
        [
            (256, 3, 1, _short(16)),
            (257, 3, 1, _short(16)),
            (258, 3, 1, _short(8)),
            (259, 3, 1, _short(5)),
            (262, 3, 1, _short(1)),
            (322, 4, 1, _long(16384)),
            (323, 4, 1, _long(16384)),
            (324, 4, 1, _long(8)),
            (325, 4, 1, _long(len(lzw))),
        ],
        lzw,
    )


def _tiff_of_many_strips(height: int) -> bytes:
    """A 1 x ``height`` grey TIFF, uncompressed, one row a strip: Pillow keeps an entry for
    each strip (about 700 bytes)."""
    pixels = bytes(height)
    offsets = struct.pack(f"<{height}I", *range(8, 8 + height))
    counts = struct.pack(f"<{height}I", *([1] * height))
    data = pixels + offsets + counts
    return _tiff(
        [
            (256, 4, 1, _long(1)),
            (257, 4, 1, _long(height)),
            (258, 3, 1, _short(8)),
            (259, 3, 1, _short(1)),
            (262, 3, 1, _short(1)),
            (273, 4, height, _long(8 + height)),
            (277, 3, 1, _short(1)),
            (278, 4, 1, _long(1)),
            (279, 4, height, _long(8 + 5 * height)),
        ],
        data,
    )


def _progressive_cmyk(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (side, side), (10, 20, 30, 40)).save(out, "JPEG", progressive=True, subsampling=0)
    return out.getvalue()


BOMBS = {
    # name: (builder, the peak of one save before it was refused on its structure)
    "gif frames beyond a 1x1 screen": (
        lambda: _gif_outgrowing_its_screen(6000, 4),
        "5 frames of 36 MP: 860 MiB",
    ),
    "tiff tile of 16384x16384 in a 16x16 image": (_tiff_one_huge_tile, "the tile: 256 MiB"),
    "tiff of 300,000 strips": (lambda: _tiff_of_many_strips(300_000), "an entry a strip: 200 MiB"),
    "progressive cmyk jpeg 6000x6000": (lambda: _progressive_cmyk(6000), "coefficients: 310 MiB"),
}


@pytest.mark.slow
@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_bomb_is_refused_on_its_structure_and_costs_no_memory(tmp_path, bomb):
    build, _ = BOMBS[bomb]
    path = tmp_path / ("bomb" + {"gif": ".gif", "tif": ".tif", "pro": ".jpg"}[bomb[:3]])
    path.write_bytes(build())
    result = _peak_of_one_save(str(path))
    assert result["error"] in ("ImageTooLarge", "InvalidImage"), result
    assert result["stored"] == []
    assert result["growth"] < 32, result  # MiB
