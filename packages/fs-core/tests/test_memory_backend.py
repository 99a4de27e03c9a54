from __future__ import annotations

import pytest

from fs_core.config import Config
from fs_core.memory import MemoryBackend
from fs_core.testing import BackendContract


class TestMemoryBackend(BackendContract):
    @pytest.fixture
    def fs_backend(self):
        return MemoryBackend("contract", Config())

    @pytest.fixture
    def fs_large_file_size(self):
        return 32 << 20

    @pytest.fixture
    def fs_memory_budget(self, fs_large_file_size):
        # The memory backend keeps the file in memory by design: allow the file itself
        # (and the copy made while storing it), and nothing proportional beyond that.
        return 2 * fs_large_file_size + (8 << 20)


def test_each_backend_instance_has_its_own_files():
    a, b = MemoryBackend("a", Config()), MemoryBackend("a", Config())
    a.write("x.txt", b"1")
    assert a.exists("x.txt")
    assert not b.exists("x.txt")
