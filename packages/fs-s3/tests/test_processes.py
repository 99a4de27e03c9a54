"""Real processes against real servers: uploads killed with SIGKILL leave leftovers that are
found and removed, never a partial object; create-only races between processes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from flask import Flask

import fs_core
from fs_core.testing import bind_backend, kill_9_when
from fs_s3.backend import S3Backend
from fs_s3.settings import MiB
from fs_testservers import S3Server, unique_name

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from fs_core.config import Config
    from fs_core.errors import FileExists
    from fs_core.testing import PatternStream
    from fs_s3.backend import S3Backend

    spec = json.loads(sys.argv[1])
    backend = S3Backend(spec["name"], Config(spec["config"]))
    if spec["mode"] == "slow":
        class Slow(PatternStream):  # (the uploader reads with readinto)
            def read(self, size=-1):
                time.sleep(0.05)
                return super().read(size)
            def readinto(self, buffer):
                time.sleep(0.05)
                return super().readinto(buffer)
        backend.save(Slow(spec["size"]), spec["filename"], overwrite=spec["overwrite"])
    else:
        payload = (spec["payload"] * 1000).encode()
        while time.time() < spec["start"]:
            time.sleep(0.001)
        try:
            backend.save(__import__("io").BytesIO(payload), spec["filename"])
            print("won")
        except FileExists:
            print("lost")
    """
)


def _spawn(server: S3Server, backend: S3Backend, **spec: Any) -> subprocess.Popen:
    """A child process saving into ``backend``'s storage (made with a shared ``bucket``)."""
    assert backend.key_prefix == f"{backend.name}/"
    config = server.fs_config(bucket=backend.bucket, **spec.pop("config", {}))
    spec = {"name": backend.name, "config": config, **spec}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _uploads(backend: S3Backend) -> list[dict[str, Any]]:
    return (
        backend._ready()
        .list_multipart_uploads(Bucket=backend.bucket, Prefix=backend.key_prefix)
        .get("Uploads", [])
    )


def test_leftover_uploads_are_found_by_age_and_aborted(s3_server, make_backend):
    backend = make_backend(s3_server, bucket=unique_name("shared"))
    other = make_backend(s3_server, bucket=backend.bucket)  # another storage, same bucket
    backend.write("live.txt", b"kept")
    client = backend._ready()
    for each in (backend, other):
        upload = client.create_multipart_upload(Bucket=each.bucket, Key=each._key("big.bin"))
        client.upload_part(
            Bucket=each.bucket,
            Key=each._key("big.bin"),
            UploadId=upload["UploadId"],
            PartNumber=1,
            Body=b"x" * 1000,
        )
    (found,) = list(backend.leftovers(0))
    assert found.what.startswith("unfinished multipart upload of 'big.bin'")
    assert found.size == 1000
    # The age is the service's (moto reports every upload as started in 2010).
    age = (dt.datetime.now(dt.timezone.utc) - found.modified).total_seconds()
    assert list(backend.leftovers(age + 600)) == []
    assert list(backend.leftovers(max(age - 600, 0))) == [found]
    app = Flask(unique_name("app"))
    storage = fs_core.Storage(backend.name, fs_core.ALL)
    bind_backend(app, storage, backend)
    with app.app_context():
        assert storage.clean_leftovers(0) == [found]
    assert _uploads(backend) == []
    assert len(_uploads(other)) == 1  # not this storage's
    assert backend.read("live.txt") == b"kept"
    backend.remove_leftover(found)  # gone already: not an error


@pytest.mark.slow
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_killed_multipart_save_leaves_no_object_and_a_leftover(s3_server, make_backend, overwrite):
    backend = make_backend(s3_server, bucket=unique_name("shared"))
    if overwrite:
        backend.write("big.bin", b"previous content")
    child = _spawn(
        s3_server,
        backend,
        mode="slow",
        filename="big.bin",
        size=64 * MiB,
        overwrite=overwrite,
        config={"multipart_threshold": 5 * MiB, "multipart_chunksize": 5 * MiB, "max_concurrency": 2},
    )

    def part_stored() -> bool:
        uploads = _uploads(backend)
        return bool(uploads) and bool(
            backend._uploaded_size(backend.client, uploads[0]["Key"], uploads[0]["UploadId"])
        )

    kill_9_when(child, part_stored, "uploading a part")
    if overwrite:
        assert backend.read("big.bin") == b"previous content"
    else:
        assert not backend.exists("big.bin")
    found = list(backend.leftovers(0))
    assert len(found) == 1, found
    assert (found[0].size or 0) >= 5 * MiB, found
    backend.remove_leftover(found[0])
    assert list(backend.leftovers(0)) == []
    assert set(backend.list_files()) == ({"big.bin"} if overwrite else set())


def test_create_only_race_between_processes(s3_server, make_backend):
    """Six processes create one name at the same instant: where the service has an atomic
    create, exactly one wins; elsewhere at least one does. The object is one whole upload."""
    backend = make_backend(s3_server, bucket=unique_name("shared"))
    backend.write("warm.txt", b"bucket and probe ready")
    atomic = fs_core.ATOMIC_CREATE in backend.capabilities
    start = time.time() + 3
    children = [
        _spawn(s3_server, backend, mode="race", filename="race.bin", payload=f"writer {i};", start=start)
        for i in range(6)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        results.append(out.strip())

    winners = [i for i, r in enumerate(results) if r == "won"]
    assert set(results) <= {"won", "lost"}
    content = backend.read("race.bin")
    if atomic:
        assert len(winners) == 1, results
    else:
        assert winners, results
    assert content in {(f"writer {i};" * 1000).encode() for i in winners}
