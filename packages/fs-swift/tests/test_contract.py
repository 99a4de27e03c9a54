"""The backend contract suite of fs-core, against a real OpenStack Swift (tempauth v1)."""

from __future__ import annotations

import pytest

from fs_core.config import Config
from fs_core.testing import BackendContract, ServiceFailureContract
from fs_swift.backend import SwiftBackend
from fs_swift.listing import list_objects
from fs_testservers import free_ports

#: Small segments, so that the contract's large stream (and its interrupted saves) go up as
#: Static Large Objects: the suite checks them too.
SMALL_SLO = {"slo_threshold": "2MiB", "segment_size": "1MiB"}
SIGNING = {"temp_url_key": "contract-secret", "set_temp_url_key": True}


class TestSwift(BackendContract, ServiceFailureContract):
    """A container per storage (the default), created on first use; files above 2 MiB are
    Static Large Objects."""

    @pytest.fixture
    def fs_backend(self, make_backend) -> SwiftBackend:
        return make_backend(**SMALL_SLO, **SIGNING)

    @pytest.fixture
    def fs_unavailable_backend(self) -> SwiftBackend:
        (port,) = free_ports(1)  # nothing listens there
        config = Config(authurl=f"http://127.0.0.1:{port}/auth/v1.0", user="a:b", key="c", retries=0)
        return SwiftBackend("contract", config)


class TestSwiftSharedContainer(BackendContract):
    """Storages sharing one container, each under its own prefix (segments in one shared
    segment container too)."""

    @pytest.fixture
    def fs_backend(self, make_backend) -> SwiftBackend:
        return make_backend(container="fs-contract", **SMALL_SLO, **SIGNING)

    @pytest.fixture
    def fs_outside_storage(self, make_backend, fs_backend):
        """The objects and segments of the shared containers outside this storage's prefix (a
        neighbour's file included): no name may reach them."""
        neighbour = make_backend(container="fs-contract", **SMALL_SLO)
        neighbour.write("secret.txt", b"keep")
        conn = fs_backend._segments_conn()

        def snapshot():
            return {
                (container, item["name"], item["hash"])
                for container in (fs_backend.container, fs_backend.segment_container)
                for item in list_objects(conn, container, "")
                if not item["name"].startswith(fs_backend.key_prefix)
            }

        return snapshot
