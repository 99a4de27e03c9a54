"""Fixtures and image builders: every test image is drawn here with Pillow.

Tests reach the builders through the ``img`` fixture (``img.jpeg(img.quadrants())``), since
pytest's importlib mode does not make this module importable by name.
"""

from __future__ import annotations

import functools
import io
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from PIL import Image, ImageCms, ImageDraw

import fs_core
from fs_core.testing import fs_make_app, fs_register_plugin  # noqa: F401  (fixtures)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)
GPS_LATITUDE = (48.0, 51.0, 24.0)


def quadrants(
    size: tuple[int, int] = (400, 300), colors: tuple[Any, ...] = (RED, GREEN, BLUE, YELLOW)
) -> Image.Image:
    """Four solid quadrants: top-left, top-right, bottom-left, bottom-right."""
    mode = "RGBA" if len(colors[0]) == 4 else "RGB"
    image = Image.new(mode, size)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((0, 0, w // 2 - 1, h // 2 - 1), fill=colors[0])
    draw.rectangle((w // 2, 0, w - 1, h // 2 - 1), fill=colors[1])
    draw.rectangle((0, h // 2, w // 2 - 1, h - 1), fill=colors[2])
    draw.rectangle((w // 2, h // 2, w - 1, h - 1), fill=colors[3])
    return image


def noisy(size: tuple[int, int] = (640, 480), seed: int = 1) -> Image.Image:
    """Photo-like content whose encoded size depends on the quality setting."""
    small = Image.effect_noise((size[0] // 8, size[1] // 8), 80).convert("RGB")
    base = small.resize(size, Image.Resampling.BICUBIC)
    return Image.blend(base, Image.effect_noise(size, 30 + seed).convert("RGB"), 0.3)


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0110] = "Model X"  # Model
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    return exif


@functools.cache
def srgb_icc() -> bytes:
    # One profile per run: its header holds its creation time, so two calls a second apart
    # give different bytes.
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encode(image: Image.Image, fmt: str = "JPEG", **params: Any) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG" and "quality" not in params:
        params["quality"] = 92
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg(image: Image.Image | None = None, **params: Any) -> bytes:
    return encode(image if image is not None else quadrants(), "JPEG", **params)


def png(image: Image.Image | None = None, **params: Any) -> bytes:
    return encode(image if image is not None else quadrants(), "PNG", **params)


def animated_gif(frames: int = 4, size: tuple[int, int] = (120, 90)) -> bytes:
    """``frames`` frames: a blue bar moving over a transparent background, 80 ms each."""
    images = []
    for i in range(frames):
        frame = Image.new("RGBA", size, (0, 0, 0, 0))
        ImageDraw.Draw(frame).rectangle((i * 20, 0, i * 20 + 19, size[1] - 1), fill=(*BLUE, 255))
        images.append(frame)
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=80, loop=0, disposal=2)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close_to(pixel: Any, expected: Any, tolerance: int = 40) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel, expected, strict=False))


@pytest.fixture
def make_app(tmp_path: Any) -> Callable[..., Flask]:
    """``make_app(*storages, **config)``: a Flask app with fs-core initialised, memory backend
    unless the config says otherwise. Config first, as in real applications."""
    counter = iter(range(1000))

    def make(*storages: fs_core.Storage, **config: Any) -> Flask:
        app = Flask(f"images_test_{next(counter)}", instance_path=str(tmp_path / "instance"))
        app.config.update(TESTING=True, SECRET_KEY="test", FS_BACKEND="memory", SERVER_NAME="fs.test")
        app.config.update(config)
        fs_core.init_app(app, *storages)
        return app

    return make


@pytest.fixture
def photos() -> fs_core.Storage:
    return fs_core.Storage("photos", [*fs_core.IMAGES, "pdf"])


@pytest.fixture
def photo_app(make_app: Callable[..., Flask], photos: fs_core.Storage) -> Callable[..., Iterator[Flask]]:
    """``with photo_app(**config):`` an app context where ``photos`` is configured."""
    import contextlib

    @contextlib.contextmanager
    def ctx(**config: Any) -> Iterator[Flask]:
        app = make_app(photos, **config)
        with app.app_context():
            yield app

    return ctx


@pytest.fixture
def disk_photo_app(photo_app: Callable[..., Any], tmp_path: Any) -> Callable[..., Any]:
    """``with disk_photo_app(**config):`` as ``photo_app``, on fs-local in a temporary root."""
    import functools

    return functools.partial(photo_app, FS_BACKEND="local", FS_ROOT=str(tmp_path / "root"))


def files(storage: fs_core.Storage) -> list[str]:
    return sorted(storage.list_files())


@pytest.fixture
def img() -> types.ModuleType:
    """This module: the image builders and colour helpers above."""
    return sys.modules[__name__]
