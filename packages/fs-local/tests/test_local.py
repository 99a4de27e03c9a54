"""What the local backend promises beyond the contract suite."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tempfile
import threading

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.http import http_date

import fs_core as fs
import fs_local.backend
from fs_core.config import Config
from fs_core.testing import FailingStream
from fs_local import LocalBackend
from fs_local.backend import TEMP_PREFIX


@pytest.fixture(params=["o_tmpfile", "named_temp"])
def backend(request, tmp_path):
    backend = LocalBackend("files", Config(root=str(tmp_path / "root")))
    if request.param == "named_temp":
        backend._tmpfile_ok = False
    return backend


def all_entries(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs_ in os.walk(root) for f in fs_)


def test_interrupted_writes_leave_no_temporary_file(backend):
    backend.write("keep/a.txt", b"a")
    for name, overwrite in (("keep/b.txt", False), ("keep/a.txt", True)):
        with pytest.raises(OSError, match="went away"):
            backend.save(FailingStream(2 << 20), name, overwrite=overwrite)
    assert all_entries(backend.root) == ["keep/a.txt"]
    assert backend.read("keep/a.txt") == b"a"


def test_readers_see_the_old_or_the_new_file_never_a_partial_one(backend):
    old, new = b"o" * (4 << 20), b"n" * (4 << 20)
    backend.write("doc.bin", old)
    seen, stop = set(), threading.Event()

    def read_loop():
        while not stop.is_set():
            data = backend.read("doc.bin")
            seen.add((len(data), data[:1], data[-1:]))

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for i in range(20):
            backend.write("doc.bin", new if i % 2 == 0 else old, overwrite=True)
    finally:
        stop.set()
        reader.join()
    assert seen <= {(len(old), b"o", b"o"), (len(new), b"n", b"n")}
    assert seen


class _DeletesWhenRead(io.RawIOBase):
    """An upload during which another request deletes the last file of the target folder."""

    def __init__(self, backend, other):
        self._backend, self._other, self._sent = backend, other, False

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._sent:
            self._backend.delete(self._other)  # prunes the folder if it looks empty
            return 0
        self._sent = True
        buffer[:3] = b"new"
        return 3


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_save_survives_a_concurrent_delete_pruning_its_folder(backend, overwrite):
    """An O_TMPFILE file has no name until it is published, so its folder looks empty to
    the delete of its last sibling, which removes it: the save must still land."""
    backend.write("d/old.txt", b"old")
    assert backend.save(_DeletesWhenRead(backend, "d/old.txt"), "d/new.txt", overwrite=overwrite)
    assert backend.read("d/new.txt") == b"new"
    assert all_entries(backend.root) == ["d/new.txt"]
    with backend.open("e/new.txt", "wb") as f:
        backend.write("e/old.txt", b"old")
        f.write(b"written")
        backend.delete("e/old.txt")
    assert backend.read("e/new.txt") == b"written"


def test_move_survives_its_target_folder_being_pruned(backend, monkeypatch):
    backend.write("a.txt", b"a")
    real_open_folder = backend._open_folder

    def open_then_pruned(rel, filename):
        folder = real_open_folder(rel, filename)
        monkeypatch.setattr(backend, "_open_folder", real_open_folder)
        os.rmdir(os.path.join(backend.root, "sub"))  # a concurrent delete pruned it
        return folder

    monkeypatch.setattr(backend, "_open_folder", open_then_pruned)
    assert backend.move("a.txt", "sub/b.txt") == "sub/b.txt"
    assert backend.read("sub/b.txt") == b"a"


@pytest.mark.parametrize("umask", [0o002, 0o070])
def test_files_get_the_umask_in_force_when_written(backend, umask):
    """Not the one of import time: servers set theirs after loading the app (gunicorn -m)."""
    old = os.umask(umask)
    try:
        backend.write("a.txt", b"x")
        with backend.open("b.txt", "wb") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    for name in ("a.txt", "b.txt"):
        assert stat.S_IMODE(os.stat(backend.path(name)).st_mode) == 0o666 & ~umask


def test_names_like_temporary_files_are_refused(backend):
    """list_files() hides .fs-tmp-* (leftovers of a crashed write): a file of such a name,
    or under such a folder, would be stored but never listed."""
    for name in (TEMP_PREFIX + "0123456789abcdef", "a/" + TEMP_PREFIX + "x/b.txt"):
        with pytest.raises(fs.InvalidFilename, match="reserved"):
            backend.write(name, b"hidden")
        with pytest.raises(fs.InvalidFilename, match="reserved"):
            backend.open(name, "wb")
    assert all_entries(backend.root) == []
    backend.write("a/.fs-tmp.txt", b"listed")  # only the prefix itself is reserved
    assert list(backend.list_files()) == ["a/.fs-tmp.txt"]


def test_listing_reports_folders_it_cannot_read(backend, monkeypatch):
    """A walk that skips what it cannot read would come back silently short."""
    backend.write("a/1.txt", b"x")
    backend.write("b/2.txt", b"x")
    assert list(backend.list_files("missing")) == []
    assert list(backend.list_files("a/1.txt")) == []  # a file is not a folder
    real_scandir = os.scandir

    def scandir(fd):  # the listing reads folders through descriptors (as root, chmod cannot refuse)
        if os.readlink(f"/proc/self/fd/{fd}").endswith(os.sep + "b"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(fd)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(fs.BackendError, match="Permission denied"):
        list(backend.list_files())


def test_delete_prunes_empty_folders_but_never_the_root(backend):
    backend.write("a/b/c/d.txt", b"x")
    backend.write("a/keep.txt", b"x")
    backend.delete("a/b/c/d.txt")
    assert os.listdir(os.path.join(backend.root, "a")) == ["keep.txt"]
    backend.delete("a")
    assert os.listdir(backend.root) == []
    assert os.path.isdir(backend.root)


def test_deleting_a_folder_while_others_delete_or_save_in_it(backend, monkeypatch):
    """rmtree stops at the first entry that vanished under it (FileNotFoundError, which
    delete() took for 'nothing to delete') and fails on a folder that filled up meanwhile."""
    for i in range(5):
        backend.write(f"d/{i}.txt", b"x")
    real_unlink, real_rmdir = os.unlink, os.rmdir

    def unlink_racing_a_delete(path, *args, dir_fd=None, **kwargs):
        monkeypatch.setattr(os, "unlink", real_unlink)
        for other in os.listdir(dir_fd):  # another request deletes the rest first
            real_unlink(other, dir_fd=dir_fd)
        return None

    monkeypatch.setattr(os, "unlink", unlink_racing_a_delete)
    backend.delete("d")
    assert not os.path.exists(os.path.join(backend.root, "d"))

    backend.write("e/0.txt", b"x")

    def rmdir_racing_a_save(path, *args, dir_fd=None, **kwargs):
        monkeypatch.setattr(os, "rmdir", real_rmdir)
        backend.write("e/late.txt", b"y")  # another request saves into it
        return real_rmdir(path, *args, dir_fd=dir_fd, **kwargs)

    monkeypatch.setattr(os, "rmdir", rmdir_racing_a_save)
    backend.delete("e")
    assert not os.path.exists(os.path.join(backend.root, "e"))


def test_folder_and_file_in_each_others_way(backend):
    backend.write("a/b.txt", b"x")
    with pytest.raises(fs.FileExists, match="folder"):
        backend.write("a", b"y", overwrite=True)
    with pytest.raises(fs.FileExists):
        backend.write("a/b.txt/c", b"y")
    assert all_entries(backend.root) == ["a/b.txt"]


def test_save_from_a_real_file_copies_in_the_kernel_from_its_position(backend, tmp_path, monkeypatch):
    real_copy = os.copy_file_range
    copied = []
    monkeypatch.setattr(
        os, "copy_file_range", lambda *a, **k: copied.append(real_copy(*a, **k)) or copied[-1]
    )
    source = tmp_path / "upload.bin"
    source.write_bytes(b"HEADER" + b"payload" * 100_000)
    with open(source, "rb") as f:
        f.read(6)
        backend.save(f, "copied.bin")
        assert f.read() == b""  # the source was consumed, as a read would
    assert backend.read("copied.bin") == b"payload" * 100_000
    assert sum(copied) == 700_000  # by copy_file_range, not through Python
    with tempfile.SpooledTemporaryFile(max_size=10) as spooled:
        spooled.write(b"spilled to disk")
        spooled.seek(0)
        backend.save(FileStorage(spooled, filename="x"), "spooled.txt")
    assert backend.read("spooled.txt") == b"spilled to disk"
    assert sum(copied) == 700_000 + len(b"spilled to disk")


def _xattrs_supported(path):
    try:
        os.setxattr(path, "user.fs_test", b"1")
    except OSError:
        return False
    return True


def test_disk_full_during_a_kernel_copy_is_a_backend_error(backend, tmp_path, monkeypatch):
    import errno

    source = tmp_path / "upload.bin"
    source.write_bytes(b"x" * (3 << 20))
    real = os.copy_file_range
    calls = []

    def fills_the_disk(src, dst, count, *args, **kwargs):
        calls.append(count)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, min(count, 1 << 20), *args, **kwargs)

    monkeypatch.setattr(os, "copy_file_range", fills_the_disk)
    with open(source, "rb") as f, pytest.raises(fs.BackendError, match="space") as excinfo:
        backend.save(f, "big.bin")
    assert isinstance(excinfo.value.original, OSError)
    assert excinfo.value.advice.startswith("Free space on that disk")
    assert all_entries(backend.root) == []


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        ("ENOSPC", "Free space"),
        ("EACCES", "Check that the app's user"),
        ("EROFS", "read-only"),
        ("EIO", None),
    ],
)
def test_a_failing_disk_says_what_to_do_where_the_cause_has_a_remedy(backend, monkeypatch, code, advice):
    import errno

    backend.write("kept.txt", b"before")

    def fails(fd, data):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)))

    monkeypatch.setattr(os, "write", fails)
    with pytest.raises(fs.BackendError) as excinfo:
        backend.save(io.BytesIO(b"new"), "kept.txt", overwrite=True)
    monkeypatch.undo()
    error = excinfo.value
    assert error.original.errno == getattr(errno, code)
    if advice is None:
        assert error.advice is None
        assert str(error).endswith(os.strerror(errno.EIO))
    else:
        assert advice in error.advice
        assert str(error).endswith(error.advice)  # the message says it too
    assert backend.read("kept.txt") == b"before"
    assert all_entries(backend.root) == ["kept.txt"]


def test_checksum_follows_changes(backend):
    backend.write("a.txt", b"one")
    first = backend.metadata("a.txt")["checksum"]
    assert backend.metadata("a.txt")["checksum"] == first
    backend.write("a.txt", b"two", overwrite=True)
    assert backend.metadata("a.txt")["checksum"] == "sha256:" + hashlib.sha256(b"two").hexdigest()


def test_checksum_is_cached_and_never_read_twice(backend, monkeypatch):
    backend.write("a.txt", b"one")
    if not _xattrs_supported(backend.path("a.txt")):
        pytest.skip("no user extended attributes on this file system")
    first = backend.metadata("a.txt")["checksum"]

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(fs_local.backend.streams, "copy_stream", no_reading)
    assert backend.metadata("a.txt")["checksum"] == first


def test_cached_checksum_belongs_to_the_file_that_was_read(backend, monkeypatch):
    """metadata() racing with a replacing save of the same size, within one clock tick (the
    cache key, mtime and size, cannot tell them apart): the checksum of the old content
    must not be cached on the new file."""
    backend.write("a.txt", b"one")
    path = backend.path("a.txt")
    real_copy = fs_local.backend.streams.copy_stream
    replaced = []

    def copy_then_replaced(*args, **kwargs):
        copied = real_copy(*args, **kwargs)
        if not replaced:
            replaced.append(True)
            before = os.stat(path)
            backend.write("a.txt", b"two", overwrite=True)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        return copied

    monkeypatch.setattr(fs_local.backend.streams, "copy_stream", copy_then_replaced)
    backend.metadata("a.txt")
    monkeypatch.undo()
    assert replaced
    assert backend.metadata("a.txt")["checksum"] == "sha256:" + hashlib.sha256(b"two").hexdigest()


def test_checksum_algorithm_is_checked_when_configured(tmp_path):
    assert LocalBackend("f", Config(root=str(tmp_path), checksum_algorithm="md5")).checksum_algorithm == "md5"
    for bad in ("sha257", "shake_128"):
        with pytest.raises(fs.ConfigurationError, match="CHECKSUM_ALGORITHM"):
            LocalBackend("f", Config(root=str(tmp_path), checksum_algorithm=bad))


def test_fsync_option_flushes_file_and_folder(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}").removesuffix(" (deleted)"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    durable = LocalBackend("files", Config(root=str(tmp_path), fsync=True))
    durable.write("a.txt", b"x")
    assert synced[1:] == [str(tmp_path)]  # the file, then its folder
    LocalBackend("files", Config(root=str(tmp_path))).write("b.txt", b"x")
    assert len(synced) == 2
    # New folders: each one's entry in its parent is flushed too, or a power cut could
    # lose the folder, and the file with it.
    synced.clear()
    with durable.open("new/deeper/c.txt", "wb") as f:
        f.write(b"x")
    folders = {str(tmp_path), str(tmp_path / "new"), str(tmp_path / "new" / "deeper")}
    assert {path for path in synced if os.path.isdir(path)} == folders
    assert len(synced) == 4  # and the file


def test_root_is_required():
    with pytest.raises(fs.ConfigurationError, match="FS_ROOT"):
        LocalBackend("files", Config())


def test_root_cascade_through_the_app(tmp_path):
    files, docs, pics = fs.Storage("files"), fs.Storage("docs"), fs.Storage("pics")
    app = Flask("local_roots", instance_path=str(tmp_path / "instance"))
    app.config.update(FS_LOCAL_ROOT=str(tmp_path / "local"), DOCS_FS_ROOT=str(tmp_path / "exact"))
    fs.init_app(app, files, docs)
    plain = Flask("plain_roots", instance_path=str(tmp_path / "instance2"))
    fs.init_app(plain, pics)
    with app.app_context():
        assert files.root == str(tmp_path / "local" / "files")
        assert docs.root == str(tmp_path / "exact")
    with plain.app_context():
        assert pics.root == str(tmp_path / "instance2" / "fs" / "pics")
        pics.write("x.txt", b"x")
    assert (tmp_path / "instance2" / "fs" / "pics" / "x.txt").exists()


@pytest.fixture
def served(tmp_path):
    def make(**config):
        files = fs.Storage("files")
        app = Flask("local_serving")
        app.config.update(FS_ROOT=str(tmp_path), **config)
        fs.init_app(app, files)
        with app.app_context():
            files.write("dir/a b.txt", b"hello")
        return app.test_client()

    return make


def test_x_sendfile(served, tmp_path):
    """mod_xsendfile url-decodes the header (XSendFileUnescape is on by default), and a header
    holds ASCII only (gunicorn refuses 'файл'): the path is sent percent-encoded, or
    'a%41.txt' would serve 'aA.txt'."""
    from urllib.parse import quote, unquote

    client = served(FILES_FS_OFFLOAD="x-sendfile")
    response = client.get("/files/dir/a%20b.txt")
    assert response.status_code == 200
    assert response.headers["X-Sendfile"] == quote(str(tmp_path / "files" / "dir" / "a b.txt"))
    assert response.data == b""
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with client.application.app_context():
        fs.by_name("files").write("dir/файл a%41.txt", b"x")
    header = client.get("/files/dir/" + quote("файл a%41.txt")).headers["X-Sendfile"]
    assert header.isascii()
    assert unquote(header) == str(tmp_path / "files" / "dir" / "файл a%41.txt")


def test_x_accel_redirect(served, tmp_path):
    client = served(FILES_FS_OFFLOAD="x-accel-redirect", FILES_FS_OFFLOAD_PREFIX="/protected")
    response = client.get("/files/dir/a%20b.txt")
    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"] == "/protected/dir/a%20b.txt"
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"] == 'inline; filename="a b.txt"'
    assert response.data == b""
    assert response.headers["Content-Length"] == "0"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    mtime = os.stat(tmp_path / "files" / "dir" / "a b.txt").st_mtime
    assert response.headers["Last-Modified"] == http_date(mtime)
    assert client.get("/files/dir/missing.txt").status_code == 404
    assert client.get(f"/files/dir/{TEMP_PREFIX}0123").status_code == 404


def test_bad_offload_value_is_refused(tmp_path):
    with pytest.raises(fs.ConfigurationError, match="OFFLOAD"):
        LocalBackend("files", Config(root=str(tmp_path), offload="nginx"))


def test_open_write_text_goes_through_a_temporary_file(backend):
    with backend.open("notes/t.txt", "w", encoding="latin-1") as f:
        f.write("café")
        assert not backend.exists("notes/t.txt")
    assert backend.read("notes/t.txt") == "café".encode("latin-1")
    assert all_entries(backend.root) == ["notes/t.txt"]


def test_bytes_roundtrip_through_storage_upload(tmp_path):
    files = fs.Storage("files")
    app = Flask("upload_local")
    app.config.update(FS_ROOT=str(tmp_path))
    fs.init_app(app, files)

    @app.post("/up")
    def up():
        from flask import request

        return files.save(request.files["f"])

    client = app.test_client()
    data = os.urandom(3 << 20)
    response = client.post("/up", data={"f": (io.BytesIO(data), "Big File.TXT")})
    assert response.data == b"Big_File.txt"
    assert (tmp_path / "files" / "Big_File.txt").read_bytes() == data
    ranged = client.get("/files/Big_File.txt", headers={"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206
    assert ranged.data == data[1000:2000]
    assert TEMP_PREFIX not in "".join(os.listdir(tmp_path / "files"))


def test_path_through_storage(tmp_path):
    files = fs.Storage("files")
    app = Flask("local_path")
    app.config.update(FS_ROOT=str(tmp_path))
    fs.init_app(app, files)
    with app.app_context():
        assert files.path("a/b.txt") == str(tmp_path / "files" / "a" / "b.txt")
        with pytest.raises(fs.InvalidFilename):
            files.path("../../etc/passwd")


def test_an_upload_in_memory_is_saved_from_its_position(backend):
    """An in-memory upload is written from its buffer: from where the stream stands, which is
    left at its end; a small create-only save over a taken name keeps the stored file."""
    upload = io.BytesIO(b"skip:" + b"kept" * 10)
    upload.seek(5)
    backend.save(upload, "small.bin")
    assert backend.read("small.bin") == b"kept" * 10
    assert upload.tell() == 45
    upload.write(b"!")  # the stream is usable again: no buffer export left behind
    with pytest.raises(fs.FileExists):
        backend.save(io.BytesIO(b"other"), "small.bin")
    assert backend.read("small.bin") == b"kept" * 10
    large = io.BytesIO(os.urandom(200 * 1024))
    with pytest.raises(fs.FileExists):  # refused before writing: the name is checked first
        backend.save(large, "small.bin")
    assert large.tell() == 0
    assert backend.read("small.bin") == b"kept" * 10
