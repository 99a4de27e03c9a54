"""Copying one file from a backend to another: inside the service where both are on one,
else streamed in bounded chunks, watched (progress) and stoppable (Ctrl-C).

The destination's ``save`` reads the source as it goes, so a file of any size holds a few
chunks of memory; a copy stopped half-way raises from inside that read, which the backend's
contract turns into "nothing stored under the name, the previous file intact".
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

from . import streams
from .backend import SERVER_SIDE_COPY, BaseBackend
from .errors import FSError

__all__ = ["Cancelled", "WatchedReader", "copy_file"]


class Cancelled(FSError):
    """A transfer was stopped (Ctrl-C) before it finished; nothing of it was kept."""


class WatchedReader(streams._ReaderWrapper):
    """Reads ``source``, reporting each chunk to ``on_bytes(n)`` and raising
    :class:`Cancelled` once ``stop`` is set, so a backend aborts its write.

    It can seek and tell where ``source`` can (a backend sizes the upload and rewinds it on
    a retry), and exposes ``fileno()`` so that a local disk copies a regular file inside the
    kernel (bytes copied that way are reported by :meth:`report_rest` once it is done).
    """

    def __init__(
        self,
        source: Any,
        on_bytes: Callable[[int], Any] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        super().__init__(source)
        self._on_bytes = on_bytes
        self._stop = stop
        #: The furthest position reported (a rewind for a retry reports nothing again).
        self.reported = 0
        self._position = 0
        try:
            self._position = self.reported = source.tell()
        except (AttributeError, OSError, ValueError):
            pass

    def report_rest(self, size: int) -> None:
        """Report the bytes up to ``size`` that did not pass through :meth:`readinto` (a local
        disk copied them in the kernel), once the copy is done."""
        if self._on_bytes is not None and size > self.reported:
            self._on_bytes(size - self.reported)
        self.reported = max(self.reported, size)

    def readinto(self, buffer: Any) -> int:
        if self._stop is not None and self._stop.is_set():
            raise Cancelled("The transfer was stopped")
        return super().readinto(buffer)

    def _seen(self, data: memoryview) -> None:
        self._position += len(data)
        if self._position > self.reported:
            if self._on_bytes is not None:
                self._on_bytes(self._position - self.reported)
            self.reported = self._position

    def seekable(self) -> bool:
        try:
            return bool(self._source.seekable())
        except (AttributeError, ValueError, OSError):
            return False

    def tell(self) -> int:
        return int(self._source.tell())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._position = self._source.seek(offset, whence)
        return self._position

    def fileno(self) -> int:
        fileno = getattr(self._source, "fileno", None)
        if fileno is None:
            raise io.UnsupportedOperation("fileno")
        return int(fileno())


_UNKNOWN = object()


def _stored_type(stream: Any, source: BaseBackend, filename: str) -> str | None:
    """The type ``filename`` is stored with: what the stream says (an S3 GET answers it as
    ``content_type``, on the stream or its ``raw`` reader), else its metadata's."""
    for holder in (stream, getattr(stream, "raw", None)):
        declared = getattr(holder, "content_type", _UNKNOWN)
        if declared is not _UNKNOWN:
            return declared  # type: ignore[return-value]
    return source.metadata(filename).get("mime")


def copy_file(
    source: BaseBackend,
    filename: str,
    target_backend: BaseBackend,
    target: str,
    *,
    overwrite: bool = True,
    size: int | None = None,
    mime: str | None = None,
    on_bytes: Callable[[int], Any] | None = None,
    stop: threading.Event | None = None,
) -> bool:
    """Copy ``source``'s ``filename`` to ``target`` in ``target_backend`` (which may be
    ``source``'s); returns ``True`` if the service copied it itself (no byte through the app).

    ``size`` (if known) lets the progress reach the file's end when a disk copied it in the
    kernel; ``mime`` is its content type (when the file is streamed and it is not given: what
    the opened stream says, as an S3 GET does, else ``source``'s metadata). Raises
    :class:`Cancelled` if ``stop`` was set before it finished, and
    :class:`~fs_core.errors.FileExists` if ``target`` exists and ``overwrite`` is off.
    """
    if stop is not None and stop.is_set():
        raise Cancelled("The transfer was stopped")
    if target_backend is source:
        source.copy(filename, target, overwrite=overwrite)
        server_side = SERVER_SIDE_COPY in source.capabilities
    elif target_backend.copy_from(source, filename, target, overwrite=overwrite):
        server_side = True
    else:
        with source.open_read(filename) as stream:
            if mime is None:
                mime = _stored_type(stream, source, filename)
            watched = WatchedReader(stream, on_bytes, stop)
            target_backend.save(watched, target, overwrite=overwrite, content_type=mime)
        if size is not None:
            watched.report_rest(size)
        return False
    if on_bytes is not None and size:
        on_bytes(size)
    return server_side
