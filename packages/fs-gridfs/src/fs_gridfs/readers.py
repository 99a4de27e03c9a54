"""Reading one GridFS version: a seekable stream that fetches only the chunks it needs.

pymongo's ``GridOut`` reads through a cursor from the chunk it starts at to the end of the
file: after a ``seek`` (a ``Range`` request), the server still sends a first batch of up to
16 MiB of chunks whatever was asked. :class:`ChunkReader` asks for chunk numbers in a bounded
window instead (``n`` from ``first`` to ``first + count``, on the ``files_id_1_n_1`` index):
the first query after a seek fetches the chunks the read needs, and each sequential query
after it twice as many, up to ``READ_AHEAD`` worth. A ten-byte range of a 1 GiB file fetches
one chunk; reading the file to its end holds at most ``READ_AHEAD`` bytes of chunks.

A version is immutable (its chunks never change once written), so a file replaced or
deleted while it is read is never mixed with another: its chunks disappear, and the read
raises a :class:`~fs_core.errors.BackendError` that says so.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fs_core.errors import BackendError

from .errors import SERVICE_ERRORS

__all__ = ["ChunkReader"]


class ChunkReader(io.RawIOBase):
    """A seekable, read-only stream over the chunks of one GridFS file.

    :param chunks: the bucket's ``chunks`` collection.
    :param file_id: the version's ``_id`` (its chunks' ``files_id``).
    :param length: its size in bytes; ``chunk_size`` the size of its chunks (but the last).
    :param max_chunks: most chunks fetched by one query (``READ_AHEAD``).
    :param on_error: turns a driver exception into the core's error.
    :param name: the file's name, for messages.
    """

    def __init__(
        self,
        chunks: Any,
        file_id: Any,
        length: int,
        chunk_size: int,
        *,
        max_chunks: int,
        on_error: Callable[[BaseException], Exception],
        name: str,
    ) -> None:
        super().__init__()
        self._chunks = chunks
        self._file_id = file_id
        self.size = length
        self._chunk_size = chunk_size
        self._count = -(-length // chunk_size) if length else 0
        self._max = max(1, max_chunks)
        self._on_error = on_error
        self._name = name
        self._pos = 0
        self._first = 0  # chunk number of _window[0]
        self._window: list[bytes] = []
        self._next_count = 1  # chunks the next sequential query asks for
        #: How many chunk documents this reader has received (for tests and benchmarks).
        self.fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self.closed:
            raise ValueError("seek on a closed file")
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence ({whence})")
        position = base + offset
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._pos = position
        return position

    def _chunk(self, n: int, wanted: int) -> bytes:
        """Chunk ``n``, fetched with those after it if it is not in the window."""
        index = n - self._first
        if 0 <= index < len(self._window):
            return self._window[index]
        if n == self._first + len(self._window) and self._window:
            count = self._next_count  # reading on: fetch more at a time
        else:  # the first read, or after a seek: what this read needs
            count = -(-wanted // self._chunk_size)
        count = max(1, min(count, self._max, self._count - n))
        self._window = []  # dropped before the next ones arrive: never two windows at once
        self._window = self._fetch(n, count)
        self._first = n
        self._next_count = min(count * 2, self._max)
        return self._window[0]

    def _fetch(self, first: int, count: int) -> list[bytes]:
        query = {"files_id": self._file_id, "n": {"$gte": first, "$lt": first + count}}
        try:
            docs = list(self._chunks.find(query, {"_id": 0, "n": 1, "data": 1}).sort("n", 1))
        except SERVICE_ERRORS as exc:
            raise self._on_error(exc) from exc
        self.fetched += len(docs)
        window = []
        for expected, doc in enumerate(docs, first):
            if doc["n"] != expected:
                break
            data = bytes(doc["data"])
            size = min(self._chunk_size, self.size - expected * self._chunk_size)
            if len(data) != size:
                raise BackendError(
                    f"{self._name!r} is corrupt: chunk {expected} holds {len(data)} bytes, not {size}"
                )
            window.append(data)
        if len(window) < count:
            raise BackendError(
                f"{self._name!r}: chunk {first + len(window)} of its version {self._file_id} is "
                f"missing (the file was replaced or deleted while it was being read)"
            )
        return window

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read of a closed file")
        left = self.size - self._pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        parts = []
        wanted = size
        while wanted > 0:
            n, offset = divmod(self._pos, self._chunk_size)
            data = self._chunk(n, wanted + offset)
            part = data[offset : offset + wanted]
            parts.append(part)
            self._pos += len(part)
            wanted -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._window = []
        super().close()
