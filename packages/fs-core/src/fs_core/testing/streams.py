"""Streams for tests: large content generated on the fly, and uploads that fail midway."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

__all__ = ["ClientWentAway", "FailingStream", "PatternStream"]


class ClientWentAway(OSError):
    """What :class:`FailingStream` raises: an upload interrupted by its client."""


class PatternStream(io.RawIOBase):
    """``size`` bytes of pseudo-random content, generated as they are read.

    Holds one 1 MiB block, whatever ``size`` is, so a test can store gigabytes without the
    test itself using memory. Each block starts with its index, so a reordered or repeated
    chunk changes the digest. ``digest`` is the SHA-256 of the whole content.
    """

    BLOCK = 1 << 20

    def __init__(self, size: int, seed: bytes = b"fs-core") -> None:
        self.size = size
        self._pos = 0
        self._block = hashlib.shake_256(seed).digest(self.BLOCK)

    def readable(self) -> bool:
        return True

    def _chunk(self, index: int) -> bytes:
        return index.to_bytes(8, "big") + self._block[8:]

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view) and self._pos < self.size:
            index, offset = divmod(self._pos, self.BLOCK)
            block = self._chunk(index)
            n = min(len(view) - written, self.BLOCK - offset, self.size - self._pos)
            view[written : written + n] = block[offset : offset + n]
            written += n
            self._pos += n
        return written

    @property
    def digest(self) -> str:
        """SHA-256 hex digest of the full content, computed without holding it."""
        hasher = hashlib.sha256()
        full, rest = divmod(self.size, self.BLOCK)
        for index in range(full):
            hasher.update(self._chunk(index))
        if rest:
            hasher.update(self._chunk(full)[:rest])
        return hasher.hexdigest()


class FailingStream(io.RawIOBase):
    """Yields ``good`` bytes of random content, then raises :class:`ClientWentAway`."""

    def __init__(self, good: int) -> None:
        self._left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise ClientWentAway("the client went away in the middle of the upload")
        n = min(len(buffer), self._left, 64 * 1024)
        memoryview(buffer).cast("B")[:n] = os.urandom(n)
        self._left -= n
        return n
