from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest
from flask import Flask

import fs_core as fs
from fs_core import hookspecs
from fs_core.errors import ConfigurationError, PluginError
from fs_core.memory import MemoryBackend
from fs_core.plugins import KNOWN_BACKEND_PACKAGES

PLUGIN_WITH_BACKEND = """
from fs_core import hookimpl
from fs_core.memory import MemoryBackend
from fs_core.plugins import KNOWN_BACKEND_PACKAGES

class {cls}(MemoryBackend):
    pass

@hookimpl
def register_backends(register):
    register("{backend}", {cls})
"""


def make(**config) -> Flask:
    app = Flask("plugins_test")
    app.config.update(FS_BACKEND="memory")  # fs-core's own tests need no other package
    app.config.update(config)
    fs.init_app(app)
    return app


def test_installed_plugins_load_and_register_backends(site):
    site(
        "fs-acme",
        {"fs_core": {"acme": "acme_plugin"}},
        {"acme_plugin": PLUGIN_WITH_BACKEND.format(cls="Acme", backend="acme")},
    )
    plugins = make().extensions["fs"].plugins
    assert "acme" in plugins.backend_names
    assert plugins.backend_class("acme").__name__ == "Acme"
    assert plugins.backend_plugin("acme") == "acme"
    described = {p["name"]: p for p in plugins.describe()}
    assert described["acme"]["distribution"] == "fs-acme"
    assert described["acme"]["version"] == "1.0"
    assert described["acme"]["hooks"] == ["register_backends"]
    assert described["acme"]["backends"] == ["acme"]


def test_fs_plugins_limits_loading_and_unknown_names_list_installed(site):
    for name in ("acme", "zeta"):
        site(
            f"fs-{name}",
            {"fs_core": {name: f"{name}_plugin"}},
            {f"{name}_plugin": PLUGIN_WITH_BACKEND.format(cls=name.title(), backend=name)},
        )
    plugins = make(FS_PLUGINS=["zeta"]).extensions["fs"].plugins
    assert "acme" not in plugins.backend_names
    assert "zeta" in plugins.backend_names
    with pytest.raises(PluginError) as excinfo:
        make(FS_PLUGINS=["zeta", "nope"])
    message = str(excinfo.value)
    assert "'nope'" in message
    assert "acme" in message
    assert "zeta" in message


def test_blocked_plugins_are_not_loaded(site):
    site(
        "fs-acme",
        {"fs_core": {"acme": "acme_plugin"}},
        {"acme_plugin": PLUGIN_WITH_BACKEND.format(cls="Acme", backend="acme")},
    )
    plugins = make(FS_BLOCKED_PLUGINS="acme, other").extensions["fs"].plugins
    assert "acme" not in plugins.backend_names
    assert "acme" not in [p["name"] for p in plugins.describe()]


def test_same_backend_from_two_plugins_is_an_error_naming_both(site):
    site(
        "fs-one",
        {"fs_core": {"one": "one_plugin"}},
        {"one_plugin": PLUGIN_WITH_BACKEND.format(cls="One", backend="dup")},
    )
    site(
        "fs-two",
        {"fs_core": {"two": "two_plugin"}},
        {"two_plugin": PLUGIN_WITH_BACKEND.format(cls="Two", backend="dup")},
    )
    with pytest.raises(PluginError) as excinfo:
        make()
    assert "'dup'" in str(excinfo.value)
    assert "'one'" in str(excinfo.value)
    assert "'two'" in str(excinfo.value)
    # Blocking one of them is the way out the message suggests.
    assert "dup" in make(FS_BLOCKED_PLUGINS=["two"]).extensions["fs"].plugins.backend_names


def test_plugin_that_fails_to_import_is_named(site):
    site(
        "fs-broken",
        {"fs_core": {"broken": "broken_plugin"}},
        {"broken_plugin": "raise ImportError('no such sdk')\n"},
    )
    with pytest.raises(PluginError, match=r"broken.*no such sdk.*FS_BLOCKED_PLUGINS"):
        make()
    make(FS_BLOCKED_PLUGINS=["broken"])


def test_misspelt_hook_is_reported(site):
    source = "from fs_core import hookimpl\n\n@hookimpl\ndef after_saev(storage, filename):\n    pass\n"
    site("fs-typo", {"fs_core": {"typo": "typo_plugin"}}, {"typo_plugin": source})
    with pytest.raises(PluginError, match="after_saev"):
        make()


def test_legacy_flask_fs_backend_entry_points_still_work(site):
    legacy = """
from fs_core.memory import MemoryBackend
from fs_core.plugins import KNOWN_BACKEND_PACKAGES

class LegacyBackend(MemoryBackend):
    pass
"""
    site("my-legacy", {"fs.backend": {"legacy": "legacy_backend:LegacyBackend"}}, {"legacy_backend": legacy})
    files = fs.Storage("files")
    app = make(FILES_FS_BACKEND="legacy")
    fs.init_app(app, files)
    with app.app_context():
        assert type(files.backend).__name__ == "LegacyBackend"
        files.write("a.txt", b"x")
        assert files.read("a.txt") == b"x"
    described = {p["name"]: p for p in app.extensions["fs"].plugins.describe()}
    assert described["legacy"]["legacy_entry_point"] == "fs.backend"


def test_legacy_entry_point_named_like_a_plugin_of_another_distribution_is_an_error(site):
    """Flask-FS still installed next to fs-local: its fs.backend 'local' must not replace
    fs-local's backend silently (it did, as both plugins were called 'local')."""
    site(
        "fs-acme",
        {"fs_core": {"acme": "acme_plugin"}},
        {"acme_plugin": PLUGIN_WITH_BACKEND.format(cls="Acme", backend="acme")},
    )
    site("old-acme", {"fs.backend": {"acme": "old_acme:Acme"}}, {"old_acme": "class Acme: pass\n"})
    with pytest.raises(PluginError, match=r"'acme'.*fs-acme and old-acme"):
        make()


def test_a_distribution_with_both_entry_points_gets_its_fs_core_plugin(site):
    legacy = PLUGIN_WITH_BACKEND.format(cls="Modern", backend="both") + "\nclass Old(Modern):\n    pass\n"
    site(
        "fs-both",
        {"fs_core": {"both": "both_plugin"}, "fs.backend": {"both": "both_plugin:Old"}},
        {"both_plugin": legacy},
    )
    plugins = make().extensions["fs"].plugins
    assert plugins.backend_class("both").__name__ == "Modern"
    described = {p["name"]: p for p in plugins.describe()}
    assert "legacy_entry_point" not in described["both"]


def test_unknown_backend_says_what_to_install(monkeypatch):
    # One of our own backends whose package is not installed: the workspace installs every
    # package there is, so a known name without an entry point stands for it.
    assert "webdav" not in {ep.name for ep in entry_points(group="fs_core")}
    monkeypatch.setitem(KNOWN_BACKEND_PACKAGES, "webdav", "fs-webdav")
    with pytest.raises(ConfigurationError, match="pip install fs-webdav"):
        fs.init_app(make(FILES_FS_BACKEND="webdav"), fs.Storage("files"))
    with pytest.raises(ConfigurationError, match=r"Available backends: .*memory"):
        fs.init_app(make(FILES_FS_BACKEND="ftp"), fs.Storage("files"))


def test_disabled_plugin_backend_says_it_is_disabled(site):
    site(
        "fs-acme",
        {"fs_core": {"acme": "acme_plugin"}},
        {"acme_plugin": PLUGIN_WITH_BACKEND.format(cls="Acme", backend="acme")},
    )
    with pytest.raises(ConfigurationError, match="installed but not enabled"):
        fs.init_app(make(FS_BLOCKED_PLUGINS=["acme"], FILES_FS_BACKEND="acme"), fs.Storage("files"))


def test_plugin_managers_are_per_app(fs_register_plugin):
    class Recorder:
        def __init__(self):
            self.saved = []

        @fs.hookimpl
        def after_save(self, storage, filename):
            self.saved.append(filename)

    files = fs.Storage("files")
    one, two = make(FS_BACKEND="memory"), make(FS_BACKEND="memory")
    fs.init_app(one, files)
    fs.init_app(two, files)
    recorder = Recorder()
    fs_register_plugin(one, recorder, name="recorder")
    with one.app_context():
        files.write("a.txt", b"1")
    with two.app_context():
        files.write("b.txt", b"2")
    assert recorder.saved == ["a.txt"]
    assert two.extensions["fs"].plugins.pm.get_plugin("recorder") is None


def test_registered_plugin_backends_are_available_then_removed(fs_register_plugin):
    class Plugin:
        @fs.hookimpl
        def register_backends(self, register):
            register("scratch", MemoryBackend)

    app = make()
    fs_register_plugin(app, Plugin(), name="scratch-plugin")
    plugins = app.extensions["fs"].plugins
    assert plugins.backend_class("scratch") is MemoryBackend
    plugins.unregister("scratch-plugin")
    assert "scratch" not in plugins.backend_names


def test_init_app_hook_runs_once_per_app(fs_register_plugin, site):
    source = """
from fs_core import hookimpl
CALLS = []

@hookimpl
def init_app(app):
    CALLS.append(app.name)
    app.config.setdefault("FS_MAX_SIZE", 42)
"""
    site("fs-acme", {"fs_core": {"acme": "acme_init"}}, {"acme_init": source})
    files = fs.Storage("files")
    app = Flask("plugins_test")
    app.config.update(FS_BACKEND="memory")
    fs.init_app(app, files)  # the defaults reach the storages of the first call too
    fs.init_app(app)
    fs.init_app(app, fs.Storage("other"))
    import acme_init  # pants: no-infer-dep (a module the test writes)

    assert [app.name] == acme_init.CALLS
    with app.app_context():
        assert files.config["max_size"] == 42


def test_every_hook_is_documented_and_typed():
    specs = [name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "fs_core_spec")]
    assert set(specs) == {
        "register_backends",
        "file_allowed",
        "check_target",
        "prepare_upload",
        "after_save",
        "will_process",
        "after_copy",
        "after_delete",
        "init_app",
        "register_commands",
        "derived_files",
        "referenced_files",
    }
    for name in specs:
        spec = getattr(hookspecs, name)
        assert spec.__doc__, name
        assert len(spec.__doc__.split()) > 20, name
        assert "return" in spec.__annotations__, name


def test_every_hook_is_exercised_by_a_test():
    """datasette's rule: each hookspec name appears in a test that implements it."""
    from pathlib import Path

    here = Path(__file__).parent
    sources = "".join(p.read_text() for p in here.glob("test_*.py"))
    specs = [name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "fs_core_spec")]
    for name in specs:
        assert f"def {name}(" in sources, f"no test implements the {name} hook"


def test_flask_fs_plugins_command_prints_json(site):
    site(
        "fs-acme",
        {"fs_core": {"acme": "acme_plugin"}},
        {"acme_plugin": PLUGIN_WITH_BACKEND.format(cls="Acme", backend="acme")},
    )
    app = make()
    result = app.test_cli_runner().invoke(args=["fs", "plugins"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = [p["name"] for p in data]
    assert "acme" in names
    assert "fs_core" not in names
    result = app.test_cli_runner().invoke(args=["fs", "plugins", "--all"])
    core = next(p for p in json.loads(result.output) if p["name"] == "fs_core")
    assert core["backends"] == ["memory"]
    assert "file_allowed" in core["hooks"]


def test_every_hook_is_public_in_hookspecs():
    """``hookspecs.__all__`` is the list the API reference documents and plugin authors read:
    a hook missing from it (as the two ``flask fs orphans`` hooks once were) is undocumented."""
    import inspect

    hooks = {
        name
        for name, obj in vars(hookspecs).items()
        if inspect.isfunction(obj) and hasattr(obj, f"{hookspecs.PROJECT}_spec")
    }
    assert {"derived_files", "referenced_files", "file_allowed"} <= hooks
    assert hooks <= set(hookspecs.__all__)
