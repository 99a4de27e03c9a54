"""A put reads its source once, in chunks, and holds a bounded amount of it in memory
(HashFS read the whole file into memory, twice)."""

from __future__ import annotations

import io
import tracemalloc
from typing import Any

import pytest

from fs_core.testing import PatternStream

MiB = 1 << 20


class Watched(io.RawIOBase):
    """A seekable source that counts the bytes read and the largest single read."""

    def __init__(self, size: int) -> None:
        self.inner = PatternStream(size)
        self.size = size
        self.read_bytes = 0
        self.largest = 0
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) != (0, io.SEEK_SET) and self.pos != offset:
            raise AssertionError(f"seek({offset}, {whence}): the source is read once, from its start")
        if offset == 0 and self.pos:
            self.inner = PatternStream(self.size)
        self.pos = offset
        return offset

    def readinto(self, buffer: Any) -> int:
        n = self.inner.readinto(buffer)
        self.read_bytes += n
        self.pos += n
        self.largest = max(self.largest, n)
        return n


def test_a_put_reads_its_source_once_in_chunks(hashfs):
    source = Watched(20 * MiB)
    address = hashfs.put(source, extension=".bin")
    assert address.id == source.inner.digest
    assert source.read_bytes == 20 * MiB  # once: HashFS read it twice
    assert source.largest <= 2 * MiB  # in chunks: HashFS read it whole
    assert source.pos == 0  # its position put back


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["local", "moto"], indirect=True)  # (memory keeps the file in memory)
def test_a_large_put_stays_in_bounded_memory(hashfs):
    size = 160 * MiB
    source = PatternStream(size)
    tracemalloc.start()
    try:
        address = hashfs.put(source, extension=".bin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert address.id == source.digest
    # What fs-hashfs holds (its hashing spool's memory part, chunks), plus, on S3, the part
    # buffers fs-s3 documents for one upload (MULTIPART_CHUNKSIZE x (MAX_CONCURRENCY + 1)).
    budget = 24 * MiB
    settings = getattr(hashfs.client.storage.backend, "settings", None)
    if hasattr(settings, "max_concurrency"):
        budget += settings.multipart_chunksize * (settings.max_concurrency + 1)
    assert peak < budget, f"a {size // MiB} MiB put peaked at {peak / MiB:.1f} MiB of {budget / MiB:.0f}"
    with hashfs.open(address.id) as stream:
        total = 0
        while chunk := stream.read(MiB):
            total += len(chunk)
    assert total == size
