"""Request bodies that stream a caller's file to Swift in bounded memory.

:class:`UploadBody` is what a PUT (of a whole object, or of one segment of a Static Large
Object) sends: up to ``length`` bytes of the caller's stream, read chunk by chunk as requests
sends them. It never hands swiftclient the caller's stream itself, because swiftclient would

* call ``tell()`` on it before sending (which raw, non-seekable streams refuse), and
* treat an ``OSError`` the stream raises (a client that went away) as a network failure and
  send the request again.

So a failure of the stream is raised as :class:`~fs_swift.errors.SourceFailed`, which nothing
retries and the backend turns back into the stream's exception; and a request that the
network broke is sent again only if the stream can seek back to where the body started
(:meth:`UploadBody.reset`, which swiftclient calls before a retry).
"""

from __future__ import annotations

from typing import Any

from swiftclient.exceptions import ClientException

from fs_core.streams import is_seekable

from .errors import SourceFailed

__all__ = ["CHUNK", "UploadBody", "read_head"]

#: Bytes read from the caller's stream at a time.
CHUNK = 256 * 1024


class UploadBody:
    """Up to ``length`` bytes of ``source`` from its position (all of it if ``None``),
    starting with ``head`` (bytes already read from it). ``exact``: the stream must have
    ``length`` bytes (the request declares them as its ``Content-Length``).

    A file-like object for swiftclient (which sends a ``Content-Length`` body when given the
    length, chunked otherwise). After the request, :attr:`sent` says how many bytes went and
    :attr:`ended` whether the stream ended before ``length``.
    """

    def __init__(
        self, source: Any, length: int | None = None, *, head: bytes = b"", exact: bool = False
    ) -> None:
        self._source = source
        self._length = length
        self._exact = exact
        self._head = memoryview(head)
        # A seekable stream can be sent again from here (``head`` then comes from it again).
        start: int | None = None
        if is_seekable(source):
            try:
                start = source.tell() - len(head)
            except (OSError, ValueError):
                start = None
        self._start = start
        self._left = length
        self.sent = 0
        self.ended = False

    def read(self, size: int = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        if self._left is not None:
            want = min(want, self._left)
        if want <= 0:
            return b""
        if self._head:
            data = bytes(self._head[:want])
            self._head = self._head[want:]
        else:
            try:
                data = self._source.read(want) or b""
            except BaseException as exc:
                raise SourceFailed(exc) from exc
            if not data:
                self.ended = True
                if self._exact and self._left:
                    raise SourceFailed(
                        EOFError(f"the stream ended {self._left} bytes before its announced size")
                    )
                return b""
        self.sent += len(data)
        if self._left is not None:
            self._left -= len(data)
        return data

    def reset(self, *_: Any, **__: Any) -> None:
        """Go back to where the body started, for swiftclient to send it again."""
        if self._start is None:
            raise ClientException("the upload failed and its stream cannot be read again to retry it")
        try:
            self._source.seek(self._start)
        except BaseException as exc:
            raise SourceFailed(exc) from exc
        self._head = memoryview(b"")
        self._left = self._length
        self.sent = 0
        self.ended = False


def read_head(source: Any, size: int) -> bytes:
    """Up to ``size`` bytes from ``source`` (fewer only at its end), as an upload body's head."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        try:
            chunk = source.read(min(CHUNK, size - got))
        except BaseException as exc:
            raise SourceFailed(exc) from exc
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)
