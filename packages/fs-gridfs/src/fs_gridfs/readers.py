"""Reading one GridFS version: a seekable stream that fetches only the chunks it needs.

pymongo's ``GridOut`` reads through a cursor from the chunk it starts at to the end of the
file: after a ``seek`` (a ``Range`` request), the server still sends a first batch of up to
16 MiB of chunks whatever was asked. :class:`ChunkReader` asks for chunk numbers in a bounded
window instead (``n`` from ``first`` to ``first + count``, on the ``files_id_1_n_1`` index):
the first query after a seek fetches the chunks the read needs, and each sequential query
after it twice as many, up to ``READ_AHEAD`` worth. Served with the end of the range it
sends, a ten-byte range of a 1 GiB file fetches one chunk; reading the file to its end holds
at most ``READ_AHEAD`` bytes of chunks.

A version is immutable (its chunks never change once written), so a file replaced or
deleted while it is read is never mixed with another: its chunks disappear, and the read
raises a :class:`~fs_core.errors.BackendError` that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fs_core.errors import BackendError
from fs_core.streams import SeekableReader

from .errors import SERVICE_ERRORS

__all__ = ["ChunkReader"]


class ChunkReader(SeekableReader):
    """A seekable, read-only raw stream over the chunks of one GridFS file.

    Each ``read`` makes at most one query, and returns what that window holds (a raw stream
    may return fewer bytes than asked; ``io.BufferedReader`` and werkzeug's file wrapper read
    on). ``stop`` is where the caller will stop reading if it knows (the end of the ``Range``
    being served): reads before it never fetch chunks past it, reads after it go on as usual.

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
        stop: int | None = None,
    ) -> None:
        super().__init__(length)
        self._chunks = chunks
        self._file_id = file_id
        self._chunk_size = chunk_size
        self._count = -(-length // chunk_size) if length else 0
        self._max = max(1, max_chunks)
        self._on_error = on_error
        self._name = name
        self._stop = stop
        self._first = 0  # chunk number of _window[0]
        self._window: list[bytes] = []
        self._next_count = 1  # chunks the next sequential query asks for

    def _ensure(self, n: int, wanted: int) -> None:
        """Have chunk ``n`` in the window: a query for it and those after it if it is not.

        Reading on from the window asks for twice as many chunks as the query before (up
        to ``READ_AHEAD``); the first read, or one after a seek, for the chunks it fills
        whole, at least one (the one it starts in), and never past ``stop``.
        """
        if 0 <= n - self._first < len(self._window):
            return
        if self._window and n == self._first + len(self._window):
            count = self._next_count
        else:  # the chunks the read fills (a raw read may come back short: no more)
            count = wanted // self._chunk_size
        if self._stop is not None and n * self._chunk_size < self._stop:
            count = min(count, -(-self._stop // self._chunk_size) - n)
        count = max(1, min(count, self._max, self._count - n))
        self._window = []  # dropped before the next ones arrive: never two windows at once
        self._window = self._fetch(n, count)
        self._first = n
        self._next_count = min(count * 2, self._max)

    def _fetch(self, first: int, count: int) -> list[bytes]:
        query = {"files_id": self._file_id, "n": {"$gte": first, "$lt": first + count}}
        try:
            docs = list(self._chunks.find(query, {"_id": 0, "n": 1, "data": 1}).sort("n", 1))
        except SERVICE_ERRORS as exc:
            raise self._on_error(exc) from exc
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
        """Up to ``size`` bytes (all that is left if negative) from one window of chunks."""
        if self.closed:
            raise ValueError("read of a closed file")
        end = self._stop if self._stop is not None and self._pos < self._stop else self.size
        left = min(end, self.size) - self._pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        n, offset = divmod(self._pos, self._chunk_size)
        self._ensure(n, size + offset)
        parts = []
        wanted = size
        for data in self._window[n - self._first :]:
            part = data[offset : offset + wanted]
            parts.append(part)
            wanted -= len(part)
            offset = 0
            if not wanted:
                break
        self._pos += size - wanted
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readall(self) -> bytes:
        parts = []
        while data := self.read(self._max * self._chunk_size):
            parts.append(data)
        return b"".join(parts)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._window = []
        super().close()
