"""Fixtures for fs-s3's tests: real S3 servers on loopback, and backends on them.

``moto_server`` and ``swift_server`` come from the workspace's test tooling (session-scoped:
one server of each for the whole run). Every backend made with ``make_backend`` is cleaned
up after its test: its keys deleted, and its bucket too if the test created it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fs_core.config import Config
from fs_s3.backend import S3Backend
from fs_testservers import S3Server
from fs_testservers.fixtures import moto_server, swift_server  # noqa: F401  (fixtures)

SERVICES = ["moto", "swift"]


def unique(prefix: str = "t") -> str:
    """A fresh name, valid as a storage name and as a bucket name."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def server_config(server: S3Server, **config: Any) -> Config:
    """The backend configuration reaching ``server``, plus ``config``."""
    base = {
        "endpoint": server.endpoint,
        "access_key": server.access_key,
        "secret_key": server.secret_key,
        "region": server.region,
    }
    base.update(config)
    return Config(base)


def empty_bucket(client: Any, bucket: str, prefix: str = "", delete_bucket: bool = False) -> None:
    """Delete every key under ``prefix`` (and unfinished uploads), then the bucket if asked."""
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", ())
        for upload in uploads:
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        if delete_bucket:
            client.delete_bucket(Bucket=bucket)
    except client.exceptions.NoSuchBucket:
        pass


@pytest.fixture(params=SERVICES)
def s3_server(request: pytest.FixtureRequest) -> S3Server:
    """Each S3 implementation in turn (the test runs once per service)."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def make_backend(request: pytest.FixtureRequest) -> Iterator[Callable[..., S3Backend]]:
    """``make_backend(server, name=None, **config)``: an :class:`S3Backend` on ``server``.

    Without ``name`` the storage gets a fresh one (so a fresh bucket, or a fresh prefix with
    ``bucket=``). Keys and buckets it used are removed when the test ends.
    """
    made: list[S3Backend] = []

    def make(server: S3Server, name: str | None = None, **config: Any) -> S3Backend:
        backend = S3Backend(name or unique(), server_config(server, **config))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        if backend._client is None:
            continue  # never used: nothing to clean
        shared = bool(backend.settings.key_prefix)
        empty_bucket(backend.client, backend.bucket, backend.key_prefix, delete_bucket=not shared)
