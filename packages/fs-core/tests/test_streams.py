from __future__ import annotations

import hashlib
import io

import pytest
from werkzeug.datastructures import FileStorage

from fs_core import streams
from fs_core.errors import BackendError, FileNotFound, FileTooLarge
from fs_core.testing import FailingStream, PatternStream


def test_as_stream_accepts_what_users_save():
    assert streams.as_stream(b"abc").read() == b"abc"
    assert streams.as_stream("é").read() == "é".encode()
    assert streams.as_stream("é", encoding="latin-1").read() == b"\xe9"
    upload = FileStorage(io.BytesIO(b"upload"), filename="a.txt")
    assert streams.as_stream(upload).read() == b"upload"
    assert streams.as_stream(io.StringIO("text " * 100_000)).read() == b"text " * 100_000
    with pytest.raises(TypeError, match="int"):
        streams.as_stream(42)


def test_copy_stream_counts_and_copies_in_chunks():
    source = PatternStream(5 * 1024 * 1024 + 7)
    chunks = []
    total = streams.copy_stream(source, lambda b: chunks.append(bytes(b)), chunk_size=1 << 20)
    assert total == 5 * 1024 * 1024 + 7
    assert max(len(c) for c in chunks) <= 1 << 20
    import hashlib

    assert hashlib.sha256(b"".join(chunks)).hexdigest() == source.digest


def test_copy_stream_nested_in_one_thread_gets_its_own_buffer():
    inner_out = []

    def write(view):
        # a writer that itself copies a stream must not clobber the outer buffer
        streams.copy_stream(io.BytesIO(b"Z" * 10), lambda v: inner_out.append(bytes(v)))
        outer.append(bytes(view))

    outer: list[bytes] = []
    streams.copy_stream(io.BytesIO(b"abc" * 10), write, chunk_size=8)
    assert b"".join(outer) == b"abc" * 10


def test_limited_reader_raises_past_the_limit():
    ok = streams.LimitedReader(io.BytesIO(b"x" * 10), 10)
    assert ok.read() == b"x" * 10
    over = streams.LimitedReader(io.BytesIO(b"x" * 11), 10)
    with pytest.raises(FileTooLarge):
        over.read()


def test_failing_stream_fails_after_its_good_bytes():
    stream = FailingStream(100)
    assert len(stream.read(100)) == 100
    with pytest.raises(OSError, match="went away"):
        stream.read(1)


def test_spooling_writer_commits_once_and_discards_on_error():
    committed = []
    writer = streams.SpoolingWriter(lambda s: committed.append(s.read()), spool_size=4)
    writer.write(b"0123456789")  # spills to disk
    writer.close()
    writer.close()
    assert committed == [b"0123456789"]
    with pytest.raises(RuntimeError), streams.SpoolingWriter(committed.append) as w:
        w.write(b"x")
        raise RuntimeError
    assert len(committed) == 1
    dropped = streams.SpoolingWriter(committed.append)
    dropped.write(b"never closed")
    del dropped
    assert len(committed) == 1


def test_limited_reader_rewinds_with_its_source():
    source = io.BytesIO(b"head" + b"x" * 10)
    source.seek(4)
    limited = streams.LimitedReader(source, 10)
    assert limited.seekable()
    assert limited.read() == b"x" * 10
    limited.seek(4)
    assert limited.read() == b"x" * 10  # the count restarted: no FileTooLarge on a re-read
    assert not streams.LimitedReader(FailingStream(5), 10).seekable()


@pytest.mark.parametrize("mode", ["w", "wb"])
def test_a_writer_dropped_without_close_is_discarded(mode):
    """Text writers too: a TextIOWrapper that is garbage-collected closes its buffer, which
    would commit the half-written content."""
    import gc

    from fs_core.memory import MemoryBackend

    backend = MemoryBackend("m")
    writer = backend.open("half.txt", mode)
    writer.write("half" if "b" not in mode else b"half")
    del writer
    gc.collect()
    assert not backend.exists("half.txt")


class Letters(streams.SeekableReader):
    """A SeekableReader over the alphabet, as a backend's reader is over its service."""

    def readinto(self, buffer):
        data = b"abcdefghijklmnopqrstuvwxyz"[self._pos : self._pos + len(buffer)]
        memoryview(buffer)[: len(data)] = data
        self._pos += len(data)
        return len(data)


def test_seekable_reader_keeps_the_position():
    reader = Letters(26)
    assert (reader.readable(), reader.seekable(), reader.writable()) == (True, True, False)
    assert reader.read(3) == b"abc"
    assert (reader.tell(), reader.seek(2, io.SEEK_CUR), reader.read(2)) == (3, 5, b"fg")
    assert (reader.seek(-2, io.SEEK_END), reader.read()) == (24, b"yz")
    assert (reader.seek(100), reader.read()) == (100, b"")  # past the end, as files allow
    with pytest.raises(ValueError, match="negative seek position -1"):
        reader.seek(-1)
    with pytest.raises(ValueError, match="invalid whence"):
        reader.seek(0, 7)
    buffered = io.BufferedReader(Letters(26), buffer_size=4)
    buffered.seek(10)
    assert buffered.read(5) == b"klmno"
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.seek(0)


class _Service:
    """An object served by byte ranges: records where each request started; ``fail_at``
    makes the body of a request break after that many bytes, ``failures`` times."""

    def __init__(self, data: bytes, fail_after: int | None = None, failures: int = 0) -> None:
        self.data = data
        self.starts: list[int] = []
        self.fail_after = fail_after
        self.failures = failures

    def fetch(self, start: int) -> io.RawIOBase:
        self.starts.append(start)
        body = io.BytesIO(self.data[start:])
        if self.fail_after is None or self.failures <= 0:
            return body
        self.failures -= 1
        limit = self.fail_after

        class Breaking(io.RawIOBase):
            sent = 0

            def readable(self) -> bool:
                return True

            def read(self, size: int = -1) -> bytes:
                if self.sent >= limit:
                    raise ConnectionResetError("the connection broke")
                chunk = body.read(min(size if size >= 0 else limit, limit - self.sent))
                self.sent += len(chunk)
                return chunk

        return Breaking()


def _ranged(service: _Service, **kwargs) -> streams.RangedReader:
    return streams.RangedReader(
        service.fetch,
        len(service.data),
        on_error=lambda exc: BackendError(f"read failed: {exc}", exc),
        **kwargs,
    )


def test_ranged_reader_reads_in_order_with_one_request_and_seeks_with_another():
    data = bytes(range(256)) * 40
    service = _Service(data)
    reader = _ranged(service)
    assert service.starts == []  # nothing fetched before a read
    assert reader.read(100) == data[:100]
    assert reader.read(100) == data[100:200]
    assert service.starts == [0]
    reader.seek(5000)
    assert reader.read() == data[5000:]
    assert service.starts == [0, 5000]
    reader.seek(-10, io.SEEK_END)
    assert reader.tell() == len(data) - 10
    assert reader.read(100) == data[-10:]
    assert reader.read(1) == b""
    with pytest.raises(ValueError, match="negative seek"):
        reader.seek(-1)
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)


def test_ranged_reader_uses_a_body_already_fetched():
    data = b"0123456789"
    service = _Service(data)
    reader = _ranged(service, body=io.BytesIO(data))
    assert io.BufferedReader(reader).read() == data
    assert service.starts == []


def test_ranged_reader_resumes_a_broken_body_where_it_was():
    data = bytes(range(256)) * 16
    service = _Service(data, fail_after=1000, failures=2)
    reader = _ranged(service, retries=2)
    out = b""
    while chunk := reader.read(300):
        out += chunk
    assert out == data
    assert service.starts == [0, 1000, 2000]


def test_ranged_reader_gives_up_with_the_cores_error():
    service = _Service(b"x" * 5000, fail_after=0, failures=10)  # every body breaks at once
    reader = _ranged(service, retries=1)
    with pytest.raises(BackendError, match="read failed: the connection broke") as raised:
        reader.read(100)
    assert isinstance(raised.value.__cause__, ConnectionResetError)
    assert service.starts == [0, 0]  # the read, and its one retry


def test_ranged_reader_lets_the_cores_errors_through():
    def gone(start: int) -> io.BytesIO:
        raise FileNotFound("a.txt")

    reader = streams.RangedReader(gone, 10, on_error=lambda exc: BackendError("never", exc))
    with pytest.raises(FileNotFound):
        reader.read(1)


def test_ranged_reader_reports_a_body_shorter_than_the_object():
    service = _Service(b"short")
    reader = streams.RangedReader(
        service.fetch, 10, on_error=lambda exc: BackendError(str(exc), exc), retries=1
    )
    assert reader.read(5) == b"short"
    with pytest.raises(BackendError, match="ended at byte 5 of 10"):
        reader.read(5)


def test_spooled_reads_once_hashes_and_spills_to_disk():
    data = bytes(range(256)) * 64  # 16 KiB
    reads = []

    class Source(io.RawIOBase):
        def __init__(self):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            n = self.inner.readinto(buffer)
            reads.append(n)
            return n

    hasher = hashlib.sha256()
    with streams.spooled(Source(), hasher, spool_size=1024) as spool:
        assert hasher.hexdigest() == hashlib.sha256(data).hexdigest()
        assert spool.tell() == 0
        assert spool._rolled  # past spool_size: on disk, not in memory
        assert spool.read() == data
    assert sum(reads) == len(data)  # the source was read once, to its end
    with pytest.raises(ValueError):
        spool.read()  # deleted with the block
    with streams.spooled(io.BytesIO(b"small")) as small:
        assert not small._rolled
        assert small.read() == b"small"
