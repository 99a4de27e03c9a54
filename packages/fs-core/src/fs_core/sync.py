"""Making one location a copy of another: what ``flask fs sync SRC DST`` runs.

1. **Plan.** Both locations are listed once (:meth:`~fs_core.backend.BaseBackend.scan`:
   sizes, dates and the checksums services keep). A source file is copied when the target
   has none of that name, when the sizes differ, when checksums of the same kind differ,
   or, where they are of different kinds (SHA-256 on a disk, MD5 on S3), when the source is
   newer than the target's copy, in whole seconds (as ``aws s3 sync`` decides; S3 keeps
   dates to the second). ``checksum=True`` compares
   content instead of dates: stored checksums where they are of one kind, else the content
   is hashed again (the cheaper side, in the other's kind).
2. **Copy**, ``jobs`` at a time: inside the service when both locations are on one
   (:meth:`~fs_core.backend.BaseBackend.copy_from`), else streamed in bounded chunks. Each
   copy is atomic (the target backend's contract), so a sync killed at any moment leaves
   whole files only, and running it again copies what is missing: it resumes.
3. **Delete** (``delete=True``) what only the target has, unless the run was interrupted.

Copies are raw: the target storage's policy and processors do not run (a copy of a
storage keeps its thumbnails as they are, rather than making them again). Include and
exclude patterns (:mod:`fnmatch`, ``*`` matching across folders) select names relative to
the locations; excluded names are neither copied nor deleted.
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import checksums, naming
from .errors import ConfigurationError, FSError
from .listing import FileInfo
from .locations import Location
from .parallel import DEFAULT_JOBS, run_parallel
from .transfer import Cancelled, copy_file

__all__ = ["Change", "NameFilter", "Plan", "SyncOptions", "SyncReport", "contents_same", "plan", "sync"]


@dataclass(frozen=True)
class SyncOptions:
    """What :func:`sync` does; the defaults copy what is missing or different, and delete
    nothing."""

    delete: bool = False
    dry_run: bool = False
    checksum: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    jobs: int = DEFAULT_JOBS


class NameFilter:
    """Names to work on: those matching an ``include`` pattern (every name if there is
    none) and no ``exclude`` pattern."""

    def __init__(self, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> None:
        self.include = tuple(include)
        self.exclude = tuple(exclude)

    def __call__(self, name: str) -> bool:
        if self.include and not any(fnmatch.fnmatchcase(name, p) for p in self.include):
            return False
        return not any(fnmatch.fnmatchcase(name, p) for p in self.exclude)


@dataclass(frozen=True)
class Change:
    """One file :func:`sync` copies, compares or deletes.

    ``action`` is ``'copy'``, ``'check'`` (compare content, copy if it differs) or
    ``'delete'``; ``name`` is relative to the locations; ``reason`` says why in words.
    """

    action: str
    name: str
    reason: str
    size: int = 0
    source: FileInfo | None = None
    target: FileInfo | None = None
    #: The source's own name for the file, as its listing gave it.
    source_name: str = ""


@dataclass
class Plan:
    """What :func:`plan` found: the changes, and what needs none."""

    copies: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    #: Files already the same on both sides (by size and checksum or date), and their bytes.
    unchanged: int = 0
    unchanged_bytes: int = 0
    #: Source names that cannot be written to the target (``(name, reason)``).
    invalid: list[tuple[str, str]] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(change.size for change in self.copies)


@dataclass
class SyncReport:
    """What :func:`sync` did. ``ok`` is true when nothing failed and it was not interrupted."""

    source: str
    target: str
    dry_run: bool = False
    copied: int = 0
    copied_bytes: int = 0
    #: Of ``copied``, those the service copied itself (no byte through the app).
    server_side: int = 0
    #: Files that needed nothing: the same on both sides (including those whose content was
    #: compared and found equal).
    skipped: int = 0
    deleted: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    #: For a dry run: what would be copied and deleted (``(name, reason)``).
    would_copy: list[tuple[str, str]] = field(default_factory=list)
    would_delete: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def as_dict(self) -> dict[str, Any]:
        data = {
            "source": self.source,
            "target": self.target,
            "dry_run": self.dry_run,
            "copied": self.copied,
            "copied_bytes": self.copied_bytes,
            "server_side": self.server_side,
            "skipped": self.skipped,
            "deleted": self.deleted,
            "failed": [{"name": name, "error": error} for name, error in self.failed],
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
        }
        if self.dry_run:
            data["would_copy"] = [{"name": name, "reason": why} for name, why in self.would_copy]
            data["would_delete"] = list(self.would_delete)
        return data


def _decide(mine: FileInfo, theirs: FileInfo | None, compare_content: bool) -> tuple[str, str] | None:
    """``(action, reason)`` for a source file against the target's, ``None`` if unchanged."""
    if theirs is None:
        return "copy", "missing in target"
    if mine.size != theirs.size:
        return "copy", f"size differs ({mine.size:,} / {theirs.size:,} bytes)"
    verdict = checksums.same(mine.checksum, theirs.checksum)
    if verdict is False:
        return "copy", "checksum differs"
    if verdict is True:
        return None
    if compare_content:
        return "check", "content to compare"
    # In whole seconds: S3 keeps dates to the second, a disk to the nanosecond, so a file
    # copied in the second it was written would otherwise look older than its source.
    if math.floor(mine.modified.timestamp()) > math.floor(theirs.modified.timestamp()):
        return "copy", "newer in source"
    return None


def _parents(name: str) -> Iterable[str]:
    parts = name.split("/")
    for end in range(1, len(parts)):
        yield "/".join(parts[:end])


def plan(source: Location, target: Location, options: SyncOptions = SyncOptions()) -> Plan:
    """List both locations and decide what :func:`sync` does (nothing is changed)."""
    wanted = NameFilter(options.include, options.exclude)
    theirs = {info.name: info for info in target.scan()}
    result = Plan()
    folders_kept: set[str] = set()  # folders of the target that keep files after the sync
    for info in source.scan():
        raw = info.name
        if not wanted(raw):
            continue
        try:
            name = naming.validate_name(raw)
        except FSError as exc:
            result.invalid.append((raw, str(exc)))
            continue
        folders_kept.update(_parents(name))
        other = theirs.pop(name, None)
        decision = _decide(info, other, options.checksum)
        if decision is None:
            result.unchanged += 1
            result.unchanged_bytes += info.size
            continue
        action, reason = decision
        result.copies.append(Change(action, name, reason, info.size, info, other, source.stored_name(raw)))
    if options.delete:
        for name in theirs:
            if not wanted(name):
                folders_kept.update(_parents(name))
        for name, info in sorted(theirs.items()):
            if wanted(name):
                result.deletes.append(Change("delete", name, "only in target", info.size, None, info))
        # Deleting a name deletes the folder of that name too: never one that keeps files.
        kept = [c for c in result.deletes if c.name not in folders_kept]
        for change in result.deletes:
            if change.name in folders_kept:
                result.invalid.append(
                    (change.name, "not deleted: a folder of the same name in the target keeps files")
                )
        result.deletes = kept
    return result


def _hash(location: Location, name: str, algo: str, stop: threading.Event | None) -> str:
    from .transfer import WatchedReader

    with location.backend.open_read(name) as stream:
        return checksums.hash_stream(WatchedReader(stream, stop=stop), (algo,))[0][algo]


def contents_same(
    source: Location,
    source_name: str,
    target: Location,
    target_name: str,
    mine: FileInfo,
    theirs: FileInfo,
    stop: threading.Event | None = None,
) -> bool:
    """Whether two files have the same content: their checksums where they are of one kind,
    else the content of one side hashed in the kind of the other's (one read), else both
    hashed with SHA-256."""
    a, b = mine.checksum, theirs.checksum
    for attempt in range(2):
        verdict = checksums.same(a, b)
        if verdict is not None:
            return verdict
        if b and checksums.computable(checksums.algorithm(b)):
            return bool(checksums.same(_hash(source, source_name, checksums.algorithm(b) or "", stop), b))
        if a and checksums.computable(checksums.algorithm(a)):
            return bool(checksums.same(a, _hash(target, target_name, checksums.algorithm(a) or "", stop)))
        if attempt == 0:
            a = a or source.backend.metadata(source_name).get("checksum")
            b = b or target.backend.metadata(target_name).get("checksum")
    algo = checksums.DEFAULT_ALGORITHM
    return _hash(source, source_name, algo, stop) == _hash(target, target_name, algo, stop)


def sync(
    source: Location,
    target: Location,
    options: SyncOptions = SyncOptions(),
    *,
    on_plan: Callable[[Plan], Any] | None = None,
    on_bytes: Callable[[int], Any] | None = None,
    on_file: Callable[[Change, str, BaseException | None], Any] | None = None,
    stop: threading.Event | None = None,
) -> SyncReport:
    """Make ``target`` hold what ``source`` holds (see the module's docstring).

    ``on_plan(plan)`` is called once both are listed; ``on_bytes(n)`` as bytes are copied
    (from worker threads); ``on_file(change, outcome, error)`` in the calling thread as each
    file is done, ``outcome`` being ``'copied'``, ``'server-side'``, ``'same'``,
    ``'would copy'``, ``'deleted'``, ``'would delete'``, ``'stopped'`` or ``'failed'``. Ctrl-C
    stops the transfers cleanly (nothing half-written) and the report says ``interrupted``.
    """
    if source.overlaps(target):
        raise ConfigurationError(
            f"{source} and {target} overlap: a sync between them would copy into what it copies "
            f"from. Sync to a folder outside {source}."
        )
    started = time.monotonic()
    stop = stop or threading.Event()
    report = SyncReport(str(source), str(target), dry_run=options.dry_run)
    found = plan(source, target, options)
    report.skipped = found.unchanged
    report.failed.extend(found.invalid)
    if on_plan is not None:
        on_plan(found)

    def copy(change: Change) -> str:
        # A stop set before this file started is seen by copy_file (and by the reads of a
        # content check): it raises Cancelled, and the file is "stopped".
        target_name = target.name(change.name)
        if change.action == "check":
            assert change.source is not None
            assert change.target is not None
            if contents_same(
                source, change.source_name, target, target_name, change.source, change.target, stop
            ):
                if on_bytes is not None:
                    on_bytes(change.size)
                return "same"
        if options.dry_run:
            return "would copy"
        mime = change.source.mime if change.source is not None else None
        server_side = copy_file(
            source.backend,
            change.source_name,
            target.backend,
            target_name,
            size=change.size,
            mime=mime,
            on_bytes=on_bytes,
            stop=stop,
        )
        return "server-side" if server_side else "copied"

    def copied(change: Change, outcome: str | None, error: BaseException | None) -> None:
        if error is not None:
            outcome = "stopped" if isinstance(error, Cancelled) else "failed"
            if outcome == "failed":
                report.failed.append((change.name, _describe(error)))
        elif outcome == "same":
            report.skipped += 1
        elif outcome == "would copy":
            report.would_copy.append((change.name, change.reason))
        else:
            report.copied += 1
            report.copied_bytes += change.size
            report.server_side += outcome == "server-side"
        if on_file is not None:
            on_file(change, outcome or "failed", error)

    report.interrupted = run_parallel(found.copies, copy, copied, jobs=options.jobs, stop=stop)

    if options.delete and not report.interrupted:

        def delete(change: Change) -> str:
            if options.dry_run:
                return "would delete"
            target.backend.delete(target.name(change.name))
            return "deleted"

        def deleted(change: Change, outcome: str | None, error: BaseException | None) -> None:
            if error is not None:
                report.failed.append((change.name, _describe(error)))
                outcome = "failed"
            elif outcome == "would delete":
                report.would_delete.append(change.name)
            else:
                report.deleted += 1
            if on_file is not None:
                on_file(change, outcome or "failed", error)

        report.interrupted = run_parallel(found.deletes, delete, deleted, jobs=options.jobs, stop=stop)
    report.failed.sort()
    report.would_copy.sort()
    report.would_delete.sort()
    report.seconds = time.monotonic() - started
    return report


def _describe(error: BaseException) -> str:
    """An error in one line: the core's message, or the exception's type and text."""
    if isinstance(error, FSError):
        return f"{error} ({type(error).__name__})"
    return f"{type(error).__name__}: {error}"
