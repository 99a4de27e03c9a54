"""The backend contract suite of fs-core, against two independent S3 implementations."""

from __future__ import annotations

import pytest

from fs_core.config import Config
from fs_core.testing import BackendContract, ServiceFailureContract
from fs_s3.backend import S3Backend
from fs_s3.settings import S3Settings
from fs_testservers import free_ports

#: What a save may hold: the part buffers of the defaults (8 MiB x (6 + 1)), and 8 MiB more
#: for everything else; the contract's default (32 MiB) is for one chunk or a few.
_DEFAULTS = S3Settings(storage="x", bucket="x", key_prefix="")
SAVE_BUDGET = _DEFAULTS.multipart_chunksize * (_DEFAULTS.max_concurrency + 1) + (8 << 20)


class _Budget:
    @pytest.fixture
    def fs_memory_budget(self) -> int:
        return SAVE_BUDGET


class TestS3OnMoto(_Budget, BackendContract, ServiceFailureContract):
    """moto in server mode: a bucket per storage (the default), created on first use."""

    @pytest.fixture
    def fs_backend(self, moto_server, make_backend) -> S3Backend:
        return make_backend(moto_server)

    @pytest.fixture
    def fs_unavailable_backend(self) -> S3Backend:
        (port,) = free_ports(1)  # nothing listens there
        config = Config(
            endpoint=f"http://127.0.0.1:{port}",
            access_key="a",
            secret_key="b",
            connect_timeout=1,
            max_attempts=1,
        )
        return S3Backend("contract", config)


class TestS3OnSwift(_Budget, BackendContract):
    """OpenStack Swift's s3api: storages sharing one bucket, each under its own prefix."""

    @pytest.fixture
    def fs_backend(self, swift_server, make_backend) -> S3Backend:
        return make_backend(swift_server, bucket="fs-contract")

    @pytest.fixture
    def fs_outside_storage(self, swift_server, make_backend, fs_backend):
        """The keys of the shared bucket outside this storage's prefix (a neighbour's file
        included): no name may reach them."""
        neighbour = make_backend(swift_server, bucket="fs-contract")
        neighbour.write("secret.txt", b"keep")
        client = fs_backend._ready()

        def snapshot():
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=fs_backend.bucket)
            return {
                (item["Key"], item["ETag"])
                for page in pages
                for item in page.get("Contents", ())
                if not item["Key"].startswith(fs_backend.key_prefix)
            }

        return snapshot
