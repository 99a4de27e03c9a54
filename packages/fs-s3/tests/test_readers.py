"""The readers under fs-s3's streams, with the object's bodies given by the test: a body that
ends early or breaks mid-read is fetched again from where the read stood (what a dropped
connection does to a GET), up to ``retries`` times; seeks are checked as files check them."""

from __future__ import annotations

import io

import pytest

from fs_core.errors import BackendError
from fs_s3.readers import RangedReader, full_reads, remaining

DATA = bytes(range(256)) * 4  # 1 KiB


class Body(io.BytesIO):
    """A streaming body from ``start``, which breaks after ``good`` bytes: by ending early
    (``ends``) or by raising ``ConnectionError``."""

    def __init__(self, start: int, good: int | None = None, ends: bool = False) -> None:
        super().__init__(DATA[start:])
        self._left = good
        self._ends = ends

    def read(self, size: int | None = -1) -> bytes:
        if self._left is not None and self._left <= 0:
            if self._ends:
                return b""
            raise ConnectionError("connection reset by peer")
        if self._left is not None and (size is None or size < 0 or size > self._left):
            size = self._left
        data = super().read(size)
        if self._left is not None:
            self._left -= len(data)
        return data


def read_all(stream) -> bytes:
    return b"".join(iter(lambda: stream.read(300), b""))  # a raw stream may return less


def reader(bodies, retries=2):
    """A RangedReader whose fetches return ``bodies`` in turn (recording their offsets)."""
    fetched: list[int] = []

    def fetch(start):
        fetched.append(start)
        return bodies.pop(0)(start)

    ranged = RangedReader(fetch, len(DATA), on_error=lambda exc: BackendError(str(exc), exc), retries=retries)
    return ranged, fetched


@pytest.mark.parametrize("ends", [False, True], ids=["breaks", "ends early"])
def test_a_body_that_fails_mid_read_is_fetched_again_from_there(ends):
    ranged, fetched = reader([lambda s: Body(s, good=100, ends=ends), lambda s: Body(s)])
    assert read_all(ranged) == DATA
    assert fetched == [0, 100]


def test_a_read_fails_with_the_cores_error_once_the_retries_are_spent():
    ranged, fetched = reader([lambda s: Body(s, good=10)] + [lambda s: Body(s, good=0)] * 3, retries=2)
    assert ranged.read(100) == DATA[:10]
    with pytest.raises(BackendError) as failed:
        ranged.read(100)
    assert isinstance(failed.value.original, ConnectionError)
    assert fetched == [0, 10, 10]  # the body broke at 10: two more tries from there, then the error


def test_seeks_are_checked_and_reads_start_where_they_point():
    ranged, fetched = reader([lambda s: Body(s), lambda s: Body(s)])
    assert ranged.seek(-24, io.SEEK_END) == 1000
    assert ranged.read(4) == DATA[1000:1004]
    assert ranged.seek(-1000, io.SEEK_CUR) == 4
    assert ranged.read(2) == DATA[4:6]
    assert fetched == [1000, 4]
    with pytest.raises(ValueError, match="invalid whence"):
        ranged.seek(0, 7)
    with pytest.raises(ValueError, match="negative seek position"):
        ranged.seek(-1)
    ranged.close()
    with pytest.raises(ValueError, match="closed"):
        ranged.seek(0)
    with pytest.raises(ValueError, match="closed"):
        ranged.read()


def test_a_body_that_fails_to_close_is_dropped_all_the_same():
    bodies: list[Body] = []

    class Unclosable(Body):
        failed = False

        def close(self):
            if not self.failed:  # (once: the finalizer's close must not raise, or 3.13 reports it)
                self.failed = True
                raise OSError("already reset")
            super().close()

    def unclosable(start):
        bodies.append(Unclosable(start))
        return bodies[-1]

    ranged, fetched = reader([unclosable, lambda s: Body(s)])
    assert ranged.read(2) == DATA[:2]
    ranged.seek(10)
    assert ranged.read(2) == DATA[10:12]
    assert fetched == [0, 10]
    assert bodies[0].failed  # its close was tried, failed, and the read went on


def test_full_reads_fill_each_read_from_a_stream_without_readinto():
    class Trickle:
        def __init__(self) -> None:
            self._data = io.BytesIO(DATA)

        def read(self, size=-1):
            return self._data.read(min(size, 7) if size and size > 0 else size)

    buffered = full_reads(Trickle())
    assert buffered.read(100) == DATA[:100]


def test_remaining_of_streams_that_cannot_tell():
    assert remaining(io.BytesIO(b"abc")) == 3
    assert remaining(object()) is None

    class Lies(io.BytesIO):
        def tell(self):
            raise OSError("no")

    assert remaining(Lies(b"abc")) is None
