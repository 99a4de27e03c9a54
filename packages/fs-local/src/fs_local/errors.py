"""The core's error for a failure of the disk, with what to do about it where the cause says.

A full disk, a permission refused or a read-only file system are the failures an operator
meets; each gets ``BackendError.advice`` (which the ``flask fs`` commands show instead of
their generic "check the service"). Other causes keep the system's own words.
"""

from __future__ import annotations

import errno

from fs_core.errors import BackendError

__all__ = ["disk_error"]

_ADVICE = {
    errno.ENOSPC: "Free space on that disk (or give the storage's ROOT a larger one)",
    errno.EDQUOT: "Raise the disk quota of the app's user, or free some of it",
    errno.EACCES: "Check that the app's user may read and write the storage's ROOT",
    errno.EPERM: "Check that the app's user may read and write the storage's ROOT",
    errno.EROFS: "The file system is mounted read-only: give the storage a ROOT that can be written",
    errno.EMFILE: "The process ran out of file descriptors: raise its limit (ulimit -n)",
}


def disk_error(message: str, exc: OSError) -> BackendError:
    """``BackendError(message, exc)``, advising what to do for the causes that have a remedy."""
    return BackendError(message, exc, advice=_ADVICE.get(exc.errno or 0))
