from __future__ import annotations

import io

import pytest

import fs_core
from fs_core.memory import MemoryBackend


class ShoutingBackend(MemoryBackend):
    """A backend a test registers through a plugin object."""


class Plugin:
    @fs_core.hookimpl
    def register_backends(self, register):
        register("shouting", ShoutingBackend)

    @fs_core.hookimpl
    def file_allowed(self, filename):
        return False if filename.startswith("secret") else None


def test_registered_plugin_adds_backends_and_policies(fs_app, fs_register_plugin):
    name = fs_register_plugin(fs_app, Plugin(), name="shouting")
    assert name == "shouting"
    fs_app.config["NOTES_FS_BACKEND"] = "shouting"
    notes = fs_core.Storage("notes")
    fs_core.init_app(fs_app, notes)
    assert isinstance(notes.backend, ShoutingBackend)
    assert notes.save(io.BytesIO(b"hi"), "hello.txt") == "hello.txt"
    with pytest.raises(fs_core.UnauthorizedFileType):
        notes.save(io.BytesIO(b"hi"), "secret.txt")
    plugins = {p["name"]: p for p in fs_app.extensions["fs"].plugins.describe()}
    assert plugins["shouting"]["backends"] == ["shouting"]
