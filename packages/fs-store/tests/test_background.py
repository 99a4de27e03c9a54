"""Background saves (Flask-Store's ``S3GeventStore``, without gevent): the name comes back
at once, the transfer completes after the request, failures are retried, then signalled,
logged, listed and retried on demand; orphans of a killed process are taken over."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage

import fs_core
from fs_core.testing import child_env
from fs_store import upload_completed, upload_failed


def upload(content: bytes, filename: str) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=filename)


class Gate:
    """An fs plugin that holds the background transfers until it is opened, and can make the
    next ones fail as a service would (``BackendError``); it counts transfers in flight."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.failures = 0
        self.active = 0
        self.most = 0
        self._lock = threading.Lock()

    @fs_core.hookimpl
    def prepare_upload(self, storage: Any, filename: str, file: Any) -> None:
        if not threading.current_thread().name.startswith("fs-store-upload"):
            return  # the test's own writes
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            assert self.open.wait(30), "the gate was never opened"
            with self._lock:
                if self.failures:
                    self.failures -= 1
                    raise fs_core.BackendError("injected: the service is down")
        finally:
            with self._lock:
                self.active -= 1


@pytest.fixture
def background(make_app, fs_register_plugin):
    """An app whose store saves in the background, with a :class:`Gate` on its writes."""
    app, store = make_app(STORE_BACKGROUND=True, STORE_BACKGROUND_RETRY_DELAY=0.01)
    gate = Gate()
    fs_register_plugin(app, gate, name="gate")
    return app, store, gate


def events(signal_):  # type: ignore[no-untyped-def]
    seen: list[dict[str, Any]] = []
    signal_.connect(lambda sender, **kw: seen.append(kw), weak=False)
    return seen


def test_save_returns_at_once_and_completes_after_the_request(background):
    app, store, gate = background
    done = events(upload_completed)

    @app.post("/upload")
    def view():
        return store.Provider(destination="in").save(FileStorageFrom(app))

    answer = app.test_client().post("/upload", data={"f": (io.BytesIO(b"spooled bytes"), "Late file.txt")})
    assert answer.text == "in/Late_file.txt"  # the request is over: its stream is closed
    with app.app_context():
        assert not store.storage.exists("in/Late_file.txt")  # not transferred yet
        [pending] = store.background.pending()
        assert pending.name == "in/Late_file.txt"
        gate.open.set()
        assert store.background.wait(30)
        assert store.storage.read("in/Late_file.txt") == b"spooled bytes"
        assert store.background.uploads() == []
        assert os.listdir(store.background.spool) == ["names"]
        assert os.listdir(os.path.join(store.background.spool, "names")) == []
    assert [d["upload"].name for d in done] == ["in/Late_file.txt"]


def FileStorageFrom(app):
    from flask import request

    return request.files["f"]


def test_reserved_names_are_unique_until_stored(background):
    app, store, gate = background
    with app.test_request_context():
        store.storage.write("a.txt", b"there already")
        names = [store.Provider().save(upload(f"{i}".encode(), "a.txt")) for i in range(3)]
        assert len(set(names)) == 3
        assert "a.txt" not in names
        gate.open.set()
        store.background.wait(30)
        assert sorted(store.storage.read(str(n)) for n in names) == [b"0", b"1", b"2"]
        assert store.storage.read("a.txt") == b"there already"


def test_transfers_run_with_bounded_concurrency(make_app, fs_register_plugin):
    app, store = make_app(STORE_BACKGROUND=True, STORE_BACKGROUND_CONCURRENCY=2)
    gate = Gate()
    fs_register_plugin(app, gate, name="gate")
    with app.test_request_context():
        for i in range(6):
            store.Provider().save(upload(b"x", f"{i}.txt"))
        time.sleep(0.5)
        assert gate.active == 2  # two transfers at once; the others wait in the spool
        gate.open.set()
        assert store.background.wait(30)
        assert gate.most == 2
        assert len(list(store.storage.list_files())) == 6


def test_failures_are_retried_then_succeed(background):
    app, store, gate = background
    gate.failures = 2  # the service fails twice: retries 1 and 2 of 3
    failed = events(upload_failed)
    with app.test_request_context():
        name = store.Provider().save(upload(b"eventually", "retry.txt"))
        gate.open.set()
        store.background.wait(30)
        assert store.storage.read(str(name)) == b"eventually"
    assert failed == []


def test_a_failure_is_never_silent_and_can_be_retried(background, caplog):
    app, store, gate = background
    gate.failures = 4  # more than the 3 retries
    failed, done = events(upload_failed), events(upload_completed)
    with app.test_request_context(), caplog.at_level(logging.ERROR):
        name = store.Provider().save(upload(b"precious", "precious.txt"))
        gate.open.set()
        store.background.wait(30)
        assert not store.storage.exists(str(name))
        # A signal, a log line, a record that lists it, and its content still on disk.
        [signalled] = failed
        assert signalled["upload"].name == "precious.txt"
        assert isinstance(signalled["error"], fs_core.BackendError)
        assert any(
            "precious.txt" in r.getMessage() and "failed after 4 attempt" in r.getMessage()
            for r in caplog.records
        )
        [record] = store.background.failed()
        assert record.state == "failed"
        assert record.attempts == 4
        assert "service is down" in record.error
        assert store.background.pending() == []
        # The service is back: retry it.
        [again] = store.background.retry()
        assert again.name == "precious.txt"
        store.background.wait(30)
        assert store.storage.read("precious.txt") == b"precious"
        assert store.background.uploads() == []
    assert [d["upload"].name for d in done] == ["precious.txt"]


def test_a_failed_upload_can_be_discarded(background):
    app, store, gate = background
    gate.failures = 10
    with app.test_request_context():
        name = store.Provider().save(upload(b"gone", "gone.txt"))
        gate.open.set()
        store.background.wait(30)
        [dropped] = store.background.discard(str(name))
        assert dropped.name == "gone.txt"
        assert store.background.uploads() == []
        assert sorted(os.listdir(store.background.spool)) == ["names"]
        gate.failures = 0
        assert store.Provider().save(upload(b"new", "gone.txt")) == "gone.txt"  # the name is free again


def test_a_name_taken_meanwhile_is_not_overwritten(background):
    """Another machine stored the reserved name before the transfer: the file it stored
    stays, and the upload fails visibly, kept for a decision."""
    app, store, gate = background
    failed = events(upload_failed)
    with app.test_request_context():
        name = store.Provider().save(upload(b"mine", "contested.txt"))
        store.storage.write(str(name), b"theirs")  # bypasses this machine's reservation
        gate.open.set()
        store.background.wait(30)
        assert store.storage.read(str(name)) == b"theirs"
        [record] = store.background.failed()
        assert "STORE_BACKGROUND_UNIQUE_NAMES" in record.error
    assert isinstance(failed[0]["error"], fs_core.FileExists)


def test_unique_names_for_several_machines(make_app):
    app, store = make_app(STORE_BACKGROUND=True, STORE_BACKGROUND_UNIQUE_NAMES=True)
    with app.test_request_context():
        name = store.Provider().save(upload(b"u", "u.txt"))
        assert name.startswith("u_")
        store.background.wait(30)
        assert store.storage.read(str(name)) == b"u"


def test_refusals_are_raised_in_the_request_and_nothing_is_spooled(make_app):
    app, store = make_app(STORE_BACKGROUND=True, STORE_FS_DENY=["exe"], STORE_FS_MAX_SIZE=100)
    with app.test_request_context():
        provider = store.Provider()
        with pytest.raises(fs_core.UnauthorizedFileType, match="exe"):
            provider.save(upload(b"MZ", "tool.exe"))
        with pytest.raises(fs_core.FileTooLarge):
            provider.save(upload(b"x" * 101, "big.txt"))
        with pytest.raises(fs_core.InvalidFilename, match="filename is required"):
            provider.save(io.BytesIO(b"no name"))
        for explicit in ("../escape.txt", "/absolute.txt"):
            with pytest.raises(fs_core.InvalidFilename):
                provider.save(upload(b"x", "a.txt"), filename=explicit)
        assert store.background.uploads() == []
        assert [n for n in os.listdir(store.background.spool) if n != "names"] == []
        assert os.listdir(os.path.join(store.background.spool, "names")) == []


@pytest.mark.parametrize("backend", ["moto", "swift"], indirect=True)
def test_s3_gevent_store_on_a_real_s3_with_injected_errors(make_app, backend):
    """Flask-Store's gevent store name; the service answers 500 twice, then works."""
    from fs_testservers import fail_requests

    app, store = make_app(
        STORE_PROVIDER="flask_store.stores.s3.S3GeventStore", STORE_BACKGROUND_RETRY_DELAY=0.01
    )
    with app.test_request_context():
        client = store.storage.backend.client
        fail_requests(client, "PutObject", times=2 * 3)  # botocore's own 3 attempts, twice
        name = store.Provider().save(upload(b"to the bucket", "bucket.txt"))
        assert isinstance(name, str)
        assert name == "bucket.txt"
        assert store.background.wait(60)
        assert store.storage.read("bucket.txt") == b"to the bucket"
        assert store.background.uploads() == []


CHILD = textwrap.dedent(
    """
    import io, json, sys, time
    from flask import Flask
    from werkzeug.datastructures import FileStorage
    import fs_core
    from fs_store import Store

    class Stuck:
        @fs_core.hookimpl
        def prepare_upload(self):
            time.sleep(3600)  # the transfer never ends: the process is killed first

    app = Flask("child", instance_path=sys.argv[2])
    app.config.update(json.loads(sys.argv[1]))
    store = Store(app)
    app.extensions["fs"].plugins.register(Stuck(), name="stuck")
    with app.test_request_context():
        name = store.Provider().save(FileStorage(io.BytesIO(b"orphan"), filename="orphan.txt"))
    print(name, flush=True)
    time.sleep(3600)
    """
)


@pytest.mark.parametrize("backend", ["local", "moto"], indirect=True)  # (memory dies with it)
def test_uploads_of_a_killed_process_are_taken_over(make_app, backend, tmp_path):
    spool = str(tmp_path / "spool")
    config = {**backend, "STORE_BACKGROUND": True, "STORE_BACKGROUND_SPOOL": spool}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(config), str(tmp_path / "child")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
        text=True,
    )
    name = child.stdout.readline().strip()
    assert name == "orphan.txt", name if name else child.stderr.read()
    app, store = make_app(STORE_BACKGROUND=True, STORE_BACKGROUND_SPOOL=spool)
    with app.app_context():
        [pending] = store.background.pending()
        assert store.background.resume() == []  # its process holds it: not an orphan
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        [taken] = store.background.resume()
        assert taken.id == pending.id
        assert store.background.wait(30)
        assert store.storage.read("orphan.txt") == b"orphan"
        assert store.background.uploads() == []


def test_flask_store_commands(background):
    app, store, gate = background
    gate.failures = 10
    with app.test_request_context():
        store.Provider().save(upload(b"cli", "cli.txt"))
    gate.open.set()
    with app.app_context():
        store.background.wait(30)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["store", "uploads", "--failed"])
    assert listed.exit_code == 0
    assert json.loads(listed.output)["name"] == "cli.txt"
    assert runner.invoke(args=["store", "retry"]).exit_code == 1  # failed again: status 1
    gate.failures = 0
    retried = runner.invoke(args=["store", "retry", "cli.txt"])
    assert retried.exit_code == 0, retried.output
    assert retried.output == "stored cli.txt\n"
    with app.app_context():
        assert store.storage.read("cli.txt") == b"cli"
    assert runner.invoke(args=["store", "uploads"]).output == ""
    assert runner.invoke(args=["store", "resume"]).exit_code == 0


def test_a_spool_that_cannot_be_written_is_a_backend_error(make_app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    app, store = make_app(STORE_BACKGROUND=True, STORE_BACKGROUND_SPOOL=str(blocker / "spool"))
    with app.test_request_context(), pytest.raises(fs_core.BackendError, match="Cannot spool"):
        store.Provider().save(upload(b"x", "x.txt"))
