from __future__ import annotations

import pytest

from fs_core.config import Config
from fs_core.testing import BackendContract, ServiceFailureContract
from fs_local import LocalBackend, beneath


class TestLocalBackend(BackendContract, ServiceFailureContract):
    @pytest.fixture(params=["o_tmpfile", "named_temp", "no_openat2", "follow_symlinks"])
    def fs_backend(self, request, tmp_path):
        config = Config(root=str(tmp_path / "root"), follow_symlinks=request.param == "follow_symlinks")
        backend = LocalBackend("contract", config)
        if request.param == "named_temp":
            backend._tmpfile_ok = False
        if request.param == "no_openat2":  # the component walk of kernels before 5.6
            backend.resolver = beneath.NO_LINKS
        return backend

    @pytest.fixture
    def fs_outside_storage(self, tmp_path):
        """Everything beside the storage's root (a sentinel included): names must not reach it."""
        (tmp_path / "outside").mkdir()
        (tmp_path / "outside" / "secret.txt").write_text("keep")
        root = tmp_path / "root"

        def snapshot():
            return {
                (str(path), path.stat().st_size, path.stat().st_mtime_ns)
                for path in tmp_path.rglob("*")
                if root not in path.parents and path != root
            }

        return snapshot

    @pytest.fixture
    def fs_unavailable_backend(self, tmp_path):
        # A root the kernel refuses (ENAMETOOLONG): whoever runs the tests, even root.
        return LocalBackend("contract", Config(root=str(tmp_path / ("x" * 300) / "root")))
