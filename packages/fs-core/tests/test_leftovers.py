"""Leftovers of interrupted writes: found by age, removed on request, never a live file."""

from __future__ import annotations

import dataclasses
import datetime as dt

import fs_core as fs
from fs_core.leftovers import Leftover


def _age(storage: fs.Storage, name: str, seconds: float) -> None:
    backend = storage.backend
    entry = backend._files[name]
    backend._files[name] = dataclasses.replace(
        entry, modified=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)
    )


def test_old_set_aside_copies_are_found_and_removed(make_app):
    files = fs.Storage("files")
    app = make_app(files)
    with app.app_context():
        files.write("a/photo.jpg", b"live")
        files.write("a/.fs-previous-0123", b"old copy")
        files.write("a/.fs-previous-4567", b"young copy")
        files.write(".fs-previous-notes.txt", b"not under the age either")
        _age(files, "a/.fs-previous-0123", 7200)
        _age(files, "a/photo.jpg", 7200)
        found = list(files.leftovers(older_than=3600))
        assert [leftover.name for leftover in found] == ["a/.fs-previous-0123"]
        assert found[0].size == len(b"old copy")
        assert set(files.list_files()) == {
            "a/photo.jpg",
            "a/.fs-previous-0123",
            "a/.fs-previous-4567",
            ".fs-previous-notes.txt",
        }
        assert files.clean_leftovers(3600, dry_run=True) == found
        assert files.exists("a/.fs-previous-0123")
        assert files.clean_leftovers(3600) == found
        assert set(files.list_files()) == {"a/photo.jpg", "a/.fs-previous-4567", ".fs-previous-notes.txt"}
        assert files.read("a/photo.jpg") == b"live"


def test_backend_leftovers_are_removed_through_the_backend(make_app):
    removed = []
    stale = Leftover("temporary file x", dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), 3, ref="x")
    files = fs.Storage("files")
    app = make_app(files)
    with app.app_context():
        backend = files.backend
        backend.leftovers = lambda older_than: iter([stale])
        backend.remove_leftover = removed.append
        assert files.clean_leftovers(0) == [stale]
        assert removed == [stale]


def test_the_clean_command_reports_and_removes(make_app):
    files = fs.Storage("files")
    app = make_app(files)
    with app.app_context():
        files.write(".fs-previous-1", b"12345")
        _age(files, ".fs-previous-1", 3 * 86400)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fs", "clean", "files", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "would remove: copy set aside while processing a replacement: .fs-previous-1 (5 bytes)"
        in result.stdout
    )
    assert "1 leftover(s) found, 5 bytes" in result.stderr
    with app.app_context():
        assert files.exists(".fs-previous-1")
    result = runner.invoke(args=["fs", "clean", "files", "--older-than", str(4 * 86400)])
    assert result.exit_code == 0, result.output
    assert "0 leftover(s) removed" in result.stderr
    result = runner.invoke(args=["fs", "clean", "files"])
    assert "1 leftover(s) removed, 5 bytes" in result.stderr
    with app.app_context():
        assert not files.exists(".fs-previous-1")
