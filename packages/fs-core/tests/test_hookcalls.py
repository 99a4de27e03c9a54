"""How the save path calls hooks (fs_core.hookcalls): nothing where no plugin implements a
hook, pluggy's semantics where some do, and the plugin set followed as it changes."""

from __future__ import annotations

import io

import pytest

import fs_core as fs
from fs_core import hookspecs
from fs_core.hookcalls import HookCalls, PluginManager


class Recorder:
    def __init__(self, name: str, answer: object = None) -> None:
        self.name, self.answer, self.calls = name, answer, []

    @fs.hookimpl
    def check_target(self, storage, filename, replace):
        self.calls.append(("check_target", filename, replace))

    @fs.hookimpl
    def will_process(self, storage, filename):
        self.calls.append(("will_process", filename))
        return self.answer

    @fs.hookimpl
    def prepare_upload(self, filename):  # fewer arguments than the spec
        self.calls.append(("prepare_upload", filename))
        return self.answer


def manager(*plugins: object) -> PluginManager:
    pm = PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def test_no_caller_where_no_plugin_implements_the_hook():
    calls = HookCalls(manager(Recorder("a")))
    assert calls.get("after_save") is None
    assert calls.get("check_target") is not None


def test_direct_calls_answer_as_pluggy_does():
    plugins = [Recorder("a", "A"), Recorder("b", None), Recorder("c", "C")]
    pm = manager(*plugins)
    calls = HookCalls(pm)
    kwargs = {"storage": None, "filename": "x.png"}
    # not firstresult: every answer that is not None, in pluggy's order (last registered first)
    assert calls.get("will_process")(**kwargs) == pm.hook.will_process(**kwargs) == ["C", "A"]
    # firstresult: the first answer that is not None, with only the arguments each takes
    upload = io.BytesIO(b"x")
    first = calls.get("prepare_upload")(storage=None, filename="x.png", file=upload)
    assert first == pm.hook.prepare_upload(storage=None, filename="x.png", file=upload) == "C"
    assert plugins[2].calls[-1] == ("prepare_upload", "x.png")


def test_tryfirst_and_trylast_order_is_kept():
    order: list[str] = []

    class Last:
        @fs.hookimpl(trylast=True)
        def will_process(self):
            order.append("last")

    class First:
        @fs.hookimpl(tryfirst=True)
        def will_process(self):
            order.append("first")

    class Plain:
        @fs.hookimpl
        def will_process(self):
            order.append("plain")

    calls = HookCalls(manager(Last(), First(), Plain()))
    calls.get("will_process")(storage=None, filename="x")
    assert order == ["first", "plain", "last"]


def test_an_exception_stops_the_call_and_propagates():
    class Broken:
        @fs.hookimpl(tryfirst=True)
        def check_target(self):
            raise fs.FileExists("x")

    after = Recorder("after")
    calls = HookCalls(manager(after, Broken()))
    with pytest.raises(fs.FileExists):
        calls.get("check_target")(storage=None, filename="x", replace=False)
    assert after.calls == []


def test_wrappers_and_monitoring_go_through_pluggy():
    class Wrapper:
        @fs.hookimpl(wrapper=True)
        def will_process(self):
            result = yield
            return [*result, "wrapped"]

    pm = manager(Recorder("a", "A"), Wrapper())
    calls = HookCalls(pm)
    assert calls.get("will_process")(storage=None, filename="x") == ["A", "wrapped"]
    seen: list[str] = []
    plain = HookCalls(manager(Recorder("b", "B")))
    undo = plain._pm.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append(name), lambda *a: None)
    plain.get("will_process")(storage=None, filename="x")
    assert seen == ["will_process"]  # pluggy's own call: the monitor saw it
    undo()
    plain.get("will_process")(storage=None, filename="x")
    assert seen == ["will_process"]


def test_callers_follow_the_plugin_set():
    pm = manager()
    calls = HookCalls(pm)
    assert calls.get("check_target") is None
    late = Recorder("late")
    pm.register(late, name="late")
    calls.get("check_target")(storage=None, filename="x", replace=True)
    assert late.calls == [("check_target", "x", True)]
    pm.unregister(name="late")
    assert calls.get("check_target") is None
    pm.register(Recorder("blocked"), name="blocked")
    pm.set_blocked("blocked")
    assert calls.get("check_target") is None


def test_sole_is_the_only_plain_implementation():
    class Only:
        @fs.hookimpl
        def file_allowed(self, filename):
            return True

    only = Only()
    calls = HookCalls(manager(only))
    assert calls.sole("file_allowed") == only.file_allowed
    two = HookCalls(manager(only, Recorder("x")))
    assert two.sole("file_allowed") == only.file_allowed  # Recorder has no file_allowed
    assert HookCalls(manager(Only(), Only())).sole("file_allowed") is None


def test_a_plugin_registered_after_saves_sees_the_next_save(fs_make_app, fs_register_plugin):
    files = fs.Storage("files", fs.ALL)
    app = fs_make_app(storages=[files])
    with app.app_context():
        files.save(io.BytesIO(b"one"), "one.txt")  # callers worked out without the plugin
        late = Recorder("late")
        fs_register_plugin(app, late)
        files.save(io.BytesIO(b"two"), "two.txt")
        assert ("check_target", "two.txt", False) in late.calls
        assert ("prepare_upload", "two.txt") in late.calls


def test_a_policy_changed_after_saves_decides_the_next_save(fs_make_app, monkeypatch):
    """The core's policy is applied without its hook only while ``file_allowed`` and
    ``extension_allowed`` are fs-core's own: a subclass patched after a first save, or a
    storage given its own ``extension_allowed``, decides the next save (as through the hook,
    which asks ``storage.extension_allowed``)."""

    class Files(fs.Storage):
        pass

    files = Files("files", fs.ALL)
    app = fs_make_app(storages=[files])
    with app.app_context():
        assert files.save(io.BytesIO(b"1"), "one.txt") == "one.txt"  # the core's policy alone
        monkeypatch.setattr(Files, "extension_allowed", lambda self, ext: ext == "png")
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(io.BytesIO(b"2"), "two.txt")
        assert files.save(io.BytesIO(b"2"), "two.png") == "two.png"
        monkeypatch.undo()
        assert files.save(io.BytesIO(b"3"), "three.txt") == "three.txt"
        monkeypatch.setattr(files, "extension_allowed", lambda ext: False)  # this storage only
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(io.BytesIO(b"4"), "four.txt")
        monkeypatch.undo()
        monkeypatch.setattr(Files, "file_allowed", lambda self, storage, basename: basename == "ok.txt")
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(io.BytesIO(b"5"), "five.txt")
        assert files.save(io.BytesIO(b"5"), "ok.txt") == "ok.txt"
        monkeypatch.undo()
        monkeypatch.setattr(fs.Storage, "extension_allowed", lambda self, ext: False)  # the base
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(io.BytesIO(b"6"), "six.txt")


def test_two_apps_call_their_own_plugins(fs_make_app):
    """One storage in two apps of one process, a plugin in one of them: each save runs the
    hooks of its own app's plugins (the callers are worked out per plugin manager)."""
    files = fs.Storage("files", fs.ALL)
    seen = Recorder("seen")
    with_plugin = fs_make_app(seen, storages=[files])
    without = fs_make_app(storages=[files])
    with without.app_context():
        files.save(io.BytesIO(b"1"), "one.txt")
    with with_plugin.app_context():
        files.save(io.BytesIO(b"2"), "two.txt")
    with without.app_context():
        files.save(io.BytesIO(b"3"), "three.txt")
    assert [call for call in seen.calls if call[0] == "check_target"] == [("check_target", "two.txt", False)]
