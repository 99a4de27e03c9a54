"""What a listing tells about each file without reading it: :class:`FileInfo`.

:meth:`BaseBackend.scan <fs_core.backend.BaseBackend.scan>` yields one per file. Commands
that look at a whole storage (``flask fs ls -l``, ``du``, ``sync``, ``verify``, ``orphans``)
work from it, so that a backend whose service lists sizes and dates with the names (S3 does,
a local disk does with one ``stat``) answers in one pass instead of a request per file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FileInfo"]


@dataclass(frozen=True)
class FileInfo:
    """One file of a listing.

    ``size`` in bytes and ``modified`` (timezone-aware UTC) are always known. ``checksum``
    (``'algo:hex'``) is given only where the service keeps one that costs no read (an S3
    ETag, a checksum fs-local cached), else ``None``: ask
    :meth:`~fs_core.backend.BaseBackend.metadata` for one. ``mime`` is the stored content
    type, or ``None`` where the listing does not carry it.
    """

    name: str
    size: int
    modified: dt.datetime
    checksum: str | None = None
    mime: str | None = None

    @classmethod
    def from_metadata(cls, name: str, meta: Mapping[str, Any]) -> FileInfo:
        """A :class:`FileInfo` from what :meth:`~fs_core.backend.BaseBackend.metadata` returned
        (its dates are already in UTC); the epoch for a file the service keeps no date of."""
        modified = meta.get("modified")
        if not isinstance(modified, dt.datetime):
            modified = dt.datetime.fromtimestamp(0, dt.timezone.utc)
        return cls(
            name=name,
            size=int(meta.get("size") or 0),
            modified=modified,
            checksum=meta.get("checksum") or None,
            mime=meta.get("mime") or None,
        )

    def renamed(self, name: str) -> FileInfo:
        """The same file, named relative to a folder (``name``)."""
        return FileInfo(name, self.size, self.modified, self.checksum, self.mime)
