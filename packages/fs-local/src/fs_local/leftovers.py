"""Temporary files that interrupted saves left behind (``.fs-tmp-*``), found and removed.

A save writes into an anonymous ``O_TMPFILE`` file, which vanishes with its process, but two
moments leave a named temporary file when the process dies (``kill -9``, a power cut, the
OOM killer): a replacing save between ``link`` of the temporary name and the ``rename`` over
the old file (a complete copy of the new content), and any save on a file system without
``O_TMPFILE``, which writes into a named temporary file from the start. Neither is ever a
file of the storage (:meth:`~fs_local.backend.LocalBackend.list_files` hides them, their
names are reserved); :func:`find` reports them for :meth:`Storage.clean_leftovers
<fs_core.storage.Storage.clean_leftovers>` and ``flask fs clean``.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from typing import NamedTuple

from fs_core.leftovers import Leftover, is_older

from . import tree
from .errors import disk_error

__all__ = ["TEMP_PREFIX", "TempFile", "find", "still_stale"]

#: Prefix of named temporary files (reserved: no stored name has a segment starting with it).
TEMP_PREFIX = ".fs-tmp-"


class TempFile(NamedTuple):
    """What :meth:`~fs_local.backend.LocalBackend.remove_leftover` needs to find a leftover
    again, and to make sure it is still stale."""

    folder: bytes  # relative to the root, b"" for the root itself
    name: bytes
    older_than: float


def find(root: int, older_than: float) -> Iterator[Leftover]:
    """Every ``.fs-tmp-*`` file under the folder ``root`` (a descriptor) last written more
    than ``older_than`` seconds ago, in folders of any name, never through a link."""

    def unreadable(exc: OSError, path: str) -> None:
        raise disk_error(f"Cannot look for temporary files in {_shown(path)!r}: {exc}", exc) from exc

    for path, _, entries in tree.walk(root, onerror=unreadable):
        for entry in entries:
            if not entry.name.startswith(TEMP_PREFIX):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # its save finished (or was cleaned) meanwhile
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            modified = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc)
            if not is_older(modified, older_than):
                continue
            shown = _shown(f"{path}/{entry.name}" if path else entry.name)
            ref = TempFile(os.fsencode(path), os.fsencode(entry.name), older_than)
            yield Leftover(f"temporary file {shown}", modified, st.st_size, ref=ref)


def still_stale(folder: int, temp: TempFile) -> bool:
    """Whether ``temp`` is still in the folder ``folder`` (a descriptor), a file, and still not
    written for ``older_than`` seconds (a save that was only slow has written since)."""
    try:
        st = os.stat(temp.name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    return is_older(dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc), temp.older_than)


def _shown(path: str) -> str:
    """A path from the disk as text, bytes that are not UTF-8 escaped (``\\xff``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
