"""Temporary files of interrupted saves: found by age, removed only while still stale.

(Real crashes, with kill -9, are in test_crashes.py; here the leftovers are made by hand.)
"""

from __future__ import annotations

import os
import time

import pytest
from flask import Flask

import fs_core as fs
from fs_core.config import Config
from fs_local import LocalBackend
from fs_local.backend import TEMP_PREFIX


@pytest.fixture
def backend(tmp_path) -> LocalBackend:
    return LocalBackend("files", Config(root=str(tmp_path / "root")))


def _leftover(backend: LocalBackend, rel: str, data: bytes, age: float) -> str:
    path = os.path.join(backend.root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_stale_temporary_files_are_found_by_age(backend):
    backend.write("a/file.txt", b"a stored file")
    _leftover(backend, f"a/{TEMP_PREFIX}0123456789abcdef", b"old one", 7200)
    _leftover(backend, f"{TEMP_PREFIX}fedcba9876543210", b"young", 60)
    found = list(backend.leftovers(3600))
    assert [(f.what, f.size, f.name) for f in found] == [
        (f"temporary file a/{TEMP_PREFIX}0123456789abcdef", 7, None)
    ]
    assert abs(found[0].modified.timestamp() - (time.time() - 7200)) < 5
    assert found[0].modified.utcoffset().total_seconds() == 0
    assert len(list(backend.leftovers(0))) == 2
    assert set(backend.list_files()) == {"a/file.txt"}  # never listed as files


def test_a_missing_root_has_no_leftovers(backend):
    assert list(backend.leftovers(0)) == []


def test_removal_takes_the_file_and_the_folder_it_leaves_empty(backend):
    backend.write("keep.txt", b"x")
    path = _leftover(backend, f"deep/er/{TEMP_PREFIX}0123", b"old", 7200)
    (leftover,) = backend.leftovers(3600)
    backend.remove_leftover(leftover)
    assert not os.path.exists(path)
    assert os.listdir(backend.root) == ["keep.txt"]
    backend.remove_leftover(leftover)  # already gone: not an error


def test_removal_spares_a_file_written_since(backend):
    """The age is checked again: a save that was slow, not dead, has written since the listing."""
    path = _leftover(backend, f"{TEMP_PREFIX}0123", b"old", 7200)
    (leftover,) = backend.leftovers(3600)
    with open(path, "ab") as f:
        f.write(b" and more")  # the save went on
    backend.remove_leftover(leftover)
    assert os.path.exists(path)
    os.utime(path, (0, 0))  # and then died
    backend.remove_leftover(leftover)
    assert not os.path.exists(path)


def test_links_and_folders_with_the_prefix_are_not_leftovers(backend, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"outside")
    os.makedirs(os.path.join(backend.root, f"{TEMP_PREFIX}folder"))
    os.symlink(outside, os.path.join(backend.root, f"{TEMP_PREFIX}link"))
    os.utime(os.path.join(backend.root, f"{TEMP_PREFIX}link"), (0, 0), follow_symlinks=False)
    assert list(backend.leftovers(0)) == []
    assert outside.read_bytes() == b"outside"


def test_leftovers_in_folders_of_any_name_are_found_and_removed(backend):
    folder = os.path.join(os.fsencode(backend.root), b"caf\xe9")
    os.makedirs(folder)
    path = os.path.join(folder, TEMP_PREFIX.encode() + b"0123")
    with open(path, "wb") as f:
        f.write(b"x")
    os.utime(path, (0, 0))
    (leftover,) = backend.leftovers(3600)
    assert leftover.what == f"temporary file caf\\xe9/{TEMP_PREFIX}0123"
    backend.remove_leftover(leftover)
    assert not os.path.exists(path)


def test_clean_through_the_storage_and_the_command(tmp_path):
    files = fs.Storage("files", fs.ALL)
    app = Flask("clean")
    app.config.update(FS_ROOT=str(tmp_path))
    fs.init_app(app, files)
    with app.app_context():
        files.write("photo.jpg", b"live")
        backend = files.backend
    old = _leftover(backend, f"{TEMP_PREFIX}0123", b"12345", 3 * 86400)
    young = _leftover(backend, f"{TEMP_PREFIX}4567", b"1", 60)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fs", "clean", "files", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would remove: temporary file {TEMP_PREFIX}0123 (5 bytes)" in result.stdout
    assert "1 leftover(s) found, 5 bytes" in result.stderr
    assert os.path.exists(old)
    result = runner.invoke(args=["fs", "clean", "files"])  # older than a day
    assert "1 leftover(s) removed, 5 bytes" in result.stderr
    assert not os.path.exists(old)
    assert os.path.exists(young)
    with app.app_context():
        assert [leftover.size for leftover in files.clean_leftovers(0)] == [1]
        assert list(files.list_files()) == ["photo.jpg"]
    assert os.listdir(backend.root) == ["photo.jpg"]
