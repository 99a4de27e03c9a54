"""Leftovers of interrupted writes: found by age, removed on request, never a live file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import uuid

import pytest

import fs_core as fs
from fs_core.leftovers import Leftover

OLD, YOUNG = uuid.uuid4().hex, uuid.uuid4().hex


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
        backend = files.backend
        files.write("a/photo.jpg", b"live")
        backend.write(f"a/.fs-previous-{OLD}", b"old copy")  # as _set_aside names them
        backend.write(f"a/.fs-previous-{YOUNG}", b"young copy")
        backend.write(".fs-previous-notes.txt", b"not the core's: another tool's file")
        _age(files, f"a/.fs-previous-{OLD}", 7200)
        _age(files, ".fs-previous-notes.txt", 7200)
        _age(files, "a/photo.jpg", 7200)
        found = list(files.leftovers(older_than=3600))
        assert [leftover.name for leftover in found] == [f"a/.fs-previous-{OLD}"]
        assert found[0].size == len(b"old copy")
        assert set(files.list_files()) == {"a/photo.jpg"}  # set-aside copies are never listed
        assert files.clean_leftovers(3600, dry_run=True) == found
        assert backend.exists(f"a/.fs-previous-{OLD}")
        assert files.clean_leftovers(3600) == found
        assert set(backend.list_files()) == {
            "a/photo.jpg",
            f"a/.fs-previous-{YOUNG}",
            ".fs-previous-notes.txt",
        }
        assert files.read("a/photo.jpg") == b"live"


def test_set_aside_names_are_reserved(make_app):
    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    with app.app_context():
        files.backend.write(f".fs-previous-{OLD}", b"a copy")
        for call in (
            lambda: files.write(".fs-previous-notes.txt", b"x"),
            lambda: files.read(f".fs-previous-{OLD}"),
            lambda: files.save(io.BytesIO(b"x"), f"a/.fs-previous-{OLD}"),
        ):
            with pytest.raises(fs.InvalidFilename, match="reserved"):
                call()
    assert app.test_client().get(f"/files/.fs-previous-{OLD}").status_code == 404


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
        files.backend.write(f".fs-previous-{OLD}", b"12345")
        _age(files, f".fs-previous-{OLD}", 3 * 86400)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fs", "clean", "files", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        f"would remove: copy set aside while processing a replacement: .fs-previous-{OLD} (5 bytes)"
        in result.stdout
    )
    assert "1 leftover(s) found, 5 bytes" in result.stderr
    with app.app_context():
        assert files.backend.exists(f".fs-previous-{OLD}")
    result = runner.invoke(args=["fs", "clean", "files", "--older-than", str(4 * 86400)])
    assert result.exit_code == 0, result.output
    assert "0 leftover(s) removed" in result.stderr
    result = runner.invoke(args=["fs", "clean", "files"])
    assert "1 leftover(s) removed, 5 bytes" in result.stderr
    with app.app_context():
        assert not files.backend.exists(f".fs-previous-{OLD}")


def test_the_clean_command_stops_at_a_removal_that_fails(make_app, monkeypatch):
    files = fs.Storage("files")
    app = make_app(files)
    names = [f".fs-previous-{uuid.uuid4().hex}" for _ in range(3)]
    with app.app_context():
        for name in names:
            files.backend.write(name, b"12345")
            _age(files, name, 3 * 86400)
        real, deleted = files.backend.delete, []

        def delete(name):
            if deleted:
                raise fs.errors.BackendError("Storage 'files': the service refused the delete")
            deleted.append(name)
            real(name)

        monkeypatch.setattr(files.backend, "delete", delete)
    result = app.test_cli_runner().invoke(args=["fs", "clean", "files"])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 2  # the one removed, the one that failed
    assert (
        "Error: Storage 'files': the service refused the delete "
        "(nothing after the last line above was removed)" in result.stderr
    )
    with app.app_context():
        assert sorted(n for n in names if files.backend.exists(n)) == sorted(set(names) - set(deleted))
        assert len(deleted) == 1
