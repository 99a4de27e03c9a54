"""``flask fs verify`` and :func:`fs_core.verify.verify`: every file read again, its checksum
recomputed and compared with the stored one, and with another location's copy."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import json
import threading

import pytest
from flask import Flask

import fs_core as fs
from fs_core import parallel
from fs_core.errors import BackendError
from fs_core.listing import FileInfo
from fs_core.locations import Location
from fs_core.memory import MemoryBackend
from fs_core.verify import verify


class Md5Memory(MemoryBackend):
    """Keeps MD5 checksums (as S3 does); one with no checksum at all for names ending '.raw'."""

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        name = super().save(file_or_wfs, filename, overwrite, content_type)
        self.md5 = getattr(self, "md5", {})
        self.md5[name] = hashlib.md5(self.read(name)).hexdigest()  # computed once, as S3 does
        return name

    def scan(self, prefix=None):
        for info in super().scan(prefix):
            checksum = None if info.name.endswith(".raw") else f"md5:{self.md5[info.name]}"
            yield FileInfo(info.name, info.size, info.modified, checksum)


class Backends:
    @fs.hookimpl
    def register_backends(self, register):
        register("md5mem", Md5Memory)


@pytest.fixture
def env(tmp_path):
    files, copy = fs.Storage("files", fs.ALL), fs.Storage("copy", fs.ALL)
    app = Flask("verify_app", instance_path=str(tmp_path))
    app.config.update(TESTING=True, SECRET_KEY="x", FS_BACKEND="memory", COPY_FS_BACKEND="md5mem")
    fs.init_app(app, files, copy, plugins=[Backends()])
    runner = app.test_cli_runner()
    with app.app_context():
        for name, data in {"a.txt": b"alpha", "b/c.bin": b"\x00" * 3000, "d.raw": b"raw"}.items():
            files.write(name, data)
            copy.write(name, data)
        yield files, copy, lambda *args: runner.invoke(args=["fs", *args])


def corrupt(storage, name, data):
    """Change the bytes of a file behind the service's back (bit rot): its stored checksum
    stays the old one."""
    entries = storage.backend._files
    entries[name] = dataclasses.replace(entries[name], data=data)


def test_clean_storage_and_copy(env):
    _files, copy, run = env
    result = run("verify", "files", "--against", "copy")
    assert result.exit_code == 0, result.output
    assert "Verified 3 file(s)" in result.stderr
    assert "0 problem(s)" in result.stderr
    report = verify(Location.of_storage(copy))
    assert (report.checked, report.without_checksum, report.ok) == (3, 1, True)


def test_changed_bytes_are_found(env):
    files, _copy, run = env
    corrupt(files, "a.txt", b"alphA")
    result = run("verify", "files")
    assert result.exit_code == 3
    assert result.stdout == "CHECKSUM   a.txt: the content does not match its sha256 checksum\n"


def test_a_short_read_is_found(env, monkeypatch):
    files, _copy, run = env
    real = files.backend.open_read
    monkeypatch.setattr(files.backend, "open_read", lambda name: io.BytesIO(real(name).read()[:-1]))
    kinds = {p["name"]: p["kind"] for p in json.loads(run("verify", "files", "--json").stdout)["problems"]}
    assert kinds == {"a.txt": "checksum", "b/c.bin": "checksum", "d.raw": "checksum"}  # and the sizes:
    sizes = [p for p in verify(Location.of_storage(files)).problems if p.kind == "size"]
    assert [(p.name, p.detail) for p in sizes] == [
        ("a.txt", "listed as 5 bytes, read 4"),
        ("b/c.bin", "listed as 3,000 bytes, read 2,999"),
        ("d.raw", "listed as 3 bytes, read 2"),
    ]


def test_a_copy_that_differs_or_lacks_files(env):
    files, copy, run = env
    copy.write("a.txt", b"omega", overwrite=True)  # its MD5, compared with files' content hashed in MD5
    copy.delete("d.raw")
    copy.write("extra.txt", b"e")
    report = json.loads(run("verify", "files", "--against", "copy", "--json").stdout)
    assert {(p["name"], p["kind"]) for p in report["problems"]} == {
        ("a.txt", "differs"),
        ("d.raw", "missing"),
    }
    assert report["extra"] == ["extra.txt"]
    # The copy's own bytes changing behind its checksum is found by verifying the copy.
    copy.write("d.raw", b"raw")
    corrupt(copy, "b/c.bin", b"\x01" * 3000)
    assert [(p.name, p.kind) for p in verify(Location.of_storage(copy)).problems] == [("b/c.bin", "checksum")]
    # Against a copy with no checksum of its own (d.raw), both sides are read.
    corrupt(copy, "d.raw", b"RAW")
    back = verify(Location.of_storage(files), Location.of_storage(copy))
    assert ("d.raw", "differs") in {(p.name, p.kind) for p in back.problems}


def test_unreadable_files_are_reported_and_the_rest_checked(env, monkeypatch):
    files, _copy, run = env
    real = files.backend.open_read

    def failing(name):
        if name == "b/c.bin":
            raise BackendError("Storage 'files': the disk returned an I/O error")
        return real(name)

    monkeypatch.setattr(files.backend, "open_read", failing)
    result = run("verify", "files")
    assert result.exit_code == 3
    assert (
        "UNREADABLE b/c.bin: Storage 'files': the disk returned an I/O error (BackendError)" in result.stdout
    )
    assert "Verified 3 file(s)" in result.stderr


def test_folders_and_local_paths_need_fs_local_or_a_storage(env):
    _files, _copy, run = env
    assert run("verify", "files:b").exit_code == 0
    missing = run("verify", "nope")
    assert missing.exit_code == 2
    assert "Configured storages: copy, files" in missing.stderr


def test_a_copy_of_another_size_or_that_cannot_be_read(env, monkeypatch):
    files, copy, _run = env
    copy.write("a.txt", b"alphabet", overwrite=True)
    real = copy.backend.open_read

    def failing(name):
        if name == "d.raw":  # no checksum in the copy: its bytes are read
            raise BackendError("Storage 'copy': the service is down")
        return real(name)

    monkeypatch.setattr(copy.backend, "open_read", failing)
    report = verify(Location.of_storage(files), Location.of_storage(copy))
    assert [(p.name, p.kind, p.detail) for p in report.problems] == [
        ("a.txt", "differs", "8 bytes in copy, 5 here"),
        ("d.raw", "differs", "cannot read it in copy: Storage 'copy': the service is down"),
    ]
    assert report.checked == 3


def test_an_error_outside_the_core_family_is_an_unreadable_file(env, monkeypatch):
    files, _copy, run = env
    real = files.backend.open_read

    def failing(name):
        if name == "a.txt":
            raise OSError(errno.EIO, "Input/output error")
        return real(name)

    monkeypatch.setattr(files.backend, "open_read", failing)
    result = run("verify", "files")
    assert result.exit_code == 3
    assert result.stdout == "UNREADABLE a.txt: OSError: [Errno 5] Input/output error\n"
    assert "Verified 3 file(s)" in result.stderr


def test_a_stop_leaves_the_files_being_read_unreported(env, monkeypatch):
    """Stopped while reading a file (Ctrl-C), or before reading its copy: the file is
    neither counted as checked nor reported as a problem; the report says interrupted."""
    files, copy, _run = env
    stop = threading.Event()
    report = verify(Location.of_storage(files), jobs=1, on_bytes=lambda n: stop.set(), stop=stop)
    assert (report.interrupted, report.checked, report.problems) == (True, 0, [])

    stop = threading.Event()
    real = copy.backend.open_read

    def stopped_then_read(name):
        stop.set()
        return real(name)

    monkeypatch.setattr(copy.backend, "open_read", stopped_then_read)
    report = verify(Location.of_storage(files), Location.of_storage(copy), jobs=1, stop=stop)
    assert report.interrupted
    assert report.problems == []
    assert report.checked == 2  # a.txt and b/c.bin, compared by the copy's MD5; d.raw stopped


def test_ctrl_c_ends_verify_with_its_exit_status(env, monkeypatch):
    _files, _copy, run = env

    real_wait, calls = parallel.wait, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt  # Ctrl-C while the first files are read
        return real_wait(*args, **kwargs)

    monkeypatch.setattr(parallel, "wait", interrupted)
    result = run("verify", "files", "--json")
    assert result.exit_code == 130, result.output
    assert json.loads(result.stdout)["interrupted"] is True
