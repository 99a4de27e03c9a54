"""Symbolic links never lead fs-local out of its root (unless FOLLOW_SYMLINKS is set).

Real links in temporary folders: a storage root beside an ``outside`` folder, and links in the
root leading there in every way (to a file, to a folder used as a middle segment, relative
with ``..``). Each test watches ``outside`` with inotify, which reports any open, read, write,
creation or deletion there, and compares its content before and after.
"""

from __future__ import annotations

import ctypes
import errno
import io
import logging
import os
import re
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from zlib import adler32

import pytest
from flask import Flask
from werkzeug.utils import send_file

import fs_core as fs
from fs_core.config import Config
from fs_local import LocalBackend, beneath

_libc = ctypes.CDLL(None, use_errno=True)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class Outside:
    """A folder the storage must never touch: its content, and inotify events on it."""

    IN_ALL_EVENTS = 0xFFF  # access, modify, attrib, close, open, move, create, delete (self)

    def __init__(self, path: str, *, untouched: bool = True) -> None:
        self.path = path
        self.untouched = untouched  # checked on leaving the block
        self.fd = -1

    def snapshot(self) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for folder, dirs, files in os.walk(self.path):
            for name in dirs + files:
                full = os.path.join(folder, name)
                st = os.lstat(full)
                content = _read(full) if os.path.isfile(full) else None
                seen[os.path.relpath(full, self.path)] = (content, st.st_mtime_ns, st.st_ino)
        return seen

    def __enter__(self) -> Outside:
        self.before = self.snapshot()
        folders = [folder for folder, _, _ in os.walk(self.path)]  # before watching: walking reads
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        for folder in folders:
            assert _libc.inotify_add_watch(self.fd, os.fsencode(folder), self.IN_ALL_EVENTS) >= 0
        return self

    def events(self) -> list[tuple[int, bytes]]:
        """(mask, name) of what happened in the watched folders since the watch began."""
        found = []
        try:
            data = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return found
        offset = 0
        while offset < len(data):
            _, mask, _, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16 : offset + 16 + length].rstrip(b"\0")
            found.append((mask, name))
            offset += 16 + length
        return found

    def __exit__(self, *exc: object) -> None:
        events = self.events()
        os.close(self.fd)
        if exc[0] is None and self.untouched:
            assert events == [], f"something touched the outside folder: {events}"
            assert self.snapshot() == self.before


@pytest.fixture
def world(tmp_path) -> dict[str, str]:
    """``outside/`` (secret.txt, sub/inner.txt) and ``root/`` with links of every kind."""
    outside, root = tmp_path / "outside", tmp_path / "root"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_bytes(b"secret")
    (outside / "sub" / "inner.txt").write_bytes(b"inner")
    (root / "a").mkdir(parents=True)
    (root / "inside.txt").write_bytes(b"inside")
    (root / "a" / "kept.txt").write_bytes(b"kept")
    os.symlink(outside / "secret.txt", root / "file_out")  # to a file outside
    os.symlink(outside, root / "dir_out")  # to a folder outside
    os.symlink("../../outside", root / "a" / "up_out")  # relative, escaping with ..
    os.symlink("../../outside/secret.txt", root / "a" / "up_file")
    os.symlink("../inside.txt", root / "a" / "in_link")  # relative, staying inside
    os.symlink("a", root / "dir_in")
    os.symlink(root / "inside.txt", root / "abs_in")  # absolute, pointing inside
    return {"outside": str(outside), "root": str(root)}


@pytest.fixture
def no_openat2(monkeypatch) -> None:
    """A kernel without openat2 (before 5.6): the syscall answers ENOSYS."""

    def enosys(*args: object) -> int:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))

    monkeypatch.setattr(beneath, "openat2", enosys)
    monkeypatch.setattr(beneath, "_works", None)  # asked again, under the fake kernel


@pytest.fixture(params=["openat2", "no_openat2"])
def backend(request, world) -> LocalBackend:
    if request.param == "no_openat2":
        request.getfixturevalue("no_openat2")
    made = LocalBackend("files", Config(root=world["root"]))
    assert made.resolver is (beneath.BENEATH if request.param == "openat2" else beneath.NO_LINKS)
    return made


@pytest.fixture
def outside(world) -> Iterator[Outside]:
    with Outside(world["outside"]) as watched:
        yield watched


ESCAPES = [
    pytest.param("file_out", "last", id="link-to-file-outside"),
    pytest.param("dir_out/secret.txt", "middle", id="link-to-folder-outside"),
    pytest.param("a/up_out/secret.txt", "middle", id="dotdot-link-to-folder-outside"),
    pytest.param("a/up_file", "last", id="dotdot-link-to-file-outside"),
]
REFUSED = "symbolic link.*FILES_FS_FOLLOW_SYMLINKS"


@pytest.mark.parametrize(("name", "where"), ESCAPES)
def test_reading_through_a_link_out_of_the_root_is_refused(backend, outside, world, name, where):
    assert not backend.exists(name)
    for read in (
        lambda: backend.read(name),
        lambda: backend.open(name, "rb"),
        lambda: backend.metadata(name),
        lambda: backend.copy(name, "copy.txt"),
        lambda: backend.move(name, "moved.txt"),
    ):
        with pytest.raises(fs.InvalidFilename, match=REFUSED):
            read()
    assert not os.path.lexists(os.path.join(world["root"], "copy.txt"))
    assert not os.path.lexists(os.path.join(world["root"], "moved.txt"))
    assert os.path.islink(os.path.join(world["root"], name.split("/secret")[0]))  # not moved


def _save(backend: LocalBackend, name: str, overwrite: bool) -> None:
    backend.save(io.BytesIO(b"new"), name, overwrite=overwrite)


def _open_write(backend: LocalBackend, name: str, overwrite: bool) -> None:
    with backend.open(name, "wb" if overwrite else "xb") as f:
        f.write(b"new")


def _copy_to(backend: LocalBackend, name: str, overwrite: bool) -> None:
    backend.write("source.txt", b"new")
    backend.copy("source.txt", name, overwrite=overwrite)


def _move_to(backend: LocalBackend, name: str, overwrite: bool) -> None:
    backend.write("source.txt", b"new")
    try:
        backend.move("source.txt", name, overwrite=overwrite)
    except fs.FSError:
        assert backend.read("source.txt") == b"new"  # a refused move keeps its source
        raise
    assert not backend.exists("source.txt")


WRITES = [
    pytest.param(_save, id="save"),
    pytest.param(_open_write, id="open-write"),
    pytest.param(_copy_to, id="copy-to"),
    pytest.param(_move_to, id="move-to"),
]


@pytest.mark.parametrize("overwrite", [False, True], ids=["create", "overwrite"])
@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(("name", "where"), ESCAPES)
def test_writing_through_a_link_out_of_the_root_never_writes_outside(
    backend, outside, world, write, overwrite, name, where
):
    link = os.path.join(world["root"], name)
    if where == "middle":  # the way to the name goes out: refused, whatever the name
        for target in (name, name.replace("secret.txt", "new/deeper.txt")):
            with pytest.raises(fs.InvalidFilename, match=REFUSED):
                write(backend, target, overwrite)
        return
    if not overwrite:  # the link's own name is taken
        with pytest.raises(fs.FileExists):
            write(backend, name, overwrite)
        assert os.path.islink(link)
        return
    write(backend, name, overwrite)  # replaces the link itself, never its target
    assert not os.path.islink(link)
    assert _read(link) == b"new"
    assert backend.read(name) == b"new"


def test_listing_skips_links_out_of_the_root(backend, outside, world):
    follows_inside = backend.resolver is beneath.BENEATH
    in_a = {"a/kept.txt"} | ({"a/in_link"} if follows_inside else set())
    # dir_in -> a stays inside: its files are names the storage reads, so they are listed.
    through_dir_in = {name.replace("a/", "dir_in/", 1) for name in in_a} if follows_inside else set()
    assert set(backend.list_files()) == {"inside.txt"} | in_a | through_dir_in
    assert set(backend.list_files("a")) == in_a
    if follows_inside:
        assert set(backend.list_files("dir_in")) == through_dir_in
    else:
        with pytest.raises(fs.InvalidFilename, match=REFUSED):
            list(backend.list_files("dir_in"))
    for name in through_dir_in:
        assert backend.read(name) == backend.read(name.replace("dir_in/", "a/", 1))
    for prefix in ("dir_out", "a/up_out", "dir_out/sub"):
        with pytest.raises(fs.InvalidFilename, match=REFUSED):
            list(backend.list_files(prefix))


def test_listing_warns_of_the_links_it_skips(backend, world, caplog):
    """A migration reading the storage (flask fs sync) would miss what a skipped link leads
    to, and a verify of the copy would not see it missing: one warning per listing names them."""
    with caplog.at_level(logging.WARNING, logger="fs_local"):
        listed = set(backend.list_files())
    warnings = [r for r in caplog.records if r.name == "fs_local" and "symbolic link" in r.getMessage()]
    assert len(warnings) == 1
    refused = {"file_out", "dir_out", "a/up_out", "a/up_file", "abs_in"}  # (an absolute link: never)
    if backend.resolver is beneath.NO_LINKS:  # no link is followed, inside ones neither
        refused |= {"a/in_link", "dir_in"}
    else:  # dir_in -> a is followed: a's links out are met again under it
        refused |= {"dir_in/up_out", "dir_in/up_file"}
    assert warnings[0].args[1] == len(refused)  # each once
    assert not refused & listed
    message = warnings[0].getMessage()
    assert "FILES_FS_FOLLOW_SYMLINKS" in message
    shown = set(re.findall(r"'([^']+)'", message.split("skips them: ")[1].split(". To")[0]))
    assert len(shown) == 5
    assert shown <= refused
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="fs_local"):
        assert set(backend.list_files("a/kept.txt")) == set()  # a listing with no link: no warning
    assert not [r for r in caplog.records if "symbolic link" in r.getMessage()]


@pytest.mark.parametrize(("name", "where"), ESCAPES)
def test_deleting_through_a_link_out_of_the_root_deletes_nothing_outside(
    backend, outside, world, name, where
):
    link = os.path.join(world["root"], name)
    if where == "middle":
        folder = name.replace("secret.txt", "sub")
        for target in (name, folder):  # a file, and a folder, beyond the link
            with pytest.raises(fs.InvalidFilename, match=REFUSED):
                backend.delete(target)
        return
    backend.delete(name)  # the link itself goes, its target stays
    assert not os.path.lexists(link)


def test_deleting_a_link_or_a_folder_of_links_leaves_their_targets(backend, outside, world):
    backend.delete("dir_out")
    backend.delete("a")  # holds links out (up_out, up_file) and in (in_link)
    assert not os.path.lexists(os.path.join(world["root"], "dir_out"))
    assert not os.path.lexists(os.path.join(world["root"], "a"))
    assert backend.read("inside.txt") == b"inside"


def _client(world: dict[str, str], **config: Any) -> Any:
    app = Flask("symlinks")
    app.config.update(FILES_FS_ROOT=world["root"], **config)
    fs.init_app(app, fs.Storage("files", fs.ALL))
    return app.test_client()


@pytest.mark.parametrize("offload", [None, "x-sendfile", "x-accel-redirect"])
def test_serving_through_a_link_out_of_the_root_is_404(world, outside, offload):
    client = _client(world, FILES_FS_OFFLOAD=offload)
    for name in ("file_out", "dir_out/secret.txt", "a/up_out/secret.txt", "a/up_file", "abs_in"):
        response = client.get(f"/files/{name}")
        assert response.status_code == 404, name
        assert b"secret" not in response.data
        assert "X-Sendfile" not in response.headers
        assert "X-Accel-Redirect" not in response.headers
    assert client.get("/files/a/in_link").status_code == 200  # a link inside the root


def test_links_inside_the_root_still_work(world, outside):
    backend = LocalBackend("files", Config(root=world["root"]))
    assert backend.exists("a/in_link")
    assert backend.read("a/in_link") == b"inside"
    assert backend.read("dir_in/in_link") == b"inside"  # through a folder link, then a file link
    assert backend.metadata("a/in_link")["size"] == 6
    backend.save(io.BytesIO(b"via link"), "dir_in/new.txt")
    assert _read(os.path.join(world["root"], "a", "new.txt")) == b"via link"
    backend.copy("a/in_link", "copied.txt")
    assert backend.read("copied.txt") == b"inside"
    assert set(backend.list_files("dir_in")) == {"dir_in/kept.txt", "dir_in/in_link", "dir_in/new.txt"}
    response = _client(world).get("/files/a/in_link")
    assert response.status_code == 200
    assert response.data == b"inside"
    # An absolute link is refused even when it points inside: openat2 cannot tell.
    with pytest.raises(fs.InvalidFilename, match="absolute"):
        backend.read("abs_in")


def test_without_openat2_no_link_is_followed(world, outside, no_openat2):
    assert beneath.default_resolver() is beneath.NO_LINKS
    backend = LocalBackend("files", Config(root=world["root"]))
    assert backend.resolver is beneath.NO_LINKS
    for name in ("a/in_link", "dir_in/in_link", "dir_in/kept.txt", "abs_in"):
        assert not backend.exists(name)
        with pytest.raises(fs.InvalidFilename, match=r"without openat2.*FILES_FS_FOLLOW_SYMLINKS"):
            backend.read(name)
    with pytest.raises(fs.InvalidFilename, match="without openat2"):
        backend.save(io.BytesIO(b"x"), "dir_in/new.txt")
    assert not os.path.exists(os.path.join(world["root"], "a", "new.txt"))
    backend.write("b/c/d.txt", b"plain folders work")  # made one level at a time
    assert backend.read("b/c/d.txt") == b"plain folders work"
    backend.delete("b")
    assert not os.path.exists(os.path.join(world["root"], "b"))


@pytest.mark.parametrize("key", ["FS_LOCAL_FOLLOW_SYMLINKS", "FILES_FS_FOLLOW_SYMLINKS"])
def test_follow_symlinks_restores_following_links_anywhere(world, key):
    app = Flask("follow")
    app.config.update({"FILES_FS_ROOT": world["root"], key: True})
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files)
    with Outside(world["outside"], untouched=False) as watched, app.app_context():
        assert files.backend.resolver is beneath.FOLLOW
        assert files.read("dir_out/secret.txt") == b"secret"
        assert files.read("a/up_file") == b"secret"
        listed = set(files.list_files())
        assert {"file_out", "a/up_file", "dir_out/secret.txt", "dir_out/sub/inner.txt"} <= listed
        assert {"dir_in/kept.txt", "a/up_out/sub/inner.txt"} <= listed
        files.write("dir_out/written.txt", b"out")
        # The watch sees what the storage did outside (so its silence elsewhere means something).
        assert {name for _, name in watched.events()} >= {b"secret.txt", b"written.txt"}
        response = app.test_client().get("/files/file_out")
        assert response.data == b"secret"
    assert _read(os.path.join(world["outside"], "written.txt")) == b"out"


def test_serving_sends_the_validators_werkzeug_sent_for_the_path(tmp_path):
    """The ETag is the one send_file(path) gave (mtime-size-adler32(path)), so caches keep it."""
    app = Flask("etag")
    app.config.update(FS_ROOT=str(tmp_path))
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files)
    with app.app_context():
        files.write("d/a.bin", os.urandom(5000))
        path = files.path("d/a.bin")
    client = app.test_client()
    response = client.get("/files/d/a.bin")
    with app.test_request_context() as context:
        expected = send_file(path, context.request.environ, etag=True, mimetype="application/octet-stream")
        expected.close()
    st = os.stat(path)
    assert response.headers["ETag"] == expected.headers["ETag"]
    assert response.headers["ETag"] == f'"{st.st_mtime}-{st.st_size}-{adler32(path.encode()) & 0xFFFFFFFF}"'
    assert response.headers["Last-Modified"] == expected.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == expected.headers["Cache-Control"]
    revalidated = client.get("/files/d/a.bin", headers={"If-None-Match": response.headers["ETag"]})
    assert revalidated.status_code == 304
    assert client.get("/files/d/a.bin", headers={"Range": "bytes=9000-"}).status_code == 416


def _exchange(a: str, b: str) -> None:
    """renameat2(RENAME_EXCHANGE): swap two names in one step (glibc 2.28+)."""
    if _libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


@pytest.mark.parametrize("mode", ["openat2", "no_openat2"])
def test_a_folder_swapped_for_a_link_in_a_loop_never_leads_outside(request, tmp_path, mode):
    """One thread swaps ``d`` for a link to ``outside`` and back as fast as it can while
    another saves, replaces, writes and deletes (files and a folder) in ``d``: whatever it
    meets, an open made before the swap or a link, nothing outside is ever written or deleted."""
    if mode == "no_openat2":
        request.getfixturevalue("no_openat2")
    root, outside = tmp_path / "root", tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    for bait in ("x.txt", "y.txt", "sub/z.txt"):
        (outside / bait).write_bytes(b"outside")
    backend = LocalBackend("files", Config(root=str(root)))
    backend.write("d/keep.txt", b"keeps d from being pruned")
    os.symlink(outside, root / "swap")
    stop = threading.Event()
    swaps = [0]

    def swapper() -> None:
        while not stop.is_set():
            _exchange(str(root / "d"), str(root / "swap"))  # d: a link, swap: the folder
            swaps[0] += 1

    outcomes: dict[str, int] = {}

    def attempt(operation: Callable[[], object]) -> None:
        try:
            operation()
            outcome = "done"
        except fs.InvalidFilename:
            outcome = "refused"
        except (fs.FileExists, fs.FileNotFound):
            outcome = "exists-or-missing"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the two threads as finely as the GIL allows
    thread = threading.Thread(target=swapper)
    thread.start()
    deadline = time.monotonic() + 6
    try:
        for i in range(3000):
            attempt(lambda: backend.write("d/x.txt", b"inside", overwrite=True))
            attempt(lambda: backend.save(io.BytesIO(b"inside"), "d/y.txt"))
            attempt(lambda: _open_write(backend, "d/sub/z.txt", True))
            attempt(lambda: backend.delete("d/x.txt"))
            attempt(lambda: backend.delete("d/y.txt"))
            attempt(lambda: backend.delete("d/sub"))
            if i % 100 == 0 and time.monotonic() > deadline:
                break
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    for bait in ("x.txt", "y.txt", "sub/z.txt"):
        assert (outside / bait).read_bytes() == b"outside"
    assert sorted(os.listdir(outside)) == ["sub", "x.txt", "y.txt"]
    assert os.listdir(outside / "sub") == ["z.txt"]
    assert swaps[0] > 1000
    # Both states were met many times (how often each depends on the scheduler: a few
    # hundred to a few thousand operations went through, most met the link).
    assert outcomes.get("done", 0) > 20, outcomes
    assert outcomes.get("refused", 0) > 20, outcomes


@pytest.mark.parametrize("follow", [False, True])
def test_a_link_back_up_does_not_make_the_listing_endless(tmp_path, follow):
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_bytes(b"f")
    os.symlink("..", root / "a" / "b" / "up")  # a/b/up is a: the walk is inside it already
    os.symlink("../..", root / "a" / "b" / "top")  # the root itself
    os.symlink("b", root / "a" / "same")  # another name for a/b: listed under both names
    backend = LocalBackend("files", Config(root=str(root), follow_symlinks=follow))
    assert backend.resolver is (beneath.FOLLOW if follow else beneath.BENEATH)
    assert set(backend.list_files()) == {"a/b/f.txt", "a/same/f.txt"}
    assert backend.read("a/b/up/same/f.txt") == b"f"  # readable, though not listed
