"""A user's module that must NOT type-check (tests/test_typing.py): each line whose comment
names an error code is a mistake that the types of fs-core's public API catch, and mypy must
report exactly those, no more. None of them would be caught if the API were typed ``Any``."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, BinaryIO

from flask import Flask

import fs_core
from fs_core import BaseBackend, Storage, hookspecs

app = Flask(__name__)
avatars = Storage("avatars", fs_core.IMAGES)
fs_core.init_app(app, "avatars")  # error: [arg-type]
Storage("docs", overwrite="yes")  # error: [arg-type]

name = avatars.save(io.BytesIO(b"x"), "a.png")
name.decode()  # error: [attr-defined]
avatars.read(name) + "text"  # error: [operator]
avatars.exists(name, True)  # error: [call-arg]
avatars.list_files(prefix=3)  # error: [arg-type]
with avatars.open(name, "rb") as binary:
    binary.read().upper() + "!"  # error: [operator]
fs_core.mime("a.png").startswith("image/")  # error: [union-attr]
fs_core.storages(app)["avatars"].sav(io.BytesIO(b"x"))  # error: [attr-defined]


class WrongBackend(BaseBackend):
    def exists(self, filename: int) -> bool:  # error: [override]
        return False

    def get_metadata(self, filename: str) -> list[str]:  # error: [override]
        return []


# A function that does not have a hook's signature is not one.
spec: Callable[[str], bool] = hookspecs.file_allowed  # error: [assignment]
register: Callable[[Any], None] = hookspecs.register_backends
register_wrong: Callable[[Storage, BinaryIO], None] = hookspecs.after_save  # error: [assignment]
