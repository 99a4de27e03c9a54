"""A user's module that must type-check with ``mypy --strict`` (tests/test_typing.py): an
application, a backend and a plugin written against fs-core's public API, with the types a
user's checker must see (``assert_type``: not a supertype, not ``Any``). It also runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, BinaryIO

from flask import Flask
from typing_extensions import assert_type
from werkzeug.wrappers import Response

import fs_core
from fs_core import BaseBackend, FileExists, FileNotFound, Storage, hookimpl, hookspecs

avatars = Storage("avatars", fs_core.IMAGES, upload_to="faces", overwrite=False)
app = Flask(__name__)
app.config.update(FS_BACKEND="memory", SERVER_NAME="example.com", SECRET_KEY="test")
fs_core.init_app(app, avatars)

with app.app_context():
    name = avatars.save(io.BytesIO(b"<png>"), "me.png", prefix="users/42")
    assert_type(name, str)
    assert_type(avatars.read(name), bytes)
    assert_type(avatars.exists(name), bool)
    assert_type(avatars.list_files(), Iterator[str])
    assert_type(avatars.metadata(name), dict[str, Any])
    assert_type(avatars.url(name), str)
    assert_type(avatars.signed_url(name, expires=60), str)
    assert_type(avatars.copy(name, "copy.png"), str)
    with avatars.open(name, "rb") as binary:
        assert_type(binary, IO[bytes])
        assert binary.read() == b"<png>"
    with avatars.open("notes/a.png", "w") as text:
        assert_type(text, IO[str])
        text.write("text")
    with app.test_request_context():
        assert_type(avatars.serve(name), Response)
    assert_type(fs_core.by_name("avatars"), Storage | None)
    assert_type(fs_core.storages(app), Mapping[str, Storage])
    assert_type(fs_core.storage_named("avatars"), Storage)
    found = list(avatars.orphans(older_than=0))
    assert_type(found, list[fs_core.Orphan])
    assert_type(avatars.remove_orphans(found), list[tuple[fs_core.Orphan, Exception]])

assert_type(fs_core.mime("a.png"), str | None)
assert_type(fs_core.mime("a.png", "application/octet-stream"), str)
assert_type(fs_core.secure_filename("Café menu.PDF"), str)

try:
    avatars.read("missing.png")
except fs_core.FSError as error:
    assert_type(error, fs_core.FSError)


class DictBackend(BaseBackend):
    """A backend: the six primitives, typed as the base class declares them."""

    def __init__(self, name: str, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(name, config)
        self.files: dict[str, bytes] = {}

    def exists(self, filename: str) -> bool:
        return filename in self.files

    def open_read(self, filename: str) -> BinaryIO:
        if filename not in self.files:
            raise FileNotFound(filename)
        return io.BytesIO(self.files[filename])

    def save(
        self, file_or_wfs: Any, filename: str, overwrite: bool = False, content_type: str | None = None
    ) -> str:
        if not overwrite and filename in self.files:
            raise FileExists(filename)
        self.files[filename] = fs_core.streams.as_stream(file_or_wfs).read()
        return filename

    def delete(self, filename: str) -> None:
        for stored in [n for n in self.files if n == filename or n.startswith(filename + "/")]:
            del self.files[stored]

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        return iter([n for n in self.files if prefix is None or n.startswith(prefix + "/")])

    def get_metadata(self, filename: str) -> dict[str, Any]:
        data = self.files[filename]
        return {
            "checksum": f"sha256:{hashlib.sha256(data).hexdigest()}",
            "size": len(data),
            "mime": fs_core.mime(filename),
            "modified": dt.datetime.now(dt.timezone.utc),
        }


class Plugin:
    """A plugin: its hook implementations have the hookspecs' signatures."""

    @hookimpl
    def register_backends(self, register: hookspecs.RegisterBackend) -> None:
        register("dict", DictBackend)

    @hookimpl
    def file_allowed(self, storage: Storage, file: BinaryIO, filename: str) -> bool | None:
        return False if filename.startswith(".") else None

    @hookimpl
    def after_save(self, storage: Storage, filename: str) -> None:
        storage.config.get("thumbnails")


# The hookspecs are typed: a function of the same signature is what each hook expects.
spec: Callable[[Storage, BinaryIO, str], bool | None] = hookspecs.file_allowed
prepare: Callable[[Storage, str, BinaryIO], BinaryIO | None] = hookspecs.prepare_upload

plugin_app = Flask("plugins")
plugin_app.config["FILES_FS_BACKEND"] = "dict"
files = Storage("files", fs_core.ALL)
fs_core.init_app(plugin_app, files, plugins=[Plugin()])
with plugin_app.app_context():
    assert files.save(io.BytesIO(b"1"), "a.txt") == "a.txt"
    assert_type(files.backend, BaseBackend)
    assert isinstance(files.backend, DictBackend)
