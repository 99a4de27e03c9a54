"""Moving bytes in bounded chunks: the helpers every backend streams through.

Nothing here reads a whole file into memory. Copies reuse one buffer (``readinto``), which
also avoids the allocator churn that makes ``f.read(1 MiB)`` loops several times slower
(see ``benchmarks/``).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any, BinaryIO, cast

from .errors import FileTooLarge, FSError

__all__ = [
    "CHUNK_SIZE",
    "SPOOL_SIZE",
    "AtomicWriter",
    "HashingReader",
    "LimitedReader",
    "RangedReader",
    "SeekableReader",
    "SpoolingWriter",
    "as_stream",
    "copy_stream",
    "is_seekable",
    "remaining",
    "spooled",
    "text_wrapper",
]

#: Default chunk for copies: big enough for throughput, small enough to stay flat in memory.
CHUNK_SIZE = 1 << 20
#: Writes through ``open(..., 'wb')`` stay in memory up to this size, then spill to disk.
SPOOL_SIZE = 8 << 20


_BINARY_FILES = frozenset({io.BytesIO, io.BufferedReader, io.BufferedRandom, io.FileIO})


def as_stream(content: Any, encoding: str = "utf8") -> BinaryIO:
    """A binary readable for anything a user may save: a werkzeug ``FileStorage``, a file
    object (read from its current position), ``bytes`` or ``str``."""
    if type(content) in _BINARY_FILES:  # the common case, before the checks below (an ABC's)
        return content  # type: ignore[no-any-return]
    if isinstance(content, str):
        return io.BytesIO(content.encode(encoding))
    if isinstance(content, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(content))
    stream = getattr(content, "stream", None)  # werkzeug FileStorage
    if stream is not None and hasattr(stream, "read"):
        return cast(BinaryIO, stream)
    if hasattr(content, "read"):
        if isinstance(content, io.TextIOBase):
            return cast(BinaryIO, _EncodingReader(content, encoding))
        return cast(BinaryIO, content)
    raise TypeError(f"Cannot store a {type(content).__name__}: give bytes, str or a file object")


class _EncodingReader(io.RawIOBase):
    """Reads a text stream as encoded bytes, chunk by chunk."""

    def __init__(self, text: IO[str] | io.TextIOBase, encoding: str) -> None:
        self._text = text
        self._encoding = encoding
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self._pending) < len(buffer):
            chunk = self._text.read(CHUNK_SIZE // 4)
            if not chunk:
                break
            self._pending += chunk.encode(self._encoding)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


_local = threading.local()


class SeekableReader(io.RawIOBase):
    """Base of a read-only, seekable raw stream of a known ``size`` that a backend fetches
    from its service piece by piece (fs-s3's ranges, fs-gridfs's chunks).

    It keeps the position: ``seek`` only moves it (fetching nothing; past the end is allowed,
    as for files, and reads there return ``b""``), ``tell`` reports it. A subclass reads from
    ``self._pos`` in ``read`` or ``readinto`` and moves it on; wrap it in
    :class:`io.BufferedReader` for small reads.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        #: The stream's length in bytes.
        self.size = size
        self._pos = 0

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


@contextlib.contextmanager
def _buffer(size: int) -> Iterator[memoryview]:
    """A per-thread reusable buffer, so copying many small files allocates nothing; a
    nested copy in the same thread gets a buffer of its own."""
    view: memoryview | None = getattr(_local, "view", None)
    if getattr(_local, "busy", False):
        yield memoryview(bytearray(size))
        return
    if view is None or len(view) != size:
        view = memoryview(bytearray(size))
        _local.view = view
    _local.busy = True
    try:
        yield view
    finally:
        _local.busy = False


def copy_stream(source: Any, write: Callable[[Any], Any], chunk_size: int = CHUNK_SIZE) -> int:
    """Copy ``source`` to ``write`` chunk by chunk; returns the number of bytes copied.

    ``write`` receives views of a reused buffer: it must consume them before returning.
    """
    total = 0
    readinto = getattr(source, "readinto", None)
    if readinto is not None:
        with _buffer(chunk_size) as view:
            while True:
                n = readinto(view)
                if not n:
                    break
                write(view[:n])
                total += n
        return total
    while True:
        chunk = source.read(chunk_size)
        if not chunk:
            break
        write(chunk)
        total += len(chunk)
    return total


def is_seekable(stream: Any) -> bool:
    """Whether ``stream`` can seek (closed or odd streams count as not seekable)."""
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def position(stream: Any) -> int | None:
    """Where a stream that can go back stands (``tell()``), or ``None``."""
    if not (callable(getattr(stream, "tell", None)) and callable(getattr(stream, "seek", None))):
        return None
    try:
        return int(stream.tell())
    except (OSError, ValueError):
        return None


def remaining(stream: Any) -> int | None:
    """Bytes from a seekable stream's position to its end (its position kept); ``None`` if
    the stream cannot tell."""
    if not is_seekable(stream):
        return None
    try:
        position: int = stream.tell()
        end: int = stream.seek(0, io.SEEK_END)
        stream.seek(position)
    except (OSError, ValueError):
        return None
    return max(0, end - position)


@contextlib.contextmanager
def spooled(source: Any, hasher: Any = None, spool_size: int = SPOOL_SIZE) -> Iterator[BinaryIO]:
    """Read ``source`` once, to its end, into a temporary spool (memory up to ``spool_size``,
    then an anonymous temporary file), feeding ``hasher`` (a ``hashlib`` object) on the way;
    yield the spool rewound to its start, and delete it after.

    For writes whose name depends on the content (a content hash): the source is read once
    in bounded memory, and the spool is uploaded only if that name is not stored yet.
    """
    with tempfile.SpooledTemporaryFile(max_size=spool_size) as spool:
        copy_stream(HashingReader(source, hasher) if hasher is not None else source, spool.write)
        spool.seek(0)
        yield spool  # type: ignore[misc]


class _ReaderWrapper(io.RawIOBase):
    """A readable that passes reads through ``self._seen``; subclasses watch the bytes."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._readinto = getattr(source, "readinto", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._readinto is not None:
            n = self._readinto(buffer) or 0
        else:
            chunk = self._source.read(len(buffer))
            n = len(chunk)
            buffer[:n] = chunk
        if n:
            self._seen(memoryview(buffer)[:n])
        return n

    def _seen(self, data: memoryview) -> None:  # pragma: no cover - overridden
        pass


class LimitedReader(_ReaderWrapper):
    """Raises :class:`FileTooLarge` as soon as more than ``limit`` bytes were read, so the
    backend aborts the write and stores nothing."""

    def __init__(self, source: Any, limit: int) -> None:
        super().__init__(source)
        self.limit = limit
        self.count = 0
        self._start = source.tell() if is_seekable(source) else None

    def seekable(self) -> bool:
        return self._start is not None

    def tell(self) -> int:
        if self._start is None:
            raise io.UnsupportedOperation("tell")
        return cast(int, self._source.tell())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Seek the source (a retried save rewinds); the count follows the position."""
        if self._start is None:
            raise io.UnsupportedOperation("seek")
        position: int = self._source.seek(offset, whence)
        self.count = max(0, position - self._start)
        return position

    def _seen(self, data: memoryview) -> None:
        self.count += len(data)
        if self.count > self.limit:
            raise FileTooLarge(
                f"The file is larger than the {self.limit:,} bytes this storage accepts",
                limit=self.limit,
            )


class HashingReader(_ReaderWrapper):
    """Feeds every byte read to ``hasher`` (a ``hashlib`` object) on the way through."""

    def __init__(self, source: Any, hasher: Any) -> None:
        super().__init__(source)
        self.hasher = hasher
        self.count = 0

    def _seen(self, data: memoryview) -> None:
        self.count += len(data)
        self.hasher.update(data)


class AtomicWriter(io.RawIOBase):
    """A binary writer whose content appears under its name only when it is closed cleanly.

    Leaving a ``with`` block by an exception, or calling :meth:`abort`, discards what was
    written. Subclasses implement ``_write``, ``_commit`` and ``_discard``.
    """

    def __init__(self) -> None:
        self._done = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed file")
        return self._write(data)

    def close(self) -> None:
        if self.closed:
            return
        if not self._done:
            self._done = True
            try:
                self._commit()
            except BaseException:
                self._discard()
                super().close()
                raise
        super().close()

    def abort(self) -> None:
        """Discard everything written; the name keeps its previous content, if any."""
        if not self._done:
            self._done = True
            self._discard()
        super().close()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()

    def __del__(self) -> None:
        # A writer dropped without close() is discarded, never half-committed.
        if not getattr(self, "_done", True):
            self.abort()

    def _write(self, data: Any) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _commit(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _discard(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SpoolingWriter(AtomicWriter):
    """An :class:`AtomicWriter` for any backend: buffers in a spooled temporary file and hands
    it to ``commit(stream)`` on close (memory up to :data:`SPOOL_SIZE`, then disk)."""

    def __init__(self, commit: Callable[[BinaryIO], Any], spool_size: int = SPOOL_SIZE) -> None:
        super().__init__()
        self._spool = tempfile.SpooledTemporaryFile(max_size=spool_size)  # noqa: SIM115 - closed on commit
        self._on_commit = commit

    def _write(self, data: Any) -> int:
        return self._spool.write(data)

    def _commit(self) -> None:
        self._spool.seek(0)
        try:
            self._on_commit(self._spool)  # type: ignore[arg-type]
        finally:
            self._spool.close()

    def _discard(self) -> None:
        self._spool.close()


class _AtomicTextWrapper(io.TextIOWrapper):
    # Held by the class: __del__ may run while the interpreter clears module globals.
    _writer_type = AtomicWriter

    def _atomic_raw(self) -> AtomicWriter | None:
        raw = getattr(self.buffer, "raw", self.buffer)
        return raw if isinstance(raw, self._writer_type) else None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        raw = self._atomic_raw()
        if exc_type is not None and raw is not None:
            raw.abort()
            return
        self.close()

    def __del__(self) -> None:
        # Finalising a TextIOWrapper closes its buffer, which would commit what was written:
        # a text writer dropped without close() is discarded, as a binary one is.
        raw = self._atomic_raw()
        if raw is not None and not raw.closed:
            raw.abort()
        super().__del__()


def text_wrapper(binary: Any, mode: str, encoding: str | None = None, **kwargs: Any) -> IO[Any]:
    """Wrap a binary stream for text ``mode``; a writer still discards on an exception."""
    if "b" in mode:
        return cast(IO[Any], binary)
    if not isinstance(binary, io.BufferedIOBase):
        binary = (io.BufferedWriter if ("w" in mode or "x" in mode) else io.BufferedReader)(binary)
    wrapper = _AtomicTextWrapper(binary, encoding=encoding or "utf8", **kwargs)
    return wrapper


class RangedReader(SeekableReader):
    """A seekable, read-only stream over one object of a service that reads byte ranges.

    It reads the body of one request while it is read in order, and starts a new ranged
    request where a ``seek`` moved it, so serving ``bytes=1000000-`` of a large file
    downloads none of the bytes before. A read that fails mid-body starts again where it was
    (``retries`` times); the last failure is raised as ``on_error(exc)`` (the core's error).

    :param fetch: ``fetch(start)`` returns a readable body of the object from byte ``start``
        to its end (an HTTP ``Range: bytes=start-`` request, with whatever condition keeps it
        on the same version of the object).
    :param size: the object's size, from the response that found it.
    :param body: the body of a request already made from offset 0, if any (a backend makes one
        to report a missing file at once); without it nothing is fetched before a read.
    :param on_error: turns a failure of the service while reading into the core's error.
    :param transient: the exception types that mean "the service or the network failed"
        (retried, then given to ``on_error``); the core's own errors always pass through.
    :param retries: how many times a failed read starts again where it was.
    """

    def __init__(
        self,
        fetch: Callable[[int], Any],
        size: int,
        *,
        body: Any = None,
        on_error: Callable[[BaseException], Exception],
        transient: tuple[type[BaseException], ...] = (OSError,),
        retries: int = 2,
    ) -> None:
        super().__init__(size)
        self._fetch = fetch
        self._on_error = on_error
        self._transient = transient
        self._retries = retries
        self._body = body
        self._body_pos = 0 if body is not None else -1

    def _drop(self) -> None:
        body, self._body, self._body_pos = self._body, None, -1
        if body is not None:
            try:
                body.close()
            except Exception:
                pass

    def _stream(self) -> Any:
        if self._body is None or self._body_pos != self._pos:
            self._drop()
            self._body = self._fetch(self._pos)
            self._body_pos = self._pos
        return self._body

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read of a closed file")
        left = self.size - self._pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        attempt = 0
        while True:
            try:
                data: bytes = self._stream().read(size)
                if not data:
                    raise ConnectionError(f"the body ended at byte {self._pos} of {self.size}")
                break
            except FSError:
                raise
            except self._transient as exc:
                self._drop()
                if attempt >= self._retries:
                    raise self._on_error(exc) from exc
                attempt += 1
        self._pos += len(data)
        self._body_pos = self._pos
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        n = len(data)
        view[:n] = data
        return n

    def close(self) -> None:
        self._drop()
        super().close()
