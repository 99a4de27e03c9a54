"""What a plugin author gets wrong, reported as a PluginError that names the plugin, its
distribution and the remedy; and the rules between plugins and the app's policy."""

from __future__ import annotations

import io
import logging

import pytest
from flask import Flask

import fs_core as fs
from fs_core.errors import PluginError


def make(**config) -> Flask:
    app = Flask("plugin_errors")
    app.config.update(FS_BACKEND="memory", SECRET_KEY="x")
    app.config.update(config)
    fs.init_app(app)
    return app


BACKEND_PLUGIN = """
from fs_core import hookimpl
from fs_core.memory import MemoryBackend

class Sqlite(MemoryBackend):
    pass

@hookimpl
def register_backends(register):
    register("sqlite", {target!r})
"""


def test_a_hook_with_arguments_the_spec_does_not_have(site):
    source = "from fs_core import hookimpl\n\n@hookimpl\ndef after_save(storage, filename, size):\n    pass\n"
    site("fs-sizes", {"fs_core": {"sizes": "sizes_plugin"}}, {"sizes_plugin": source})
    with pytest.raises(PluginError) as info:
        make()
    message = str(info.value)
    assert "'sizes' (distribution fs-sizes)" in message
    assert "its after_save() takes 'size', which after_save does not have" in message
    assert "its arguments are storage, filename" in message


def test_a_misspelt_hook_names_the_plugin_and_the_nearest_hook(site):
    source = "from fs_core import hookimpl\n\n@hookimpl\ndef after_saev(storage, filename):\n    pass\n"
    site("fs-typo", {"fs_core": {"typo": "typo_plugin"}}, {"typo_plugin": source})
    with pytest.raises(
        PluginError, match=r"'typo' \(distribution fs-typo\).*after_saev.*Did you mean 'after_save'"
    ):
        make()


def test_an_entry_point_naming_a_class(site):
    source = (
        "from fs_core import hookimpl\n\n"
        "class Plugin:\n    @hookimpl\n    def init_app(self, app):\n        pass\n"
    )
    site("fs-klass", {"fs_core": {"klass": "klass_plugin:Plugin"}}, {"klass_plugin": source})
    with pytest.raises(PluginError, match=r"'klass' \(distribution fs-klass\).*names a class.*instance"):
        make()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("sqlite_plugin:Sqlitte", r"'sqlite_plugin:Sqlitte' names no class"),
        ("sqlite_plugn:Sqlite", r"names the module 'sqlite_plugn:Sqlite', which does not exist"),
        ("sqlite_plugin.Sqlite", r"write 'module:Class'"),
    ],
)
def test_a_backend_path_with_a_typo(site, target, expected):
    site(
        "fs-sqlite",
        {"fs_core": {"sqlite": "sqlite_plugin"}},
        {"sqlite_plugin": BACKEND_PLUGIN.format(target=target)},
    )
    app = make(FILES_FS_BACKEND="sqlite")
    with pytest.raises(PluginError, match=expected) as info:
        fs.init_app(app, fs.Storage("files"))
    assert "'sqlite' (distribution fs-sqlite)" in str(info.value)
    assert "storage 'files'" in str(info.value)


def test_a_backend_module_that_raises_while_importing(site):
    site(
        "fs-sqlite",
        {"fs_core": {"sqlite": "sqlite_plugin"}},
        {
            "sqlite_plugin": BACKEND_PLUGIN.format(target="sqlite_backend:Sqlite"),
            "sqlite_backend": "raise RuntimeError('sdk needs a licence key')\n",
        },
    )
    with pytest.raises(
        PluginError, match=r"'sqlite' \(distribution fs-sqlite\).*licence key.*FS_BLOCKED_PLUGINS"
    ):
        fs.init_app(make(FILES_FS_BACKEND="sqlite"), fs.Storage("files"))


def test_a_missing_dependency_names_the_distribution_to_reinstall(site):
    site(
        "fs-sqlite",
        {"fs_core": {"sqlite": "sqlite_plugin"}},
        {
            "sqlite_plugin": BACKEND_PLUGIN.format(target="sqlite_backend:Sqlite"),
            "sqlite_backend": "import apsw_not_installed\n",
        },
    )
    with pytest.raises(PluginError, match=r"\('apsw_not_installed'\): pip install fs-sqlite brings it"):
        fs.init_app(make(FILES_FS_BACKEND="sqlite"), fs.Storage("files"))


def test_a_blocked_name_that_is_not_installed_is_warned_about(caplog):
    with caplog.at_level(logging.WARNING, logger="fs_core"):
        make(FS_BLOCKED_PLUGINS=["imagess"])
    assert "FS_BLOCKED_PLUGINS names 'imagess', which is not installed" in caplog.text


class Permissive:
    @fs.hookimpl
    def file_allowed(self, storage, file, filename):
        return True  # vouches for everything


class PdfOnly:
    @fs.hookimpl(tryfirst=True)
    def file_allowed(self, storage, file, filename):
        file.read(4)  # a content check that forgets to rewind: the core's re-ask must not trip on it
        return filename.endswith(".pdf") or None


def test_deny_always_wins_over_a_plugin_that_accepts(make_app, fs_register_plugin):
    files = fs.Storage("files", fs.ALL)
    app = make_app(files, FILES_FS_DENY=["exe"])
    fs_register_plugin(app, Permissive())
    with app.app_context():
        with pytest.raises(
            fs.UnauthorizedFileType, match=r"'.exe' files are denied in storage 'files' \(DENY\)"
        ):
            files.save(io.BytesIO(b"MZ"), "tool.exe")
        assert files.save(io.BytesIO(b"x"), "notes.weird") == "notes.weird"  # the plugin vouched


def test_a_plugins_refusal_is_reported_as_the_plugins(make_app, fs_register_plugin):
    class NoTxt:
        @fs.hookimpl
        def file_allowed(self, storage, file, filename):
            return False if filename.endswith(".txt") else None

    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    fs_register_plugin(app, NoTxt(), name="no-txt")
    with (
        app.app_context(),
        pytest.raises(fs.UnauthorizedFileType, match=r"'a.txt' was refused by the plugin 'no-txt'"),
    ):
        files.save(io.BytesIO(b"x"), "a.txt")
    images = fs.Storage("images", fs.IMAGES)
    fs.init_app(app, images)
    with app.app_context(), pytest.raises(fs.UnauthorizedFileType, match=r"^'.pdf' files are not allowed"):
        images.save(io.BytesIO(b"%PDF"), "a.pdf")


def test_a_processors_own_delete_runs_no_hook(make_app, fs_register_plugin):
    deleted = []

    class Variants:
        @fs.hookimpl
        def after_save(self, storage, filename):
            if not filename.endswith(".v"):
                storage.write(filename + ".v", b"variant", overwrite=True)
                storage.delete(filename + ".v.stale")  # a processor's own delete

        @fs.hookimpl
        def after_delete(self, storage, filename):
            deleted.append(filename)
            storage.delete(filename + ".v")  # would recurse if it ran again

    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    fs_register_plugin(app, Variants())
    with app.app_context():
        files.write("a.txt", b"x")
        assert deleted == []
        files.delete("a.txt")
        assert deleted == ["a.txt"]
        assert list(files.list_files()) == []


def test_an_entry_point_with_a_typo_in_its_module(site):
    site("fs-gone", {"fs_core": {"gone": "gone_plugn"}}, {"gone_plugin": "x = 1\n"})
    with pytest.raises(PluginError, match=r"names the module 'gone_plugn', which does not exist: a typo"):
        make()


def test_an_entry_point_naming_a_backend_class(site):
    source = "from fs_core.memory import MemoryBackend\n\nclass Mine(MemoryBackend):\n    pass\n"
    site("fs-mine", {"fs_core": {"mine": "mine_plugin:Mine"}}, {"mine_plugin": source})
    with pytest.raises(PluginError, match=r"registered from a register_backends hook"):
        make()


def test_a_plugin_without_hooks_is_warned_about(site, caplog):
    source = "def after_save(storage, filename):\n    pass\n"  # @hookimpl forgotten
    site("fs-bare", {"fs_core": {"bare": "bare_plugin"}}, {"bare_plugin": source})
    with caplog.at_level(logging.WARNING, logger="fs_core"):
        make()
    assert (
        "'bare' (distribution fs-bare) implements no hook of fs-core. after_save is not marked" in caplog.text
    )


def test_a_backend_without_its_primitives_is_named(site, caplog):
    source = BACKEND_PLUGIN.format(target="half_backend:Half")
    half = (
        "from fs_core import BaseBackend\n\n"
        "class Half(BaseBackend):\n    def exists(self, filename):\n        return False\n"
    )
    site("fs-half", {"fs_core": {"half": "half_plugin"}}, {"half_plugin": source, "half_backend": half})
    files = fs.Storage("files")
    with caplog.at_level(logging.WARNING, logger="fs_core"):
        app = make(FILES_FS_BACKEND="sqlite")
        fs.init_app(app, files)
    assert "(Half) does not implement open_read, save, delete, list_files, get_metadata" in caplog.text
    with app.app_context():
        assert not files.exists("a.txt")  # what it implements works
        with pytest.raises(NotImplementedError, match=r"Half does not implement save\(\)"):
            files.write("a.txt", b"x")


def test_fs_plugins_suggests_the_nearest_name(site):
    site("fs-zip", {"fs_core": {"zip": "zip_plugin"}}, {"zip_plugin": "x = 1\n"})
    with pytest.raises(PluginError, match=r"'zipp', which is not installed. Did you mean 'zip'\?"):
        make(FS_PLUGINS=["zipp"])


def test_a_backend_whose_constructor_fails_is_named(site):
    eager = (
        "import socket\nfrom fs_core.memory import MemoryBackend\n\n"
        "class Eager(MemoryBackend):\n"
        "    def __init__(self, name, config=None):\n"
        "        super().__init__(name, config)\n"
        "        raise ConnectionRefusedError(111, 'Connection refused')\n"
    )
    site(
        "fs-eager",
        {"fs_core": {"eager": "eager_plugin"}},
        {"eager_plugin": BACKEND_PLUGIN.format(target="eager_backend:Eager"), "eager_backend": eager},
    )
    with pytest.raises(
        PluginError,
        match=r"'sqlite' \(plugin 'eager'\) failed to start for storage 'files'.*must not contact",
    ):
        fs.init_app(make(FILES_FS_BACKEND="sqlite"), fs.Storage("files"))
