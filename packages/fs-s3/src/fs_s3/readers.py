"""Streams between the app and S3: a ranged reader for downloads, full reads for uploads.

:class:`RangedReader` is what ``open_read`` returns: a seekable stream over one object that
reads the body of one GET while it is read in order, and starts a ``Range`` GET where a
``seek`` moved it, so serving ``bytes=1000000-`` of a large file downloads none of the bytes
before. Later GETs carry ``If-Match`` with the object's ETag: a file replaced while it is
being read raises an error instead of mixing two versions.

:func:`full_reads` reads a stream whole through a buffer that loops over short reads;
:func:`remaining` lets a save know a seekable stream's size before choosing between one PUT
and a multipart upload (:mod:`fs_s3.uploads`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fs_core import streams
from fs_core.streams import is_seekable

from .errors import SERVICE_ERRORS

__all__ = ["RangedReader", "full_reads", "remaining"]

#: ``fetch(start)``: the streaming body of the object from byte ``start`` to its end.
Fetch = Callable[[int], Any]


class RangedReader(streams.RangedReader):
    """fs-core's :class:`~fs_core.streams.RangedReader` over one S3 object, retrying the
    failures of boto3, botocore and urllib3 (:data:`~fs_s3.errors.SERVICE_ERRORS`).

    :param fetch: returns a streaming body from a byte offset (a ``Range`` GET).
    :param size: the object's size, from the response that found it.
    :param body: the body of a GET already made from offset 0, if any.
    :param on_error: turns a failure of the service while reading into the core's error.
    :param retries: how many times a read that fails mid-body starts again where it was.
    """

    def __init__(
        self,
        fetch: Fetch,
        size: int,
        *,
        body: Any = None,
        on_error: Callable[[BaseException], Exception],
        retries: int = 2,
    ) -> None:
        super().__init__(fetch, size, body=body, on_error=on_error, transient=SERVICE_ERRORS, retries=retries)
        #: The object's stored type (``None`` if generic), when the GET that opened it said:
        #: a copy to another storage then needs no HEAD (see fs_core.transfer.copy_file).
        self.content_type: str | None = None


class _RawSource(io.RawIOBase):
    """A raw view of any readable; closing it leaves the caller's stream open."""

    def __init__(self, source: Any) -> None:
        super().__init__()
        self._source = source
        self._readinto = getattr(source, "readinto", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._readinto is not None:
            return self._readinto(buffer) or 0
        data = self._source.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


def full_reads(stream: Any) -> Any:
    """A buffered reader of ``stream`` whose ``read(n)`` returns ``n`` bytes unless the stream
    ended (``io.BufferedReader`` loops over short reads, which raw streams make even when
    they are seekable, and reads large requests straight into the result, without a copy)."""
    return io.BufferedReader(_RawSource(stream), buffer_size=64 * 1024)


def remaining(stream: Any) -> int | None:
    """How many bytes a seekable stream has left from its position; ``None`` if unknown."""
    if not is_seekable(stream):
        return None
    try:
        position: int = stream.tell()
        end: int = stream.seek(0, io.SEEK_END)
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return max(0, end - position)
