"""What a storage holds that nothing should: what ``flask fs orphans`` finds and removes.

Three kinds, each older than an age (a day by default, so that work in progress is never
reported):

* ``leftover``: what interrupted writes left (:mod:`fs_core.leftovers`: temporary files,
  unfinished multipart uploads, copies set aside while processors ran);
* ``derived``: a file a plugin made from another (a thumbnail, a WebP variant: the
  ``derived_files`` hook) whose sources are all gone;
* ``unreferenced``: where plugins keep references to files (fs-mongoengine's documents: the
  ``referenced_files`` hook), a file no record names, nor derived from one that is named.

Removing them deletes exactly what was reported (through the backend: no hook runs, so a
removal never reaches beyond the list), and never a name that is also the folder of a file
that is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from . import naming
from .leftovers import Leftover, is_older
from .listing import FileInfo
from .maintenance import leftovers as find_leftovers
from .maintenance import remove_leftover
from .state import BoundStorage

__all__ = ["KINDS", "Orphan", "find", "remove"]

#: The kinds of orphan, in the order they are reported.
KINDS = ("leftover", "derived", "unreferenced")


@dataclass(frozen=True)
class Orphan:
    """One thing :meth:`Storage.orphans <fs_core.Storage.orphans>` reports: its ``kind``
    (``"leftover"``, ``"derived"`` or ``"unreferenced"``), ``what`` it is in words, the
    storage ``name`` it occupies (``None`` for a backend's leftover that has no name, an
    unfinished upload), its ``size`` and ``modified`` date where known."""

    kind: str
    what: str
    name: str | None = None
    size: int | None = None
    modified: dt.datetime | None = None
    leftover: Leftover | None = None


def _sources(bound: BoundStorage, names: frozenset[str]) -> dict[str, list[str]]:
    """For each derived file, the files the plugins say it was made from."""
    found: dict[str, list[str]] = {}
    for answer in bound.hook.derived_files(storage=bound.storage, names=names):
        for name, candidates in (answer or {}).items():
            if name in names:
                found.setdefault(name, []).extend(c for c in candidates if c != name)
    return {name: candidates for name, candidates in found.items() if candidates}


def _closure(roots: set[str], sources: dict[str, list[str]], files: frozenset[str]) -> set[str]:
    """``roots`` and every stored file derived, directly or not, from one of them."""
    children: dict[str, list[str]] = {}
    for name, candidates in sources.items():
        for source in candidates:
            children.setdefault(source, []).append(name)
    kept, todo = set(), [name for name in roots if name in files]
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        kept.add(name)
        todo.extend(child for child in children.get(name, ()) if child not in kept)
    return kept


def find(bound: BoundStorage, older_than: float) -> Iterator[Orphan]:
    """The orphans of a storage last written more than ``older_than`` seconds ago."""
    for leftover in find_leftovers(bound, older_than):
        yield Orphan("leftover", leftover.what, leftover.name, leftover.size, leftover.modified, leftover)
    files: dict[str, FileInfo] = {
        info.name: info for info in bound.backend.scan() if not naming.is_reserved(info.name)
    }
    names = frozenset(files)
    sources = _sources(bound, names)
    # A file is live if it is not derived, or derived from a live file.
    originals = {name for name in names if name not in sources}
    live = _closure(originals, sources, names)
    reported = set()
    for name in sorted(names - live):
        info = files[name]
        if is_older(info.modified, older_than):
            gone = " or ".join(repr(s) for s in sources[name])
            what = f"{name}: derived from {gone}, which is gone"
            yield Orphan("derived", what, name, info.size, info.modified)
        reported.add(name)
    answers = [
        (plugin, answer)
        for plugin, answer in bound.plugins.answers("referenced_files", storage=bound.storage, names=names)
        if answer is not None
    ]
    if not answers:
        return
    referenced: set[str] = set()
    for _, answer in answers:
        referenced.update(name for name in answer if name in files)
    kept = _closure(referenced, sources, names)
    asked = ", ".join(plugin for plugin, _ in answers)
    for name in sorted(names - kept - reported):
        info = files[name]
        if is_older(info.modified, older_than):
            yield Orphan(
                "unreferenced",
                f"{name}: no record refers to it (asked {asked})",
                name,
                info.size,
                info.modified,
            )


def _folders(names: Iterable[str]) -> set[str]:
    folders: set[str] = set()
    for name in names:
        parts = name.split("/")
        folders.update("/".join(parts[:end]) for end in range(1, len(parts)))
    return folders


def remove(
    bound: BoundStorage,
    orphans: Iterable[Orphan],
    progress: Callable[[Orphan, Exception | None], None] | None = None,
) -> list[tuple[Orphan, Exception]]:
    """Remove ``orphans`` (as :func:`find` reported them); returns those that could not be
    removed, with why. ``progress(orphan, error)`` is called after each."""
    orphans = list(orphans)
    removed = {o.name for o in orphans if o.name is not None}
    keeping = _folders(name for name in bound.backend.list_files() if name not in removed)
    failures: list[tuple[Orphan, Exception]] = []
    for orphan in orphans:
        error: Exception | None = None
        try:
            if orphan.leftover is not None:
                remove_leftover(bound, orphan.leftover)
            elif orphan.name is not None:
                if orphan.name in keeping:
                    raise FileExistsError(
                        f"{orphan.name!r} is also a folder that holds files which are kept: "
                        "deleting the name would delete them too"
                    )
                bound.backend.delete(orphan.name)
        except Exception as exc:
            error = exc
            failures.append((orphan, exc))
        if progress is not None:
            progress(orphan, error)
    return failures
