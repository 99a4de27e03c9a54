"""The backend contract suite of fs-core, against two independent S3 implementations."""

from __future__ import annotations

import pytest

from fs_core.testing import BackendContract
from fs_s3.backend import S3Backend


class TestS3OnMoto(BackendContract):
    """moto in server mode: a bucket per storage (the default), created on first use."""

    @pytest.fixture
    def fs_backend(self, moto_server, make_backend) -> S3Backend:
        return make_backend(moto_server)


class TestS3OnSwift(BackendContract):
    """OpenStack Swift's s3api: storages sharing one bucket, each under its own prefix."""

    @pytest.fixture
    def fs_backend(self, swift_server, make_backend) -> S3Backend:
        return make_backend(swift_server, bucket="fs-contract")
