"""What interrupted writes leave behind: found, described, and removed on request.

A write killed at the wrong moment (``kill -9``, a power cut, a worker timeout) never leaves a
partial file under its final name, but it can leave something beside it that is not a file of
the storage: a temporary file of fs-local, an unfinished multipart upload on S3, or the copy of
a replaced file that the core set aside while processors ran (``.fs-previous-*``). Each
backend reports its own through :meth:`~fs_core.backend.BaseBackend.leftovers`;
:meth:`Storage.leftovers <fs_core.storage.Storage.leftovers>` adds the core's, and
``flask fs clean STORAGE`` removes those older than an age (a day by default), so that a
write still in progress is never touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_LEFTOVER_AGE", "Leftover", "is_older"]

#: Age in seconds under which a leftover is presumed to belong to a write still in progress.
DEFAULT_LEFTOVER_AGE = 24 * 3600


@dataclass(frozen=True)
class Leftover:
    """One thing an interrupted write left behind.

    ``what`` says it in words (``'temporary file a/.fs-tmp-1f2e'``), ``modified`` is when it
    was last written (UTC), ``size`` its size in bytes if known. ``ref`` is the backend's own
    handle for :meth:`~fs_core.backend.BaseBackend.remove_leftover`; ``name`` is the storage
    name it occupies, when it has one (the core's set-aside copies do).
    """

    what: str
    modified: dt.datetime
    size: int | None = None
    name: str | None = None
    ref: Any = field(default=None, compare=False, repr=False)


def is_older(modified: dt.datetime, older_than: float, now: dt.datetime | None = None) -> bool:
    """Whether ``modified`` (timezone-aware) lies more than ``older_than`` seconds in the past;
    always true for an age of 0 or less (a service's clock may run ahead of ours)."""
    if older_than <= 0:
        return True
    now = now or dt.datetime.now(dt.timezone.utc)
    return (now - modified).total_seconds() > older_than
