"""fs_s3.uploads on its own: parts in order from reused buffers, errors stopping the upload
(the backend then aborts it: see test_s3.py and the contract suite)."""

from __future__ import annotations

import io
import threading
import time

import pytest

from fs_core.testing import ClientWentAway, FailingStream, PatternStream
from fs_s3.uploads import BufferPool, Plan, read_full, upload_parts

MiB = 1 << 20


class Recorder:
    """An ``upload_part`` that keeps what it was sent, and which buffers it came in."""

    def __init__(self, fail_at: int | None = None, delay: float = 0.0) -> None:
        self.parts: dict[int, bytes] = {}
        self.attempted: list[int] = []
        self.buffers: set[int] = set()
        self.fail_at = fail_at
        self.delay = delay
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, number: int, data: bytes | bytearray) -> str:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.attempted.append(number)
        try:
            time.sleep(self.delay)
            if number == self.fail_at:
                raise ConnectionError(f"part {number} lost")
            if isinstance(data, bytearray):
                self.buffers.add(id(data))
            self.parts[number] = bytes(data)
            return f'"etag-{number}"'
        finally:
            with self.lock:
                self.running -= 1


def test_parts_arrive_in_order_from_a_bounded_pool_of_buffers():
    data = PatternStream(10 * 5 * MiB + 123).read()
    pool = BufferPool(Plan(5 * MiB, 3))
    sent = Recorder(delay=0.01)
    parts = upload_parts(io.BytesIO(data), pool, sent)
    assert [p["PartNumber"] for p in parts] == list(range(1, 12))
    assert [p["ETag"] for p in parts] == [f'"etag-{n}"' for n in range(1, 12)]
    assert b"".join(sent.parts[n] for n in range(1, 12)) == data
    assert len(sent.buffers) <= 4  # concurrency + 1 buffers, reused for 10 full parts
    assert sent.most <= 3


def test_a_failing_part_stops_the_upload():
    sent = Recorder(fail_at=2, delay=0.01)
    with pytest.raises(ConnectionError, match="part 2"):
        upload_parts(PatternStream(40 * 5 * MiB), BufferPool(Plan(5 * MiB, 2)), sent)
    assert max(sent.attempted) < 10  # it stopped reading long before the 40th part


def test_a_failing_stream_stops_the_upload():
    sent = Recorder()
    with pytest.raises(ClientWentAway):
        upload_parts(FailingStream(12 * MiB), BufferPool(Plan(5 * MiB, 2)), sent)
    assert set(sent.parts) <= {1, 2}


def test_read_full_loops_over_short_reads():
    class Dribble(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            n = min(3, len(buffer), len(self.data))
            buffer[:n], self.data = self.data[:n], self.data[n:]
            return n

    buffer = bytearray(10)
    assert read_full(Dribble(b"0123456789abc"), buffer) == 10
    assert bytes(buffer) == b"0123456789"
    assert read_full(Dribble(b"xy"), buffer) == 2
