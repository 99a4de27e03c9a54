"""``flask fs orphans`` and :meth:`Storage.orphans`: leftovers, files derived from one that is
gone (the ``derived_files`` hook), files no record refers to (the ``referenced_files`` hook,
which fs-mongoengine implements), and removing exactly what was reported."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import fs_core as fs


class Derived:
    """Names 'x.small.png' as made from 'x.png', and 'x.small.png.webp' from either."""

    @fs.hookimpl
    def derived_files(self, storage, names):
        found = {}
        for name in names:
            if name.endswith(".small.png"):
                found[name] = [name.removesuffix(".small.png") + ".png"]
            elif name.endswith(".small.png.webp"):
                found[name] = [name.removesuffix(".webp"), name.removesuffix(".small.png.webp") + ".png"]
        return found


class Records:
    """A database of records naming files of the storage 'files' (as fs-mongoengine's)."""

    def __init__(self, names):
        self.names = names
        self.asked = []

    @fs.hookimpl
    def referenced_files(self, storage, names):
        self.asked.append((storage.name, len(names)))
        if storage.name != "files":
            return None  # keeps no records for that storage
        return iter(self.names)  # read once, as a cursor would be; names not stored are ignored


@pytest.fixture
def env(fs_make_app, fs_register_plugin):
    files, other = fs.Storage("files", fs.ALL), fs.Storage("other", fs.ALL)
    app = fs_make_app(storages=(files, other))  # no other installed plugin answers the hooks
    fs_register_plugin(app, Derived(), name="thumbs")
    runner = app.test_cli_runner()
    with app.app_context():
        for name in (
            "a.png",
            "a.small.png",
            "a.small.png.webp",
            "gone.small.png",
            "gone.small.png.webp",
            "doc.txt",
        ):
            files.write(name, b"x" * 10)
        other.write("lonely.small.png", b"y")
        yield app, files, other, lambda *args, **kw: runner.invoke(args=["fs", *args], **kw)


def test_derived_files_whose_source_is_gone(env):
    _app, files, other, _run = env
    found = list(files.orphans(older_than=0))
    assert [(o.kind, o.name) for o in found] == [
        ("derived", "gone.small.png"),
        ("derived", "gone.small.png.webp"),
    ]
    assert found[0].what == "gone.small.png: derived from 'gone.png', which is gone"
    assert found[0].size == 10
    assert found[0].modified.tzinfo is not None
    assert [o.name for o in other.orphans(older_than=0)] == ["lonely.small.png"]
    assert list(files.orphans()) == []  # a day old at least, by default


def test_unreferenced_files_when_a_plugin_keeps_records(env, fs_register_plugin):
    app, files, other, _run = env
    records = Records(["a.png", "not-stored.png"])
    fs_register_plugin(app, records, name="records")
    found = {o.name: o for o in files.orphans(older_than=0)}
    assert set(found) == {"gone.small.png", "gone.small.png.webp", "doc.txt"}  # a.png's variants are kept
    assert found["doc.txt"].kind == "unreferenced"
    assert found["doc.txt"].what == "doc.txt: no record refers to it (asked 'records')"
    assert [o.kind for o in other.orphans(older_than=0)] == ["derived"]  # no records for 'other'
    assert records.asked == [("files", 6), ("other", 1)]


def test_cli_lists_removes_after_confirmation_and_filters_kinds(env, fs_register_plugin):
    app, files, _other, run = env
    fs_register_plugin(app, Records(["a.png"]), name="records")
    listed = run("orphans", "files", "--older-than", "0")
    assert listed.exit_code == 0, listed.output
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["derived", "derived", "unreferenced"]
    assert "3 orphan(s), 30 B." in listed.stderr
    only = json.loads(run("orphans", "files", "--older-than", "0", "--kind", "unreferenced", "--json").stdout)
    assert [o["name"] for o in only] == ["doc.txt"]
    refused = run("orphans", "files", "--older-than", "0", "--delete")  # no terminal to confirm on
    assert refused.exit_code == 1
    assert "--yes" in refused.stderr
    assert len(list(files.list_files())) == 6
    removed = run("orphans", "files", "--older-than", "0", "--delete", "--yes", "--kind", "derived")
    assert removed.exit_code == 0, removed.output
    assert sorted(files.list_files()) == ["a.png", "a.small.png", "a.small.png.webp", "doc.txt"]
    assert run("orphans", "files", "--older-than", "1x").exit_code == 2


def test_the_age_protects_work_in_progress(env):
    _app, files, _other, run = env
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    entry = files.backend._files["gone.small.png"]
    files.backend._files["gone.small.png"] = type(entry)(entry.data, entry.mime, old, entry.checksum)
    assert [o.name for o in files.orphans()] == ["gone.small.png"]  # older than a day
    assert [o.name for o in files.orphans(older_than=3 * 86400)] == []
    assert run("orphans", "files", "--older-than", "1d").stdout.split()[-1] == "gone"


def test_removal_keeps_a_folder_of_the_same_name(env):
    _app, files, _other, _run = env
    files.backend.write("gone.small.png/inside.txt", b"kept")
    failures = files.remove_orphans(list(files.orphans(older_than=0)))
    assert [(o.name, type(e).__name__) for o, e in failures] == [("gone.small.png", "FileExistsError")]
    assert files.exists("gone.small.png/inside.txt")
    assert not files.exists("gone.small.png.webp")


def test_leftovers_are_orphans_too(env):
    _app, files, _other, _run = env
    files.backend.write(".fs-previous-" + "0" * 32, b"set aside")
    found = [o for o in files.orphans(older_than=0) if o.kind == "leftover"]
    assert [o.name for o in found] == [".fs-previous-" + "0" * 32]
    assert files.remove_orphans(found) == []
    assert not files.backend.exists(".fs-previous-" + "0" * 32)


def test_cli_json_removal_says_what_was_removed_and_what_failed(env):
    _app, files, other, run = env
    files.backend.write("gone.small.png/inside.txt", b"kept")  # the name is also a folder
    result = run("orphans", "files", "--older-than", "0", "--delete", "--yes", "--json")
    assert result.exit_code == 3, result.output
    removed = {o["name"]: o["removed"] for o in json.loads(result.stdout)}
    assert removed == {"gone.small.png": False, "gone.small.png.webp": True}
    assert result.stderr.startswith(
        "FAILED gone.small.png: derived from 'gone.png', which is gone: 'gone.small.png' is also a folder"
    )
    assert files.exists("gone.small.png")
    assert not files.exists("gone.small.png.webp")
    # Nothing to remove: the JSON is an empty list, and nothing is asked.
    nothing = run("orphans", "other", "--delete", "--json")
    assert nothing.exit_code == 0, nothing.output
    assert json.loads(nothing.stdout) == []
    assert other.exists("lonely.small.png")


def test_answers_about_names_not_asked_are_ignored(env, fs_register_plugin):
    app, files, _other, _run = env

    class Chatty:
        """Answers about files it was not asked about (its own records of another storage)."""

        @fs.hookimpl
        def derived_files(self, storage, names):
            return {"elsewhere.small.png": ["elsewhere.png"], "doc.txt": ["gone.png"]}

    fs_register_plugin(app, Chatty(), name="chatty")
    found = [o.name for o in files.orphans(older_than=0)]
    assert found == ["doc.txt", "gone.small.png", "gone.small.png.webp"]  # never a name not stored


def test_unreferenced_files_younger_than_the_age_are_kept(env, fs_register_plugin):
    app, files, _other, _run = env
    fs_register_plugin(app, Records(["a.png"]), name="records")
    files.write("old.txt", b"o")
    entry = files.backend._files["old.txt"]
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    files.backend._files["old.txt"] = type(entry)(entry.data, entry.mime, old, entry.checksum)
    assert [(o.kind, o.name) for o in files.orphans()] == [("unreferenced", "old.txt")]  # not doc.txt
    assert ("unreferenced", "doc.txt") in [(o.kind, o.name) for o in files.orphans(older_than=0)]


def test_an_orphan_naming_nothing_removes_nothing(env):
    _app, files, _other, _run = env
    seen = []
    nothing = fs.Orphan("derived", "made by hand")
    assert files.remove_orphans([nothing], lambda orphan, error: seen.append((orphan, error))) == []
    assert seen == [(nothing, None)]
    assert len(list(files.list_files())) == 6
