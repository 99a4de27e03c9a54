"""Plugin loading paths the rest of the suite never ran: settings of the wrong type, a plugin
module whose own dependency is missing, hooks of a newer fs-core, backends registered from
helpers and threads, and the refusal report when a plugin cannot be told apart."""

from __future__ import annotations

import io
import logging
import threading

import pytest
from flask import Flask

import fs_core as fs
from fs_core import hookimpl
from fs_core.errors import PluginError
from fs_core.memory import MemoryBackend


def make(*plugins, **config) -> Flask:
    app = Flask("plugin_edges")
    app.config.update(FS_BACKEND="memory", SECRET_KEY="x", FS_PLUGINS=[])
    app.config.update(config)
    fs.init_app(app, plugins=plugins)
    return app


def test_fs_plugins_of_the_wrong_type_is_refused():
    with pytest.raises(fs.ConfigurationError, match="FS_PLUGINS must be a list of plugin names, not 42"):
        make(FS_PLUGINS=42)


def test_a_plugin_module_whose_dependency_is_missing(site):
    site("fs-pdf", {"fs_core": {"pdf": "pdf_plugin"}}, {"pdf_plugin": "import pypdf_not_installed\n"})
    app = Flask("missing_dependency")
    app.config.update(FS_BACKEND="memory")
    with pytest.raises(PluginError, match=r"'pdf' \(distribution fs-pdf\) needs 'pypdf_not_installed'"):
        fs.init_app(app)


def test_an_optional_hook_of_a_newer_fs_core_is_accepted_silently(caplog):
    class Newer:
        @hookimpl(optionalhook=True)
        def before_rename(self, storage, filename):
            pass

    with caplog.at_level(logging.WARNING, logger="fs_core"):
        make(Newer())
    assert "before_rename" not in caplog.text


def test_an_unknown_hook_far_from_any_name_is_warned_about(caplog):
    class Newer:
        @hookimpl
        def quarantine_everything(self, storage):
            pass

    with caplog.at_level(logging.WARNING, logger="fs_core"):
        make(Newer())
    assert "implements 'quarantine_everything', which this fs-core does not define" in caplog.text
    assert "optionalhook=True" in caplog.text


class Sqlite(MemoryBackend):
    pass


def test_a_backend_registered_from_a_helper_is_the_plugins():
    def helper(register):
        register("sqlite", Sqlite)

    class ThroughHelper:
        @hookimpl
        def register_backends(self, register):
            helper(register)

    plugin = ThroughHelper()
    app = make(plugin)
    plugins = app.extensions["fs"].plugins
    assert plugins.backend_plugin("sqlite") == plugins.pm.get_name(plugin)  # found up the stack
    files = fs.Storage("files")
    fs.init_app(app, files)
    app.config["FILES_FS_BACKEND"] = "sqlite"
    with app.app_context():
        files.write("a.txt", b"x")
        assert files.read("a.txt") == b"x"


def test_a_backend_registered_where_its_plugin_cannot_be_told_still_loads():
    class FromAThread:
        @hookimpl
        def register_backends(self, register):
            thread = threading.Thread(target=register, args=("sqlite", Sqlite))
            thread.start()
            thread.join()

    app = make(FromAThread(), FILES_FS_BACKEND="sqlite")
    assert app.extensions["fs"].plugins.backend_plugin("sqlite") == "?"  # no hook on that stack
    files = fs.Storage("files")
    fs.init_app(app, files)
    with app.app_context():
        files.write("a.txt", b"x")
        assert isinstance(files.backend, Sqlite)


def test_a_backend_without_a_name_is_refused():
    class Nameless:
        @hookimpl
        def register_backends(self, register):
            register("", Sqlite)

    with pytest.raises(PluginError, match="registered a backend without a name"):
        make(Nameless())


def test_a_registered_object_that_is_no_backend_class_is_refused():
    class NotABackend:
        @hookimpl
        def register_backends(self, register):
            register("sqlite", dict)

    app = make(NotABackend(), FILES_FS_BACKEND="sqlite")
    with pytest.raises(PluginError, match=r"is <class 'dict'>, not a fs_core.BaseBackend subclass"):
        fs.init_app(app, fs.Storage("files"))


def test_a_refusal_is_the_cores_when_the_refusing_plugin_cannot_be_told(make_app, fs_register_plugin):
    """A plugin that refuses once and raises when asked again (to find who refused) is not
    named: the refusal is reported as the storage's policy."""
    asked: list[int] = []

    class Moody:
        @hookimpl
        def file_allowed(self, filename):
            asked.append(1)
            if len(asked) > 1:
                raise RuntimeError("asked twice")
            return False

    class Wrapper:
        @hookimpl(hookwrapper=True)
        def file_allowed(self, filename):
            yield

    docs = fs.Storage("docs", fs.ALL)
    app = make_app(docs)
    fs_register_plugin(app, Moody(), name="moody")
    fs_register_plugin(app, Wrapper(), name="wrapper")
    with pytest.raises(fs.UnauthorizedFileType) as refused:
        docs.save(io.BytesIO(b"x"), "a.txt")
    assert str(refused.value) == "'.txt' files are not allowed in storage 'docs'"
    assert len(asked) == 2
