"""``flask fs`` between real services: local disks and S3 (moto and OpenStack Swift's s3api),
through a real ``flask`` process killed with SIGKILL mid-sync, and through click's runner.

What fs-core's own tests check on the memory backend (plans, dry runs, filters, Ctrl-C) is
checked here where it can only be: thousands of files to a real S3 and back, a process
killed at a random moment and the sync run again, server-side copies between two buckets of
one service, a large file streamed in bounded memory, a service that is down.
"""

from __future__ import annotations

import filecmp
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import boto3
import pytest
from flask import Flask

import fs_core as fs
from fs_core.testing import child_env
from fs_testservers import CallRecorder, S3Server, empty_bucket, unique_name
from fs_testservers.fixtures import mongo, swift_server  # noqa: F401  (fixtures; moto_server: conftest)

APP = textwrap.dedent(
    """
    import json, os
    from flask import Flask
    import fs_core as fs

    spec = json.loads(os.environ["SYNC_TEST_APP"])
    app = Flask("synced", instance_path=spec["instance"])
    app.config.update(SECRET_KEY="x", FS_ROOT=spec["root"], **spec["config"])
    fs.init_app(app, *(fs.Storage(name, fs.ALL) for name in spec["storages"]))
    """
)

#: How many small files each service gets (Swift answers fewer requests a second than moto).
SMALL_FILES = {"moto": 2000, "swift": 500}


@pytest.fixture(params=["moto", "swift"])
def service(request: pytest.FixtureRequest) -> tuple[str, S3Server]:
    return request.param, request.getfixturevalue(f"{request.param}_server")


class Site:
    """Two S3 storages (``bucket`` and ``mirror``, two buckets of one service), a memory one
    and a local one, as an app in this process and as ``flask`` commands in others."""

    def __init__(self, tmp_path: Path, server: S3Server) -> None:
        self.tmp = tmp_path
        self.server = server
        self.buckets = {"bucket": unique_name("sync"), "mirror": unique_name("mirror")}
        config = {f"FS_S3_{k.upper()}": v for k, v in server.fs_config().items()}
        config.update(BUCKET_FS_BACKEND="s3", MIRROR_FS_BACKEND="s3", MEMORY_FS_BACKEND="memory")
        config.update({f"{name.upper()}_FS_BUCKET": bucket for name, bucket in self.buckets.items()})
        config.update({f"{name.upper()}_FS_KEY_PREFIX": "" for name in self.buckets})
        self.spec = {
            "instance": str(tmp_path / "instance"),
            "root": str(tmp_path / "fs"),
            "config": config,
            "storages": ["bucket", "mirror", "memory", "disk"],
        }
        (tmp_path / "siteapp.py").write_text(APP)
        self.client = boto3.client("s3", **server.client_kwargs())

    def app(self) -> Flask:
        app = Flask("synced", instance_path=self.spec["instance"])
        app.config.update(SECRET_KEY="x", FS_ROOT=self.spec["root"], **self.spec["config"])
        fs.init_app(app, *(fs.Storage(name, fs.ALL) for name in self.spec["storages"]))
        return app

    def flask(self, *args: str, **kwargs) -> subprocess.Popen:
        env = child_env(
            SYNC_TEST_APP=json.dumps(self.spec), PYTHONPATH=os.pathsep.join([str(self.tmp), *sys.path])
        )
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "siteapp", "fs", *args],
            cwd=self.tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
        )  # fmt: skip

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        proc = self.flask(*args)
        out, err = proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def keys(self, storage: str = "bucket") -> dict[str, int]:
        found = {}
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.buckets[storage]):
                found.update({item["Key"]: item["Size"] for item in page.get("Contents", ())})
        except self.client.exceptions.NoSuchBucket:  # made on first use
            pass
        return found

    def cleanup(self) -> None:
        from fs_core.config import Config
        from fs_s3.backend import S3Backend

        for bucket in self.buckets.values():
            client = S3Backend(bucket, Config(self.server.fs_config())).client  # Swift: Content-MD5 hook
            empty_bucket(client, bucket, delete_bucket=True)


@pytest.fixture
def site(tmp_path, service):
    made = Site(tmp_path, service[1])
    made.name = service[0]
    yield made
    made.cleanup()


def small_files(folder: Path, count: int) -> dict[str, bytes]:
    rng = random.Random(count)
    files = {}
    for i in range(count):
        name = f"d{i % 17}/sub{i % 3}/f{i}.bin"
        data = rng.randbytes(200 + i % 700)
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        files[name] = data
    return files


def ok(result: subprocess.CompletedProcess, code: int = 0) -> subprocess.CompletedProcess:
    assert result.returncode == code, (result.returncode, result.stdout[-3000:], result.stderr[-3000:])
    return result


def test_local_to_s3_killed_resumed_verified_and_back(site):
    data = site.tmp / "data"
    files = small_files(data, SMALL_FILES[site.name])
    (data / "large").mkdir()
    (data / "large" / "seven.bin").write_bytes(os.urandom(7 << 20))  # above fs-s3's multipart threshold
    files["large/seven.bin"] = (data / "large" / "seven.bin").read_bytes()

    # A sync killed with SIGKILL once some files are there.
    proc = site.flask("sync", "./data", "bucket", "-j", "6")
    deadline = time.monotonic() + 300
    while len(site.keys()) < len(files) // 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the sync ended before it could be killed: " + proc.stderr.read()
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    # Requests the killed client had sent may still land (and Swift's container listing
    # follows its objects a moment later): what is stored is what the listing settles on.
    stored, settled = site.keys(), 0
    while settled < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        latest = site.keys()
        settled = settled + 1 if latest == stored else 0
        stored = latest
    assert 0 < len(stored) < len(files)
    for key, size in stored.items():  # whole files only
        assert size == len(files[key]), key
    assert ok(site.run("verify", "bucket", "--against", "./data")).stdout == ""

    # Run again: it copies the rest, skipping what is there.
    again = json.loads(ok(site.run("sync", "./data", "bucket", "--json")).stdout)
    assert again["skipped"] >= len(stored)  # (more only if a listing lagged behind even so)
    assert again["copied"] == len(files) - again["skipped"]
    assert again["copied"] > 0
    assert again["failed"] == []
    assert site.keys() == {name: len(body) for name, body in files.items()}
    verified = ok(site.run("verify", "./data", "--against", "bucket"))
    assert f"Verified {len(files):,} file(s)" in verified.stderr
    assert "0 problem(s)" in verified.stderr

    # And back to another local folder: byte for byte the original tree.
    ok(site.run("sync", "bucket", "./back"))
    ok(site.run("verify", "bucket", "--against", "./back"))
    compared = filecmp.dircmp(data, site.tmp / "back")
    assert not compared.left_only
    assert not compared.right_only
    assert not compared.diff_files
    for name in random.Random(0).sample(sorted(files), 50):
        assert (site.tmp / "back" / name).read_bytes() == files[name]
    nothing = json.loads(ok(site.run("sync", "bucket", "./back", "--json")).stdout)
    assert (nothing["copied"], nothing["skipped"]) == (0, len(files))


def test_dry_run_and_delete_are_exact_on_s3(site):
    data = site.tmp / "data"
    files = small_files(data, 20)
    ok(site.run("sync", "./data", "bucket"))
    for key in ("stale.txt", "d1/stale.txt", "keep/me.log"):
        site.client.put_object(Bucket=site.buckets["bucket"], Key=key, Body=b"only in the bucket")
    (data / "d0" / "sub0" / "f0.bin").write_bytes(b"changed: another size")
    (data / "new.bin").write_bytes(b"new")
    dry = ok(site.run("sync", "./data", "bucket", "--delete", "--dry-run", "--exclude", "keep/*"))
    assert sorted(dry.stdout.splitlines()) == [
        "copy   d0/sub0/f0.bin  (size differs (21 / 200 bytes))",
        "copy   new.bin  (missing in target)",
        "delete d1/stale.txt  (only in target)",
        "delete stale.txt  (only in target)",
    ]
    assert len(site.keys()) == len(files) + 3  # untouched
    report = json.loads(
        ok(site.run("sync", "./data", "bucket", "--delete", "--exclude", "keep/*", "--json")).stdout
    )
    assert (report["copied"], report["deleted"], report["skipped"]) == (2, 2, 19)
    assert set(site.keys()) == {*files, "new.bin", "keep/me.log"}


def test_server_side_between_buckets_and_memory_through_the_runner(site):
    app = site.app()
    runner = app.test_cli_runner()
    with app.app_context():
        memory = fs.storage_named("memory")
        for i in range(30):
            memory.write(f"m/{i}.txt", f"file {i}".encode() * (i + 1))
        result = runner.invoke(args=["fs", "sync", "memory", "bucket"])
        assert result.exit_code == 0, result.output
        bucket, mirror = fs.storage_named("bucket"), fs.storage_named("mirror")
        recorder = CallRecorder(bucket.backend.client, mirror.backend.client)
        report = json.loads(runner.invoke(args=["fs", "sync", "bucket", "mirror:copy", "--json"]).stdout)
        assert report["copied"] == report["server_side"] == 30
        assert recorder.count("CopyObject") == 30
        assert recorder.count("GetObject") == recorder.count("PutObject") == 0  # no byte through the app
        assert mirror.read("copy/m/7.txt") == b"file 7" * 8
        check = runner.invoke(args=["fs", "verify", "mirror:copy", "--against", "memory"])
        assert check.exit_code == 0, check.output
        back = runner.invoke(args=["fs", "sync", "mirror:copy", "memory:back", "--json"])
        assert json.loads(back.stdout)["copied"] == 30
        assert memory.read("back/m/29.txt") == b"file 29" * 30


def test_a_service_that_is_down(tmp_path, site):
    with_port_closed = dict(site.spec)
    config = dict(
        site.spec["config"],
        FS_S3_ENDPOINT="http://127.0.0.1:9",
        FS_S3_CONNECT_TIMEOUT=1,
        FS_S3_MAX_ATTEMPTS=1,
    )
    with_port_closed["config"] = config
    site.spec = with_port_closed
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")
    for args in (("ls", "bucket"), ("sync", "./data", "bucket")):
        result = ok(site.run(*args), code=1)
        assert "Traceback" not in result.stderr
        assert "Storage 'bucket': cannot reach the S3 endpoint http://127.0.0.1:9" in result.stderr
        assert "the service is up" in result.stderr  # fs-s3's advice, not repeated by the core
        assert "reachable" not in result.stderr  # (the core's own advice, said when a backend gives none)
        assert "bucket on the 's3' backend). Then run the command again." in result.stderr
    assert "Cannot list bucket (s3 backend)" in result.stderr  # which side of the sync failed


PEAK = textwrap.dedent(
    """
    import sys
    from flask.cli import main
    sys.argv = ["flask", *sys.argv[1:]]
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("PEAK", int(line.split()[1]), file=sys.stderr)
    sys.exit(code)
    """
)


@pytest.fixture
def moto_site(tmp_path, moto_server):
    made = Site(tmp_path, moto_server)
    yield made
    made.cleanup()


@pytest.mark.slow
def test_large_files_stream_in_bounded_memory(tmp_path, moto_site):
    site = moto_site
    (tmp_path / "peak.py").write_text(PEAK)
    peaks = {}
    for mib in (16, 256):
        folder = tmp_path / f"in{mib}"
        folder.mkdir()
        with open(folder / "big.bin", "wb") as out:
            for _ in range(mib):
                out.write(os.urandom(1 << 20))
        env = child_env(
            SYNC_TEST_APP=json.dumps(site.spec), PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path])
        )
        for args in ((f"./in{mib}", f"bucket:{mib}"), (f"bucket:{mib}", f"./out{mib}")):
            run = subprocess.run(
                [sys.executable, "peak.py", "--app", "siteapp", "fs", "sync", *args],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            assert run.returncode == 0, run.stderr
            peaks[(mib, args[0].startswith("."))] = int(run.stderr.split("PEAK")[1].split()[0]) // 1024
        assert filecmp.cmp(folder / "big.bin", tmp_path / f"out{mib}" / "big.bin", shallow=False)
    print("peak RSS (MiB) by (file MiB, upload):", peaks)
    for upload in (True, False):
        grown = peaks[(256, upload)] - peaks[(16, upload)]
        assert grown < 40, f"peak RSS grew by {grown} MiB for 240 MiB more ({peaks})"


def test_progress_on_a_terminal_and_quiet_elsewhere(tmp_path):
    """On a terminal, a long sync shows files, bytes, rate and time left; in a pipe (a log,
    cron) only the summary."""
    import pty

    (tmp_path / "siteapp.py").write_text(APP)
    spec = {"instance": str(tmp_path / "i"), "root": str(tmp_path / "fs"), "config": {}, "storages": ["disk"]}
    small_files(tmp_path / "data", 300)
    env = child_env(SYNC_TEST_APP=json.dumps(spec), TERM="xterm", COLUMNS="120")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    command = [sys.executable, "-m", "flask", "--app", "siteapp", "fs", "sync", "./data", "disk", "-j", "2"]
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=120)
    os.close(primary)
    text = seen.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "./data -> disk" in text
    assert "%" in text
    assert "300/300 files" in text
    assert "/s" in text
    assert "Copied 300 file(s)" in text
    piped = subprocess.run(
        [*command[:-4], "./data", "disk:again"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert piped.returncode == 0, piped.stderr
    lines = piped.stderr.splitlines()
    assert len(lines) == 2
    assert "%" not in piped.stderr
    assert lines[0].startswith("300 file(s) to copy (")
    assert lines[1].startswith("Copied 300 file(s)")


def test_local_folders_links_out_and_overlaps(tmp_path):
    """A link in a local folder that leads out of it is not followed (fs-local's rule), and a
    folder is not synced into itself."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.pem").write_text("private")
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    (data / "docs" / "a.txt").write_text("a")
    (data / "out").symlink_to(secret)
    (data / "key.pem").symlink_to(secret / "key.pem")
    app = Flask("links", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="x", FS_BACKEND="memory")
    media = fs.Storage("media", fs.ALL)
    fs.init_app(app, media)
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(args=["fs", "sync", str(data), "media"])
        assert result.exit_code == 0, result.output
        assert list(media.list_files()) == ["docs/a.txt"]
        inside = runner.invoke(args=["fs", "sync", str(data), str(data / "docs" / "copy")])
        assert inside.exit_code == 1
        assert "overlap" in inside.stderr
        missing = runner.invoke(
            args=["fs", "get", "media", "docs/a.txt", str(tmp_path / "no" / "such" / "dir")]
        )
        assert missing.exit_code == 1
        assert "Traceback" not in missing.output
        assert "No such file or directory" in missing.stderr


def test_a_storage_on_disk_and_a_folder_inside_it_overlap(tmp_path):
    """A storage of fs-local and a local folder (or another storage) inside its directory are
    one place: syncing one into the other would copy what it copies again on every run, and
    its --delete would delete its own source."""
    root = tmp_path / "fs"
    app = Flask("overlap", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="x", FS_ROOT=str(root), INNER_FS_ROOT=str(root / "disk" / "inner"))
    disk, inner = fs.Storage("disk", fs.ALL), fs.Storage("inner", fs.ALL)
    fs.init_app(app, disk, inner)
    runner = app.test_cli_runner()
    with app.app_context():
        disk.write("a.txt", b"a")
        disk.write("backup/old.txt", b"o")
        for src, dst in (
            ("disk", str(root / "disk" / "backup")),
            (str(root / "disk" / "backup"), "disk"),
            ("inner", "disk"),
            ("disk:backup", str(root / "disk")),
            (str(root), "disk:x"),
        ):
            result = runner.invoke(args=["fs", "sync", src, dst, "--delete"])
            assert result.exit_code == 1, (src, dst, result.output)
            assert "overlap" in result.stderr
        assert sorted(disk.list_files()) == ["a.txt", "backup/old.txt"]
        apart = runner.invoke(args=["fs", "sync", "disk", str(tmp_path / "elsewhere")])
        assert apart.exit_code == 0, apart.output
        assert (tmp_path / "elsewhere" / "backup" / "old.txt").read_bytes() == b"o"


def test_from_flask_fs_gridfs_to_s3(site, request):
    """Flask-FS's GridFS storage moved to S3: what GridFS holds (files Flask-FS stored
    included, as fs-gridfs shows them) arrives whole, and the copy verifies."""
    target = request.getfixturevalue("mongo")  # mongomock, or FS_TEST_MONGO_URL's server
    database = target.database_name()
    app = Flask("from_gridfs", instance_path=str(site.tmp / "gridfs-instance"))
    app.config.update(SECRET_KEY="x", OLD_FS_BACKEND="gridfs", **site.spec["config"])
    app.config.update({f"OLD_FS_{key.upper()}": value for key, value in target.fs_config(database).items()})
    old, bucket = fs.Storage("old", fs.ALL), fs.Storage("bucket", fs.ALL)
    fs.init_app(app, old, bucket)
    runner = app.test_cli_runner()
    with app.app_context():
        for i in range(40):
            old.write(f"uploads/{i % 4}/file-{i}.bin", os.urandom(1000 + 37 * i))
        old.write("big.bin", os.urandom(3 << 20))
        jobs = "8" if target.real else "1"  # mongomock is not thread-safe; MongoDB is
        result = runner.invoke(args=["fs", "sync", "old", "bucket", "--json", "-j", jobs])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["copied"] == 41
        check = runner.invoke(args=["fs", "verify", "old", "--against", "bucket", "-j", jobs])
        assert check.exit_code == 0, check.output
        assert "Verified 41 file(s)" in check.stderr
        assert bucket.read("uploads/3/file-39.bin") == old.read("uploads/3/file-39.bin")
        again = json.loads(runner.invoke(args=["fs", "sync", "old", "bucket", "--json", "-j", jobs]).stdout)
        assert (again["copied"], again["skipped"]) == (0, 41)
    client = target.client()
    client.drop_database(database)
    client.close()


def test_storages_of_one_bucket_overlap_where_one_prefix_holds_the_other(tmp_path, moto_server):
    """Two S3 storages sharing a bucket, one's KEY_PREFIX inside the other's, are one place
    (as two folders on disk are): a sync between them is refused before anything is written;
    the same prefixes in two buckets, or side by side in one, are apart."""
    shared, other = unique_name("shared"), unique_name("other")
    client = boto3.client("s3", **moto_server.client_kwargs())
    for bucket in (shared, other):
        client.create_bucket(Bucket=bucket)
    app = Flask("one_bucket", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="x", FS_BACKEND="s3", FS_S3_BUCKET=shared)
    app.config.update({f"FS_S3_{key.upper()}": value for key, value in moto_server.fs_config().items()})
    app.config.update(
        MEDIA_FS_KEY_PREFIX="media",
        THUMBS_FS_KEY_PREFIX="media/thumbs",
        MEDIAX_FS_KEY_PREFIX="mediax",
        APART_FS_BUCKET=other,
        APART_FS_KEY_PREFIX="media/thumbs",
    )
    names = ("media", "thumbs", "mediax", "apart")
    storages = {name: fs.Storage(name, fs.ALL) for name in names}
    fs.init_app(app, *storages.values())
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            storages["media"].write("a.txt", b"a")
            for src, dst in (("media", "thumbs"), ("thumbs", "media"), ("media:thumbs", "thumbs")):
                result = runner.invoke(args=["fs", "sync", src, dst, "--delete"])
                assert result.exit_code == 1, (src, dst, result.output)
                assert "overlap" in result.stderr, (src, dst)
            assert list(storages["thumbs"].list_files()) == []
            for dst in ("mediax", "apart", "media:x"):  # beside it, in another bucket, or apart
                result = runner.invoke(args=["fs", "sync", "thumbs" if dst == "media:x" else "media", dst])
                assert result.exit_code == 0, (dst, result.output)
            assert storages["mediax"].read("a.txt") == b"a"
            assert storages["apart"].read("a.txt") == b"a"
    finally:
        for bucket in (shared, other):
            empty_bucket(client, bucket, "", delete_bucket=True)
