"""Running one operation per file on a bounded pool of threads, stoppable with Ctrl-C.

Transfers to and from services spend their time waiting on the network, so a few threads
overlap the waits; at most ``2 x jobs`` items are taken from the input ahead of the workers,
so a plan of a million files is never turned into a million futures. Ctrl-C sets ``stop``:
no new item starts, the running ones see it at their next chunk (see
:class:`fs_core.transfer.WatchedReader`) and abort, and the function returns once they have.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

__all__ = ["DEFAULT_JOBS", "run_parallel"]

#: Transfers at a time when a command is not told otherwise.
DEFAULT_JOBS = 8

T = TypeVar("T")
R = TypeVar("R")


def run_parallel(
    items: Iterable[T],
    work: Callable[[T], R],
    done: Callable[[T, R | None, BaseException | None], None],
    *,
    jobs: int = DEFAULT_JOBS,
    stop: threading.Event | None = None,
) -> bool:
    """Call ``work(item)`` for each item on ``jobs`` threads, and ``done(item, result, error)``
    in the calling thread as each finishes (``error`` is what ``work`` raised, if it did).

    Returns ``True`` if it was interrupted (Ctrl-C, or ``stop`` set by someone else): items
    not started then are not passed to ``done``.
    """
    stop = stop or threading.Event()
    jobs = max(1, int(jobs))
    todo = iter(items)
    pending: dict[Future[R], T] = {}

    def finish(futures: Iterable[Future[R]]) -> None:
        for future in futures:
            item = pending.pop(future)
            if future.cancelled():
                continue
            error = future.exception()
            done(item, None if error else future.result(), error)

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="fs-worker") as pool:
        try:
            while True:
                while len(pending) < 2 * jobs and not stop.is_set():
                    try:
                        item = next(todo)
                    except StopIteration:
                        break
                    pending[pool.submit(work, item)] = item
                if not pending:
                    break
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                finish(finished)
        except BaseException as exc:  # Ctrl-C, or ``done`` failed: let the running ones stop
            stop.set()
            for future in pending:
                future.cancel()
            finished, _ = wait(list(pending))
            if not isinstance(exc, KeyboardInterrupt):
                raise
            finish(finished)
            return True
    return stop.is_set()
