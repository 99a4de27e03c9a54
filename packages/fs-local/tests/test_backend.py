from __future__ import annotations

import pytest

from fs_core.config import Config
from fs_core.testing import BackendContract, ServiceFailureContract
from fs_local import LocalBackend


class TestLocalBackend(BackendContract, ServiceFailureContract):
    @pytest.fixture(params=["o_tmpfile", "named_temp"])
    def fs_backend(self, request, tmp_path):
        backend = LocalBackend("contract", Config(root=str(tmp_path / "root")))
        if request.param == "named_temp":
            backend._tmpfile_ok = False
        return backend

    @pytest.fixture
    def fs_unavailable_backend(self, tmp_path):
        # A root the kernel refuses (ENAMETOOLONG): whoever runs the tests, even root.
        return LocalBackend("contract", Config(root=str(tmp_path / ("x" * 300) / "root")))
