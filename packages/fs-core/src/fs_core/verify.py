"""Reading every file of a location again: what ``flask fs verify`` runs.

Each file is read to its end (so an unreadable one is found) and hashed; the result is
compared with the checksum the service keeps for it (its listing's: an S3 ETag that is an
MD5, the checksum fs-local cached) and with the size it lists. With another location to
check against (a copy made by ``sync``), each file must be there too with the same size and
content: its stored checksum is compared with this side's content hashed in the same kind,
and where it keeps none that can be recomputed, it is read and hashed as well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import checksums
from .errors import FSError
from .listing import FileInfo
from .locations import Location
from .parallel import DEFAULT_JOBS, run_parallel
from .transfer import Cancelled, WatchedReader

__all__ = ["Problem", "VerifyReport", "verify"]


@dataclass(frozen=True)
class Problem:
    """A file that did not verify. ``kind``: ``'unreadable'``, ``'size'`` (read a different
    size than listed), ``'checksum'`` (content does not match the stored checksum),
    ``'missing'`` (not in the other location), ``'differs'`` (the other location's copy
    differs)."""

    name: str
    kind: str
    detail: str


@dataclass
class VerifyReport:
    """What :func:`verify` found; ``ok`` when every file verified and it was not interrupted."""

    location: str
    against: str | None = None
    checked: int = 0
    bytes: int = 0
    #: Files read whole, but with no stored checksum of a kind that can be recomputed (a
    #: checksum fs-local has not cached yet, an S3 multipart ETag): their size was checked.
    without_checksum: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: Names the other location has and this one has not (not a problem for a copy).
    extra: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.interrupted

    def as_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "against": self.against,
            "checked": self.checked,
            "bytes": self.bytes,
            "without_checksum": self.without_checksum,
            "problems": [{"name": p.name, "kind": p.kind, "detail": p.detail} for p in self.problems],
            "extra": list(self.extra),
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
        }


def _algorithms(*stored: str | None) -> list[str]:
    wanted = [checksums.algorithm(value) for value in stored]
    return [checksums.DEFAULT_ALGORITHM, *(a for a in wanted if a and checksums.computable(a))]


def _check_copy(
    other: Location, info: FileInfo, theirs: FileInfo, computed: dict[str, str], stop: threading.Event
) -> Problem | None:
    """The other location's copy of ``info`` against the content just hashed."""
    if theirs.size != info.size:
        return Problem(info.name, "differs", f"{theirs.size:,} bytes in {other}, {info.size:,} here")
    stored = theirs.checksum
    algo = checksums.algorithm(stored)
    if stored and algo in computed:
        if not checksums.same(stored, computed[algo]):
            return Problem(info.name, "differs", f"the content in {other} differs ({algo})")
        return None
    algo = checksums.DEFAULT_ALGORITHM
    with other.backend.open_read(other.stored_name(theirs.name)) as stream:
        hashed, _ = checksums.hash_stream(WatchedReader(stream, stop=stop), (algo,))
    if hashed[algo] != computed[algo]:
        return Problem(info.name, "differs", f"the content in {other} differs ({algo})")
    return None


def verify(
    location: Location,
    against: Location | None = None,
    *,
    jobs: int = DEFAULT_JOBS,
    on_start: Callable[[int, int], Any] | None = None,
    on_bytes: Callable[[int], Any] | None = None,
    on_file: Callable[[FileInfo, list[Problem]], Any] | None = None,
    stop: threading.Event | None = None,
) -> VerifyReport:
    """Read and check every file of ``location`` (and its copy in ``against``).

    ``on_start(files, bytes)`` is called once the listing is done; ``on_bytes(n)`` as bytes
    are read (from worker threads); ``on_file(info, problems)`` in the calling thread as each
    file is done. Ctrl-C stops it (``interrupted`` in the report).
    """
    started = time.monotonic()
    stop = stop or threading.Event()
    report = VerifyReport(str(location), str(against) if against is not None else None)
    files = list(location.scan())
    theirs = {info.name: info for info in against.scan()} if against is not None else {}
    if on_start is not None:
        on_start(len(files), sum(info.size for info in files))

    def check(info: FileInfo) -> tuple[list[Problem], bool]:
        other = theirs.get(info.name)
        algorithms = _algorithms(info.checksum, other.checksum if other else None)
        try:
            with location.backend.open_read(location.stored_name(info.name)) as stream:
                computed, size = checksums.hash_stream(WatchedReader(stream, on_bytes, stop), algorithms)
        except Cancelled:
            raise
        except FSError as exc:
            return [Problem(info.name, "unreadable", f"{exc} ({type(exc).__name__})")], False
        problems = []
        if size != info.size:
            problems.append(Problem(info.name, "size", f"listed as {info.size:,} bytes, read {size:,}"))
        algo = checksums.algorithm(info.checksum)
        has_checksum = algo in computed
        if has_checksum and not checksums.same(info.checksum, computed[algo or ""]):
            problems.append(Problem(info.name, "checksum", f"the content does not match its {algo} checksum"))
        if against is not None:
            if other is None:
                problems.append(Problem(info.name, "missing", f"not in {against}"))
            else:
                try:
                    problem = _check_copy(against, info, other, computed, stop)
                except Cancelled:
                    raise
                except FSError as exc:
                    problem = Problem(info.name, "differs", f"cannot read it in {against}: {exc}")
                if problem is not None:
                    problems.append(problem)
        return problems, has_checksum

    def checked(
        info: FileInfo, result: tuple[list[Problem], bool] | None, error: BaseException | None
    ) -> None:
        if isinstance(error, Cancelled):
            return
        if error is not None:
            problems = [Problem(info.name, "unreadable", f"{type(error).__name__}: {error}")]
            has_checksum = True
        else:
            assert result is not None
            problems, has_checksum = result
        report.checked += 1
        report.bytes += info.size
        report.without_checksum += not has_checksum
        report.problems.extend(problems)
        if on_file is not None:
            on_file(info, problems)

    report.interrupted = run_parallel(files, check, checked, jobs=jobs, stop=stop)
    report.problems.sort(key=lambda problem: problem.name)
    if against is not None:
        mine = {info.name for info in files}
        report.extra = sorted(name for name in theirs if name not in mine)
    report.seconds = time.monotonic() - started
    return report
