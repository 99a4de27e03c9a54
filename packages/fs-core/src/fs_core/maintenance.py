"""Finding and removing what interrupted writes left in a storage (see :mod:`fs_core.leftovers`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from . import naming
from .errors import FileNotFound
from .leftovers import Leftover, is_older
from .state import BoundStorage

__all__ = ["clean", "leftovers", "remove_leftover"]

# The copies the write pipeline sets aside: the reserved prefix and a uuid4's hex.
_SET_ASIDE = re.compile(re.escape(naming.PREVIOUS_PREFIX) + "[0-9a-f]{32}")


def leftovers(bound: BoundStorage, older_than: float) -> Iterator[Leftover]:
    """The backend's own leftovers, then the copies set aside while processors ran (found by
    listing the storage), last written more than ``older_than`` seconds ago."""
    backend = bound.backend
    yield from backend.leftovers(older_than)
    for name in backend.list_files():
        if not _SET_ASIDE.fullmatch(naming.split_parent(name)[1]):
            continue
        try:
            meta = backend.metadata(name)
        except FileNotFound:  # its processing finished meanwhile
            continue
        if is_older(meta["modified"], older_than):
            yield Leftover(
                f"copy set aside while processing a replacement: {name}",
                meta["modified"],
                meta.get("size"),
                name=name,
            )


def clean(
    bound: BoundStorage,
    older_than: float,
    *,
    dry_run: bool = False,
    progress: Callable[[Leftover], None] | None = None,
) -> list[Leftover]:
    """Remove what :func:`leftovers` finds (nothing if ``dry_run``); returns what it found."""
    found = []
    for leftover in bound.storage.leftovers(older_than):  # an override counts
        if progress is not None:
            progress(leftover)
        if not dry_run:
            remove_leftover(bound, leftover)
        found.append(leftover)
    return found


def remove_leftover(bound: BoundStorage, leftover: Leftover) -> None:
    """Remove one leftover: a set-aside copy by its name, else through its backend."""
    if leftover.name is not None and leftover.ref is None:
        bound.backend.delete(leftover.name)
    else:
        bound.backend.remove_leftover(leftover)
