"""Fixtures for fs-mongoengine's tests: mongoengine connected to mongomock in process, or to
the real server ``FS_TEST_MONGO_URL`` names (the same tests; only the client class differs),
in a database of its own per test, and apps with fs-mongoengine's and fs-images' plugins
loaded as users get them (entry points).

Images are drawn with Pillow here and checked by their pixels and dimensions.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import mongoengine
import pytest
from flask import Flask
from PIL import Image

import fs_core as fs
from fs_core.testing import fs_make_app  # noqa: F401  (fixture)
from fs_testservers import MongoTarget
from fs_testservers.fixtures import mongo  # noqa: F401  (fixture)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)


def _target(request: pytest.FixtureRequest) -> MongoTarget:
    return request.getfixturevalue("mongo")


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """mongoengine's default connection, to a fresh database on the target; dropped after."""
    target = _target(request)
    name = target.database_name()
    options: dict[str, Any] = {"uuidRepresentation": "standard", "tz_aware": True}
    if target.client_class is not None:
        options["mongo_client_class"] = target.client_class
    mongoengine.connect(db=name, host=target.url, **options)
    yield name
    mongoengine.disconnect()
    client = target.client()
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture
def raw(request: pytest.FixtureRequest, database: str) -> Iterator[Any]:
    """The test's database through a client of its own: what is really stored."""
    client = _target(request).client()
    yield client[database]
    client.close()


@pytest.fixture
def make_app(request: pytest.FixtureRequest, database: str) -> Callable[..., Flask]:
    """``make_app(*storages, plugins=("mongoengine", "images"), **config)``: an app on the
    ``memory`` backend with those plugins loaded from their entry points."""
    make_fs_app = request.getfixturevalue("fs_make_app")

    def make(
        *storages: fs.Storage, plugins: tuple[str, ...] = ("mongoengine", "images"), **config: Any
    ) -> Flask:
        return make_fs_app(*plugins, storages=storages, **config)

    return make


@pytest.fixture
def app_context(make_app: Callable[..., Flask]) -> Callable[..., Any]:
    """``with app_context(*storages, **config) as app:`` an app as ``make_app`` makes it,
    inside its application context."""

    def enter(*storages: fs.Storage, **config: Any) -> Any:
        return make_app(*storages, **config).app_context()

    return enter


def quadrants(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Four solid quadrants: red, green (top), blue, yellow (bottom)."""
    image = Image.new("RGB", size)
    w, h = size
    for box, color in (
        ((0, 0, w // 2, h // 2), RED),
        ((w // 2, 0, w, h // 2), GREEN),
        ((0, h // 2, w // 2, h), BLUE),
        ((w // 2, h // 2, w, h), YELLOW),
    ):
        image.paste(color, box)
    return image


def encode(image: Image.Image, fmt: str = "PNG") -> io.BytesIO:
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    out.seek(0)
    return out


class Pictures:
    """Image builders for the tests (pytest's importlib mode cannot import conftest)."""

    RED, GREEN, BLUE, YELLOW = RED, GREEN, BLUE, YELLOW
    quadrants = staticmethod(quadrants)
    encode = staticmethod(encode)

    @staticmethod
    def png(size: tuple[int, int] = (400, 300)) -> io.BytesIO:
        return encode(quadrants(size), "PNG")

    @staticmethod
    def jpeg(size: tuple[int, int] = (400, 300)) -> io.BytesIO:
        return encode(quadrants(size), "JPEG")

    @staticmethod
    def opened(data: bytes) -> Image.Image:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image

    @staticmethod
    def close(color: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
        return all(abs(a - b) <= tolerance for a, b in zip(color[:3], expected, strict=True))


@pytest.fixture
def pictures() -> type[Pictures]:
    return Pictures
