"""``flask fs sync`` and :func:`fs_core.sync.sync` between memory storages and test backends:
what is copied, compared, deleted, reported, and what an interruption leaves. (Between real
services, local disks and S3, and through a killed ``flask`` process: the workspace's
tests/test_cli_sync.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import hashlib
import importlib.metadata
import io
import json
import threading
import time

import pytest
from flask import Flask

import fs_core as fs
from fs_core import parallel
from fs_core.backend import BaseBackend
from fs_core.errors import BackendError
from fs_core.listing import FileInfo
from fs_core.locations import Location
from fs_core.memory import MemoryBackend
from fs_core.sync import SyncOptions, plan, sync


class Md5Memory(MemoryBackend):
    """Lists MD5 checksums (as S3 does), another kind than the memory backend's SHA-256."""

    def scan(self, prefix=None):
        for info in super().scan(prefix):
            md5 = hashlib.md5(self.read(info.name)).hexdigest()
            yield FileInfo(info.name, info.size, info.modified, f"md5:{md5}")


class Watched(MemoryBackend):
    """Counts saves running at once, fails saves of names containing 'fail', and can be
    slowed down."""

    delay = 0.0
    running = 0
    copy_from = BaseBackend.copy_from  # another service: files are streamed to it
    most = 0
    lock = threading.Lock()

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        with Watched.lock:
            Watched.running += 1
            Watched.most = max(Watched.most, Watched.running)
        try:
            time.sleep(self.delay)
            if "fail" in filename:
                raise BackendError(f"Storage {self.name!r}: the service refused {filename!r}")
            return super().save(file_or_wfs, filename, overwrite, content_type)
        finally:
            with Watched.lock:
                Watched.running -= 1


class Backends:
    @fs.hookimpl
    def register_backends(self, register):
        register("md5mem", Md5Memory)
        register("watched", Watched)


@pytest.fixture
def env(tmp_path):
    src, dst, other = fs.Storage("src", fs.ALL), fs.Storage("dst", fs.ALL), fs.Storage("other", fs.ALL)
    app = Flask("sync_app", instance_path=str(tmp_path))
    app.config.update(
        TESTING=True, SECRET_KEY="x", FS_BACKEND="memory", DST_FS_BACKEND="watched", OTHER_FS_BACKEND="md5mem"
    )
    fs.init_app(app, src, dst, other, plugins=[Backends()])
    Watched.delay, Watched.most = 0.0, 0
    runner = app.test_cli_runner()

    class Env:
        pass

    e = Env()
    e.app, e.src, e.dst, e.other = app, src, dst, other
    e.run = lambda *args, **kw: runner.invoke(args=["fs", *args], **kw)
    with app.app_context():
        for name, data in {"a.txt": b"a", "d/b.txt": b"bb", "d/e/c.txt": b"ccc", "skip.log": b"log"}.items():
            src.write(name, data)
        yield e


def files(storage):
    return {name: storage.read(name) for name in storage.list_files()}


def test_copies_what_is_missing_then_nothing(env):
    first = env.run("sync", "src", "dst", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert (report["copied"], report["skipped"], report["copied_bytes"]) == (4, 0, 9)
    assert files(env.dst) == files(env.src)
    again = json.loads(env.run("sync", "src", "dst", "--json").stdout)
    assert (again["copied"], again["skipped"]) == (0, 4)


def test_what_counts_as_different(env):
    env.run("sync", "src", "dst")
    env.src.write("a.txt", b"A", overwrite=True)  # same size, newer, another checksum
    env.src.write("d/b.txt", b"bbb", overwrite=True)  # another size
    found = plan(Location.of_storage(env.src), Location.of_storage(env.dst))
    assert {(c.name, c.reason) for c in found.copies} == {
        ("a.txt", "checksum differs"),
        ("d/b.txt", "size differs (3 / 2 bytes)"),
    }
    assert found.unchanged == 2


def test_checksums_of_other_kinds_fall_back_to_dates_or_content(env):
    src, other = Location.of_storage(env.src), Location.of_storage(env.other)
    assert sync(src, other).copied == 4
    # SHA-256 against MD5: same size, so the dates decide; the copy is newer, nothing to do.
    assert plan(src, other).copies == []
    # A change the dates cannot see (the copy is newer but differs): only --checksum finds it.
    env.other.backend.write("a.txt", b"Z", overwrite=True)
    assert plan(src, other).copies == []
    checked = plan(src, other, SyncOptions(checksum=True))
    assert [(c.action, c.name) for c in checked.copies] == [
        ("check", n) for n in ("a.txt", "d/b.txt", "d/e/c.txt", "skip.log")
    ]
    report = sync(src, other, SyncOptions(checksum=True))
    assert (report.copied, report.skipped) == (1, 3)
    assert env.other.read("a.txt") == b"a"
    # Newer in the source (by a second at least: dates are compared in seconds): copied.
    env.src.write("d/e/c.txt", b"CCC", overwrite=True)
    entry = env.src.backend._files["d/e/c.txt"]
    later = entry.modified + dt.timedelta(seconds=2)
    env.src.backend._files["d/e/c.txt"] = dataclasses.replace(entry, modified=later)
    assert [(c.name, c.reason) for c in plan(src, other).copies] == [("d/e/c.txt", "newer in source")]


def test_dry_run_and_delete_are_exact(env, monkeypatch):
    env.dst.write("old.txt", b"o")
    env.dst.write("d/gone.txt", b"g")
    env.dst.write("a.txt", b"x")  # differs
    # A disk lists in its own order, and the files are decided on several threads: the lines
    # of a dry run are in name order all the same (two runs can be compared with diff).
    listed = env.src.backend.scan
    monkeypatch.setattr(env.src.backend, "scan", lambda prefix=None: reversed(list(listed(prefix))))
    dry = env.run("sync", "src", "dst", "--delete", "--dry-run", "--exclude", "*.log", "--jobs", "1")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        "copy   a.txt  (checksum differs)",
        "copy   d/b.txt  (missing in target)",
        "copy   d/e/c.txt  (missing in target)",
        "delete d/gone.txt  (only in target)",
        "delete old.txt  (only in target)",
    ]
    assert files(env.dst) == {"old.txt": b"o", "d/gone.txt": b"g", "a.txt": b"x"}  # untouched
    env.dst.write("keep.log", b"k")  # excluded: neither copied nor deleted
    done = env.run("sync", "src", "dst", "--delete", "--exclude", "*.log", "--json")
    report = json.loads(done.stdout)
    assert (report["copied"], report["deleted"]) == (3, 2)
    assert files(env.dst) == {"a.txt": b"a", "d/b.txt": b"bb", "d/e/c.txt": b"ccc", "keep.log": b"k"}


def test_include_and_folders(env):
    assert env.run("sync", "src:d", "dst:copy", "--include", "*.txt").exit_code == 0
    assert files(env.dst) == {"copy/b.txt": b"bb", "copy/e/c.txt": b"ccc"}
    report = sync(Location.of_storage(env.src, "d"), Location.of_storage(env.dst, "copy"))
    assert report.skipped == 2


def test_delete_never_takes_a_folder_that_keeps_files(env):
    env.dst.backend.write("d", b"a file named like the folder")  # possible on S3 and in memory
    report = sync(Location.of_storage(env.src), Location.of_storage(env.dst), SyncOptions(delete=True))
    assert env.dst.exists("d/b.txt")
    assert env.dst.exists("d")
    assert report.failed == [("d", "not deleted: a folder of the same name in the target keeps files")]


def test_failures_are_reported_and_retried(env):
    env.src.write("fail.txt", b"f")
    result = env.run("sync", "src", "dst")
    assert result.exit_code == 3, result.output
    assert "FAILED fail.txt: Storage 'dst': the service refused 'fail.txt'" in result.stderr
    assert "run the same command again to retry" in result.stderr
    assert set(files(env.dst)) == {"a.txt", "d/b.txt", "d/e/c.txt", "skip.log"}
    env.src.delete("fail.txt")
    assert env.run("sync", "src", "dst").exit_code == 0


def test_names_that_cannot_be_written_are_failures(env):
    env.src.backend.write("../escape.txt", b"x")  # as a service could list it
    env.src.backend.write("ok\x1b[2J.txt", b"x")
    result = env.run("sync", "src", "dst")
    assert result.exit_code == 3
    assert "FAILED ../escape.txt: File name '../escape.txt' contains a '..' segment" in result.stderr
    assert "\x1b" not in result.stderr
    assert "ok\\x1b[2J.txt" in result.stderr
    assert set(env.dst.backend.list_files()) == {"a.txt", "d/b.txt", "d/e/c.txt", "skip.log"}
    # Running again cannot copy them: the message says what will (renaming them), not "retry".
    assert "run the same command again to retry" not in result.stderr
    assert "2 name(s) cannot be copied or deleted as they are (listed above)" in result.stderr
    env.src.write("fail.txt", b"f")  # and a failure that a new run can retry
    both = env.run("sync", "src", "dst")
    assert both.exit_code == 3
    assert "2 name(s) cannot be copied" in both.stderr
    assert "run the same command again to retry" in both.stderr


def test_server_side_between_memory_storages_and_jobs_bound(env):
    other = Location.of_storage(env.other)
    report = sync(Location.of_storage(env.src), other)
    assert report.server_side == report.copied == 4  # Md5Memory is a MemoryBackend
    for i in range(24):
        env.src.write(f"many/{i}.txt", b"x")
    Watched.delay = 0.02
    report = sync(Location.of_storage(env.src), Location.of_storage(env.dst), SyncOptions(jobs=3))
    assert report.copied == 28
    assert report.server_side == 0
    assert Watched.most == 3  # parallel, and never more than --jobs


def test_interrupted_sync_keeps_whole_files_and_resumes(env, monkeypatch):
    for i in range(30):
        env.src.write(f"many/{i}.txt", b"x" * 100)
    Watched.delay = 0.01
    real_wait, calls = parallel.wait, []

    def interrupting_wait(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # Ctrl-C in the main thread, transfers running
        return real_wait(*args, **kwargs)

    monkeypatch.setattr(parallel, "wait", interrupting_wait)
    result = env.run("sync", "src", "dst", "-j", "4")
    monkeypatch.setattr(parallel, "wait", real_wait)
    assert result.exit_code == 130, result.output
    assert "run the same command again to copy the rest" in result.stderr
    partial = files(env.dst)
    assert 0 < len(partial) < 34
    assert all(data == env.src.read(name) for name, data in partial.items())  # whole files only
    again = json.loads(env.run("sync", "src", "dst", "--json").stdout)
    assert again["copied"] == 34 - len(partial)
    assert again["skipped"] == len(partial)
    assert files(env.dst) == files(env.src)


def test_a_stopped_transfer_stores_nothing(env):
    env.src.write("big.bin", b"z" * (8 << 20))
    stop = threading.Event()
    seen = []

    def on_bytes(n):
        seen.append(n)
        stop.set()  # stop after the first chunk of the first file

    report = sync(
        Location.of_storage(env.src), Location.of_storage(env.dst), SyncOptions(jobs=1, include=("big.bin",)),
        on_bytes=on_bytes, stop=stop,
    )  # fmt: skip
    assert report.interrupted
    assert report.copied == 0
    assert not report.failed
    assert seen
    assert not env.dst.exists("big.bin")


def test_sync_report(env):
    report = sync(Location.of_storage(env.src), Location.of_storage(env.dst))
    data = report.as_dict()
    assert (data["copied"], data["copied_bytes"], data["failed"]) == (4, 9, [])
    assert report.ok
    assert "would_copy" not in data
    env.src.write("fail.txt", b"f")
    report = sync(Location.of_storage(env.src), Location.of_storage(env.dst), SyncOptions(dry_run=True))
    assert report.ok
    assert report.would_copy == [("fail.txt", "missing in target")]
    assert not env.dst.exists("fail.txt")
    env.dst.write("old.txt", b"o")
    options = SyncOptions(dry_run=True, delete=True)
    data = sync(Location.of_storage(env.src), Location.of_storage(env.dst), options).as_dict()
    assert (data["dry_run"], data["copied"], data["deleted"]) == (True, 0, 0)
    assert data["would_copy"] == [{"name": "fail.txt", "reason": "missing in target"}]
    assert data["would_delete"] == ["old.txt"]
    assert env.dst.exists("old.txt")


def test_deletions_that_fail_are_reported_and_the_rest_deleted(env, monkeypatch):
    sync(Location.of_storage(env.src), Location.of_storage(env.dst))
    env.dst.write("old.txt", b"o")
    env.dst.write("older.txt", b"o")
    real = env.dst.backend.delete

    def delete(name):
        if name == "old.txt":
            raise BackendError("Storage 'dst': the service refused to delete 'old.txt'")
        real(name)

    monkeypatch.setattr(env.dst.backend, "delete", delete)
    report = sync(Location.of_storage(env.src), Location.of_storage(env.dst), SyncOptions(delete=True))
    assert report.deleted == 1
    refused = "Storage 'dst': the service refused to delete 'old.txt' (BackendError)"
    assert report.failed == [("old.txt", refused)]
    assert set(env.dst.list_files()) == {"a.txt", "d/b.txt", "d/e/c.txt", "skip.log", "old.txt"}


def test_an_error_outside_the_core_family_fails_that_file_only(env, monkeypatch):
    """A backend that lets an OSError through (a full disk): the file is a failure that says
    what the error was, the others are copied."""
    real = Watched.save

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        if filename == "d/b.txt":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, file_or_wfs, filename, overwrite, content_type)

    monkeypatch.setattr(Watched, "save", save)
    result = env.run("sync", "src", "dst", "--json")
    assert result.exit_code == 3, result.output
    assert "FAILED d/b.txt: [Errno 28] No space left on device" in result.stderr
    failed = json.loads(result.stdout)["failed"]
    assert failed == [{"name": "d/b.txt", "error": "OSError: [Errno 28] No space left on device"}]
    assert set(files(env.dst)) == {"a.txt", "d/e/c.txt", "skip.log"}


def test_a_stop_is_seen_before_a_copy_starts(env):
    """A copy the service makes itself reads no byte that could see the stop: copy_file
    checks it before starting, for a streamed copy as for a server-side one."""
    from fs_core.transfer import Cancelled, copy_file

    stop = threading.Event()
    stop.set()
    for target in (env.dst.backend, env.other.backend):  # streamed to it, copied by the service
        with pytest.raises(Cancelled):
            copy_file(env.src.backend, "a.txt", target, "a.txt", stop=stop)
        assert not target.exists("a.txt")
    assert copy_file(env.src.backend, "a.txt", env.other.backend, "a.txt", stop=threading.Event())
    assert env.other.read("a.txt") == b"a"


def test_overlapping_locations_are_refused(env):
    for src, dst in (("src", "src:copy"), ("src:d", "src"), ("src:d", "src:d")):
        result = env.run("sync", src, dst)
        assert result.exit_code == 1, (src, dst, result.output)
        assert "overlap" in result.stderr
    assert env.run("sync", "src:d", "src:dd").exit_code == 0  # whole segments: not inside


def test_dates_are_compared_in_whole_seconds():
    """S3 keeps dates to the second: a copy made in the second its source was written looks
    older than the source by a fraction of a second, and is still the same file."""
    from fs_core.sync import _decide

    written = dt.datetime(2026, 1, 2, 3, 4, 5, 700_000, tzinfo=dt.timezone.utc)
    source = FileInfo("a", 10, written, "sha256:aa")
    copied_in_that_second = FileInfo("a", 10, written.replace(microsecond=0), "md5:bb")
    assert _decide(source, copied_in_that_second, compare_content=False) is None
    older = FileInfo("a", 10, written - dt.timedelta(seconds=1), "md5:bb")
    assert _decide(source, older, compare_content=False) == ("copy", "newer in source")


class Reports(MemoryBackend):
    """A memory backend that lists and keeps other checksums than its SHA-256: ``kind`` maps
    the content to what it reports (``None``: no checksum), ``listed`` says whether its
    listing gives it (else only its metadata does); it counts the files it opens."""

    def __init__(self, kind, listed=True):
        super().__init__("reports")
        self.kind, self.listed, self.opened = kind, listed, []

    def get_metadata(self, filename):
        return {**super().get_metadata(filename), "checksum": self.kind(self._files[filename].data)}

    def scan(self, prefix=None):
        for info in super().scan(prefix):
            checksum = self.kind(self._files[info.name].data) if self.listed else None
            yield dataclasses.replace(info, checksum=checksum)

    def open_read(self, filename):
        self.opened.append(filename)
        return super().open_read(filename)


def multipart_etag(data):
    """What S3 keeps for a file uploaded in parts: no hash of the content can be computed."""
    return f"etag:{hashlib.md5(data).hexdigest()}-2"


def sha256(data):
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


@pytest.mark.parametrize(
    ("mine", "theirs", "reads"),
    [
        # An S3 multipart ETag cannot be computed: the target is hashed in the source's kind.
        (Reports(sha256), Reports(multipart_etag), (0, 1)),
        # Listings without checksums: the metadata has them, of one kind; nothing is read.
        (Reports(sha256, listed=False), Reports(sha256, listed=False), (0, 0)),
        # No checksum on one side, one that cannot be computed on the other: both are read.
        (Reports(lambda data: None), Reports(multipart_etag), (1, 1)),
    ],
    ids=["sha256-vs-etag", "metadata-only", "nothing-to-compare"],
)
def test_contents_compared_whatever_checksums_the_services_keep(mine, theirs, reads):
    from fs_core.sync import contents_same

    source, target = Location(mine, None, "mine"), Location(theirs, None, "theirs")
    mine.write("same.txt", b"content")
    theirs.write("same.txt", b"content")
    mine.write("other.txt", b"content")
    theirs.write("other.txt", b"CONTENT")
    listed = {info.name: info for info in target.scan()}
    verdicts = {}
    for info in source.scan():
        verdicts[info.name] = contents_same(source, info.name, target, info.name, info, listed[info.name])
    assert verdicts == {"same.txt": True, "other.txt": False}
    assert (len(mine.opened), len(theirs.opened)) == (2 * reads[0], 2 * reads[1])
    # A sync with --checksum copies only the file that differs.
    report = sync(source, target, SyncOptions(checksum=True))
    assert (report.copied, report.skipped) == (1, 1)
    assert theirs.read("other.txt") == b"content"


def test_checksum_kinds_and_hashing():
    from fs_core import checksums, streams

    assert checksums.computable("md5")
    assert not checksums.computable(None)
    assert not checksums.computable("etag")  # not a hashlib algorithm
    assert not checksums.computable("shake_128")  # a hash of no fixed size
    data, seen = b"x" * (2 * streams.CHUNK_SIZE + 1), []
    hashed, size = checksums.hash_stream(io.BytesIO(data), ("md5", "etag", "md5"), on_bytes=seen.append)
    assert hashed == {"md5": f"md5:{hashlib.md5(data).hexdigest()}"}
    assert size == sum(seen) == len(data)
    assert len(seen) > 1  # reported chunk by chunk


def test_verbose_sync_prints_each_file(env):
    env.dst.write("old.txt", b"o")
    result = env.run("sync", "src", "dst", "--delete", "-v", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == [
        "copied      a.txt",
        "copied      d/b.txt",
        "copied      d/e/c.txt",
        "copied      skip.log",
        "deleted     old.txt",
    ]


def test_an_error_of_the_caller_stops_the_pool_and_is_raised():
    """``done`` failing (a bug in a progress callback) is not swallowed: the work not
    started is dropped, and the error reaches the caller."""
    started = []

    def done(item, result, error):
        raise ValueError(f"done failed on {item}")

    with pytest.raises(ValueError, match="done failed on 0"):
        parallel.run_parallel(range(100), started.append, done, jobs=1)
    assert len(started) <= 2  # at most the ones already queued (2 per thread)


def test_what_interrupted_writes_left_is_never_synced(env):
    leftover = ".fs-previous-" + "0" * 32  # a copy set aside while processors ran
    env.src.backend.write(leftover, b"set aside")
    env.src.backend.write(f"d/{leftover}", b"set aside")
    report = sync(Location.of_storage(env.src), Location.of_storage(env.dst))
    assert report.copied == 4
    assert sorted(env.dst.backend.list_files()) == ["a.txt", "d/b.txt", "d/e/c.txt", "skip.log"]
    assert [info.name for info in Location.of_storage(env.src, "d").scan()] == ["b.txt", "e/c.txt"]


class NaiveDates(MemoryBackend):
    """Lists through BaseBackend.scan (one metadata call per file), and keeps dates as an
    old service may: naive (UTC), or none at all for names starting with 'undated'."""

    scan = BaseBackend.scan

    def get_metadata(self, filename):
        meta = super().get_metadata(filename)
        if filename.startswith("undated"):
            del meta["modified"]
        else:
            meta["modified"] = meta["modified"].replace(tzinfo=None)
        return meta


def test_files_listed_from_metadata_have_dates_in_utc():
    backend = NaiveDates("naive")
    backend.write("dated.txt", b"d")
    backend.write("undated.txt", b"u")
    infos = {info.name: info for info in Location(backend, None, "naive").scan()}
    assert infos["dated.txt"].modified.tzinfo == dt.timezone.utc
    assert abs(infos["dated.txt"].modified - backend._files["dated.txt"].modified) < dt.timedelta(seconds=1)
    assert infos["undated.txt"].modified == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    assert infos["undated.txt"].checksum.startswith("sha256:")
    # Compared with the aware dates of another backend: an undated copy is older than any source.
    target = MemoryBackend("aware")
    target.write("dated.txt", b"D")
    target.write("undated.txt", b"U")
    found = plan(Location(target, None, "aware"), Location(backend, None, "naive"))
    assert sorted((c.name, c.reason) for c in found.copies) == [
        ("dated.txt", "checksum differs"),
        ("undated.txt", "checksum differs"),
    ]


def test_a_local_folder_needs_fs_local(fs_make_app, tmp_path):
    files = fs.Storage("files", fs.ALL)
    app = fs_make_app(storages=(files,))  # no installed plugin: no 'local' backend
    result = app.test_cli_runner().invoke(args=["fs", "sync", "files", str(tmp_path / "copy")])
    assert result.exit_code == 1, result.output
    try:  # the advice of backend_class, which knows whether fs-local is installed (not under Pants)
        importlib.metadata.distribution("fs-local")
        advice = "Its plugin is installed but not enabled: check FS_PLUGINS"
    except importlib.metadata.PackageNotFoundError:
        advice = "Install it with: pip install fs-local"
    assert (
        "A local folder is read and written with the 'local' backend (fs-local): Unknown backend 'local'. "
        f"{advice}" in result.stderr
    )
    assert not (tmp_path / "copy").exists()


def test_progress_counts_the_files_found_the_same(env):
    """--checksum with nothing to copy: the bar still reaches the end (the bytes compared)."""
    src, other = Location.of_storage(env.src), Location.of_storage(env.other)
    sync(src, other)
    seen = []
    report = sync(src, other, SyncOptions(checksum=True), on_bytes=seen.append)
    assert (report.copied, report.skipped) == (0, 4)
    assert sum(seen) == 9


def test_a_streamed_copy_keeps_the_type_the_source_stored(env):
    """A stream that does not say its type (not an S3 GET): the source's metadata does."""
    from fs_core.transfer import copy_file

    env.src.backend.save(io.BytesIO(b"{}"), "data.bin", content_type="application/json")
    assert not copy_file(env.src.backend, "data.bin", env.dst.backend, "data.bin")  # streamed
    assert env.dst.backend.metadata("data.bin")["mime"] == "application/json"


def test_a_watched_reader_of_a_stream_that_cannot_seek_or_give_a_file_descriptor():
    """What a backend asks before a retry (seekable) or a copy in the kernel (fileno) gets a
    plain answer when the stream underneath has no such thing or is closed."""
    from fs_core.transfer import WatchedReader

    class Body:  # a response body: read() only
        def __init__(self):
            self._data = io.BytesIO(b"body")

        def read(self, size=-1):
            return self._data.read(size)

    reader = WatchedReader(Body())
    assert reader.seekable() is False
    with pytest.raises(io.UnsupportedOperation):
        reader.fileno()
    assert reader.read() == b"body"
    closed = io.BytesIO(b"x")
    watched = WatchedReader(closed)
    closed.close()
    assert watched.seekable() is False
