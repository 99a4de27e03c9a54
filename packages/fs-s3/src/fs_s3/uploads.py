"""Multipart uploads in bounded memory, without copying a part once it is read.

boto3's transfer manager reads each part into a new ``bytes`` and hands botocore a file-like
wrapper of it that is sent in small blocks (with a progress callback per block), and with its
defaults holds 10 parts of 8 MiB ahead of its 10 threads: some 140 MiB of buffers, and the
client's CPU spent on copies and Python loops while it shares the machine with the service.
Here:

* the parts of a file go through a small pool of buffers, ``concurrency + 1`` of them: the
  stream is read straight into a free buffer (``readinto``), which is sent as it is
  (``UploadPart``'s ``Body`` is the buffer: one ``sendall``, no copy; only the last, shorter
  part is copied out of its buffer) and given back to the pool when its part is stored;
* the part size and the concurrency adapt to the file (:func:`plan`): parts of
  ``MULTIPART_CHUNKSIZE``, larger where the file would need more than S3's 10,000 parts, and
  no more threads than parts; memory stays within ``MULTIPART_CHUNKSIZE x (MAX_CONCURRENCY +
  1)`` (fewer threads for larger parts) whatever the file size, up to files whose parts must
  be larger than half of that (two parts are then held);
* a failure (of the stream, of a part, an interrupt) aborts the upload: nothing appears under
  the name, and no part is left behind to be billed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from .settings import MAX_PARTS, MIN_PART_SIZE, MiB

__all__ = ["BufferPool", "Plan", "TooManyParts", "body", "plan", "read_full", "upload_parts"]


class TooManyParts(ValueError):
    """A stream of unknown size needs more than S3's 10,000 parts."""


@dataclass(frozen=True)
class Plan:
    """How one upload goes: its part size and how many parts are sent at a time."""

    part_size: int
    concurrency: int

    @property
    def memory(self) -> int:
        """The bytes of buffers the upload holds at most."""
        return self.part_size * (self.concurrency + 1)


def plan(size: int | None, chunksize: int, max_concurrency: int, at_least: int = 0) -> Plan:
    """The plan for a file of ``size`` bytes (``None``: unknown): parts of ``chunksize``, or
    of whole MiB large enough to need at most :data:`MAX_PARTS`, and of at least ``at_least``
    bytes (a stream of unknown size: its first part must hold ``MULTIPART_THRESHOLD`` to tell
    whether it needs more than one PUT); at most ``max_concurrency`` parts at a time, fewer
    when the file has fewer parts, or when its parts are larger than ``chunksize``: memory
    stays within ``chunksize x (max_concurrency + 1)``, or two parts for a file so large that
    its parts must be larger than half of that (over 10,000 x 16 MiB with the defaults)."""
    part = max(chunksize, MIN_PART_SIZE, at_least)
    budget = max(chunksize, MIN_PART_SIZE) * (max_concurrency + 1)
    parts = max_concurrency
    if size is not None:
        needed = -(-size // MAX_PARTS)
        if needed > part:
            part = -(-needed // MiB) * MiB
        parts = max(1, -(-size // part))
    concurrency = max(1, min(max_concurrency, parts, budget // part - 1))
    return Plan(part, concurrency)


def read_full(stream: Any, buffer: bytearray) -> int:
    """Fill ``buffer`` from ``stream`` (``readinto`` where it has one: no copy); fewer bytes
    only at the end of the stream."""
    readinto = getattr(stream, "readinto", None)
    filled = 0
    size = len(buffer)
    with memoryview(buffer) as view:
        while filled < size:
            if readinto is not None:
                n = readinto(view[filled:])
            else:
                chunk = stream.read(size - filled)
                n = len(chunk)
                view[filled : filled + n] = chunk
            if not n:
                break
            filled += n
    return filled


def body(buffer: bytearray, length: int) -> bytes | bytearray:
    """What botocore sends of the first ``length`` bytes of ``buffer``: the buffer itself when
    it is full (botocore takes ``bytes`` or ``bytearray``, not a view), else a copy."""
    return buffer if length == len(buffer) else bytes(memoryview(buffer)[:length])


class BufferPool:
    """At most ``plan.concurrency + 1`` buffers of ``plan.part_size`` bytes, made when first
    needed and reused: what an upload holds, whatever the file size."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._free: queue.LifoQueue[bytearray] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()

    def take(self) -> bytearray:
        """A free buffer (waiting for one while all are in use)."""
        with self._lock:
            if self._free.empty() and self._made <= self.plan.concurrency:
                self._made += 1
                return bytearray(self.plan.part_size)
        return self._free.get()

    def give(self, buffer: bytearray) -> None:
        """Give a buffer back (its part is stored, or will not be)."""
        self._free.put(buffer)


def upload_parts(
    stream: Any,
    pool: BufferPool,
    upload_part: Callable[[int, bytes | bytearray], str],
    first: tuple[bytearray, int] | None = None,
) -> list[dict[str, Any]]:
    """Read ``stream`` to its end in parts of the pool's buffers and send each with
    ``upload_part(number, data)`` (which returns the part's ETag), ``plan.concurrency`` at a
    time; returns the ``Parts`` of ``CompleteMultipartUpload``.

    ``first``: a buffer of the pool already read (and how many bytes it holds), sent as part
    1. The first error (the stream's, or a part's) is raised once the parts in flight are done
    or cancelled; the caller aborts the upload.
    """
    part_size = pool.plan.part_size
    etags: dict[int, str] = {}
    in_flight: set[Future[None]] = set()

    def send(number: int, buffer: bytearray, length: int) -> None:
        try:
            etags[number] = upload_part(number, body(buffer, length))
        finally:
            pool.give(buffer)

    with ThreadPoolExecutor(max_workers=pool.plan.concurrency, thread_name_prefix="fs-s3-part") as executor:
        try:
            number = 0
            while True:
                if first is not None:
                    (buffer, length), first = first, None
                else:
                    buffer = pool.take()
                    try:
                        length = read_full(stream, buffer)
                    except BaseException:
                        pool.give(buffer)
                        raise
                if length == 0 and number > 0:
                    pool.give(buffer)
                    break
                number += 1
                if number > MAX_PARTS:
                    pool.give(buffer)
                    raise TooManyParts(
                        f"The file needs more than {MAX_PARTS:,} parts of {part_size:,} bytes: set "
                        f"MULTIPART_CHUNKSIZE larger (its size was not known in advance)"
                    )
                in_flight.add(executor.submit(send, number, buffer, length))
                done = {future for future in in_flight if future.done()}
                in_flight -= done
                for future in done:
                    future.result()  # a failed part stops the reading
                if length < part_size:
                    break
            for future in in_flight:
                future.result()
        except BaseException:
            for future in in_flight:
                future.cancel()
            wait(in_flight)
            raise
    return [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]
