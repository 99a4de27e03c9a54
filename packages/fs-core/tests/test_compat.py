"""What applications and plugins written against Flask-FS, or against earlier states of this
release, keep: adapted backends, overrides calling super(), deprecated names, unusual plugins."""

from __future__ import annotations

import datetime as dt
import io
import types
import warnings

import pytest
from flask import Flask, send_file

import fs_core as fs
from fs_core.memory import MemoryBackend
from fs_core.testing import bind_backend


class FlaskFSBackend(fs.BaseBackend):
    """A backend as Flask-FS wrote them: open and write are its primitives, list_files takes
    no prefix, serve(filename) reads flask.request."""

    def __init__(self, name, config=None):
        super().__init__(name, config)
        self.files: dict[str, bytes] = {}

    def exists(self, filename):
        return filename in self.files

    def open(self, filename, mode="r", **kwargs):
        if filename not in self.files:
            raise fs.FileNotFound(filename)
        return io.BytesIO(self.files[filename])

    def write(self, filename, content, overwrite=True, **kwargs):
        self.files[filename] = content if isinstance(content, bytes) else content.encode()
        return filename

    def delete(self, filename):
        self.files.pop(filename, None)

    def list_files(self):
        return iter(self.files)

    def get_metadata(self, filename):
        return {"checksum": "x:1", "size": len(self.files[filename]), "mime": None, "modified": None}

    def serve(self, filename):
        return send_file(io.BytesIO(self.files[filename]), mimetype="text/plain", conditional=True)


class Audited(FlaskFSBackend):
    """A subclass whose save() calls super().save(), which Flask-FS's base never had."""

    saved: list[str] = []

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        self.saved.append(filename)
        return super().save(file_or_wfs, filename, overwrite=overwrite, content_type=content_type)


def _app_with(backend_cls, tmp_path):
    class Plugin:
        @fs.hookimpl
        def register_backends(self, register):
            register("old", backend_cls)

    app = Flask("compat", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="x", FS_BACKEND="old", FS_PLUGINS=[])
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files, plugins=[Plugin()])
    return app, files


@pytest.mark.parametrize("cls", [FlaskFSBackend, Audited])
def test_a_flask_fs_backend_works_through_the_core(cls, tmp_path):
    app, files = _app_with(cls, tmp_path)
    with app.app_context():
        files.write("a/b.txt", b"0123456789")
        assert files.read("a/b.txt") == b"0123456789"
        assert list(files.list_files("a")) == ["a/b.txt"]
        assert list(files.list_files("b")) == []
        with pytest.raises(fs.FileExists):
            files.write("a/b.txt", b"again")
    client = app.test_client()
    assert client.get("/files/a/b.txt").data == b"0123456789"
    # RFC 9110's reading of Range reaches an old serve that reads flask.request itself.
    for ignored in ("bytes=0-1,4-5", "bytes=a-b", "items=0-1"):
        response = client.get("/files/a/b.txt", headers={"Range": ignored})
        assert (response.status_code, response.data) == (200, b"0123456789"), ignored
    assert client.get("/files/a/b.txt", headers={"Range": "bytes=2-3"}).data == b"23"
    if cls is Audited:
        assert "a/b.txt" in Audited.saved


def test_a_prebuilt_flask_fs_backend_bound_in_a_test_is_adapted(tmp_path):
    app = Flask("bound", instance_path=str(tmp_path))
    app.config.update(FS_PLUGINS=[])
    files = bind_backend(app, fs.Storage("files", fs.ALL), FlaskFSBackend("files"))
    with app.app_context():
        files.write("a.txt", b"hi")
        assert files.read("a.txt") == b"hi"
        assert list(files.list_files("a")) == []
        assert type(files.backend).__name__ == "FlaskFSBackend"


def test_adapted_classes_are_made_once():
    from fs_core.legacy import adapt

    assert adapt(FlaskFSBackend) is adapt(FlaskFSBackend)
    assert adapt(MemoryBackend) is MemoryBackend


def test_an_override_of_serve_calling_super_keeps_working(tmp_path):
    """Flask-FS's serve(filename) and this release's earlier serve without environ, on a
    subclass of a current backend, calling super().serve()."""

    class OldStyle(MemoryBackend):
        def serve(self, filename):
            return super().serve(filename)

    class EarlierStyle(MemoryBackend):
        def serve(self, filename, *, as_attachment=False, download_name=None):
            return super().serve(filename, as_attachment=as_attachment, download_name=download_name)

    for cls in (OldStyle, EarlierStyle):
        app, files = _app_with(cls, tmp_path / cls.__name__)
        with app.app_context():
            files.write("a.txt", b"hello")
        response = app.test_client().get("/files/a.txt", headers={"Range": "bytes=1-2"})
        assert (response.status_code, response.data) == (206, b"el"), cls


def test_plugins_that_cannot_be_hashed_register_and_refuse(tmp_path):
    def register_backends(register):
        register("plain", MemoryBackend)

    def file_allowed(file, filename):
        return False if len(filename) > 10 else None

    plugin = types.SimpleNamespace(
        register_backends=fs.hookimpl(register_backends), file_allowed=fs.hookimpl(file_allowed)
    )
    plugin.__hash__ = None  # as a dataclass instance may be
    app = Flask("unhashable", instance_path=str(tmp_path))
    app.config.update(FS_PLUGINS=[], FS_BACKEND="plain")
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files, plugins=[plugin])
    with app.app_context():
        files.save(io.BytesIO(b"x"), "short.txt")
        with pytest.raises(fs.UnauthorizedFileType, match="was refused by the plugin"):
            files.save(io.BytesIO(b"x"), "a-very-long-name.txt")


def test_hook_wrappers_wrap_register_backends(tmp_path):
    seen = []

    class Wrapper:
        @fs.hookimpl(wrapper=True)
        def register_backends(self, register):
            seen.append("before")
            result = yield
            seen.append("after")
            return result

    class Acme:
        @fs.hookimpl
        def register_backends(self, register):
            seen.append("acme")
            register("acme", MemoryBackend)

    app = Flask("wrapped", instance_path=str(tmp_path))
    app.config.update(FS_PLUGINS=[])
    state = fs.init_app(app, plugins=[Wrapper(), Acme()])
    assert seen == ["before", "acme", "after"]  # one call through pluggy, wrapped
    assert "acme" in state.plugins.backend_names


def test_a_refusal_is_told_apart_from_where_the_upload_started(make_app, fs_register_plugin):
    positions = []

    class MagicBytes:
        @fs.hookimpl
        def file_allowed(self, file, filename):
            positions.append(file.tell())
            if file.read(2) == b"MZ":
                return False  # refused: no need to put the stream back
            file.seek(0)
            return None

    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    fs_register_plugin(app, MagicBytes(), name="magic-bytes")
    with (
        app.app_context(),
        pytest.raises(fs.UnauthorizedFileType, match="refused by the plugin 'magic-bytes'"),
    ):
        files.save(io.BytesIO(b"MZ\x90\x00"), "tool.bin")
    assert positions == [0, 0]


def test_deprecated_names_still_work(make_app):
    files = fs.Storage("files")
    app = Flask("deprecated")
    app.config.update(FS_BACKEND="memory")
    with pytest.warns(DeprecationWarning, match="init_app"):
        files.configure(app)  # without init_app first: sets fs-core up, as it used to
    with app.app_context():
        files.write("a.txt", b"x")
    with pytest.warns(DeprecationWarning, match="fs_core.init_app"):
        from fs_core.state import init_app
    assert init_app is fs.init_app
    state = app.extensions["fs"]
    with pytest.warns(DeprecationWarning, match="FSState.bound"):
        assert state.states["files"].backend_name == "memory"
    from fs_core.state import StorageState
    from fs_core.storage import DEFAULT_SIGNED_URL_EXPIRES

    assert isinstance(state.bound["files"], StorageState)
    assert DEFAULT_SIGNED_URL_EXPIRES == 3600
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fine = Flask("fine")
        fine.config.update(FS_BACKEND="memory")  # fs-core alone: the default backend is fs-local's
        fs.init_app(fine, fs.Storage("other"))  # the current way warns nothing


def test_overrides_of_url_and_leftovers_count(make_app):
    class Cdn(fs.Storage):
        def url(self, filename, external=False):
            return f"https://cdn.example/{filename}"

        def leftovers(self, older_than=0):
            yield fs.Leftover(
                "a stray thing", dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), 1, name="stray"
            )

    files = Cdn("files")
    app = make_app(files)
    with app.app_context():
        files.write("a.txt", b"x")
        files.write("stray", b"y")
        assert files.metadata("a.txt")["url"] == "https://cdn.example/a.txt"
        assert [leftover.what for leftover in files.clean_leftovers(0)] == ["a stray thing"]
        assert not files.exists("stray")
