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


def test_fs_make_app_loads_only_the_plugins_asked_for(fs_make_app, site):
    """A broken plugin installed in the environment does not reach a plugin author's tests,
    and the author's own installed plugin is loaded by name (not registered twice)."""
    site("fs-broken", {"fs_core": {"broken": "broken_plugin"}}, {"broken_plugin": "raise ImportError('x')\n"})
    mine = (
        "from fs_core import hookimpl\n\n@hookimpl\ndef register_backends(register):\n"
        "    register('mine', 'fs_core.memory:MemoryBackend')\n"
    )
    site("fs-mine", {"fs_core": {"mine": "mine_plugin"}}, {"mine_plugin": mine})

    class Policy:
        @fs_core.hookimpl
        def file_allowed(self, storage, file, filename):
            return False if filename.startswith("secret") else None

    files = fs_core.Storage("files", fs_core.ALL)
    app = fs_make_app("mine", Policy(), storages=[files], FILES_FS_BACKEND="mine")
    plugins = app.extensions["fs"].plugins
    assert "broken" not in plugins.infos
    assert plugins.infos["mine"].dist == "fs-mine"
    with app.app_context():
        assert files.backend_name == "mine"
        assert files.save(io.BytesIO(b"x"), "ok.txt") == "ok.txt"
        with pytest.raises(fs_core.UnauthorizedFileType, match="refused by the plugin"):
            files.save(io.BytesIO(b"x"), "secret.txt")
