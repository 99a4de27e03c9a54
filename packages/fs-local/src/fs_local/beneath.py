"""Opening a name beneath a storage's directory without following a link out of it.

A name such as ``a/b/c.txt`` crosses three directory entries, any of which can be a symbolic
link that someone planted (``a -> /etc``) or swaps in while the application works. Checking
the path first (``realpath``, ``islink``) and opening it afterwards leaves a window in which a
component can be replaced; the checks here are made by the kernel in the same call that
opens the name, relative to a descriptor of the storage's directory, and every later step
(create, link, rename, unlink) is made relative to the descriptor that call returned.

Three resolvers, one per policy:

* :data:`BENEATH` (the default, Linux 5.6+): one ``openat2(2)`` call with
  ``RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS``. Links whose target stays beneath the directory
  are followed (relative ones: ``photo.jpg -> ../originals/photo.jpg``); a link that leads out
  of it, an absolute link (even one pointing inside) and ``/proc`` magic links are refused.
* :data:`NO_LINKS` (where the kernel has no ``openat2``): one ``openat`` per component with
  ``O_NOFOLLOW``. Stricter: no link is followed at all, since without ``openat2`` there is no
  race-free way to tell where a relative link leads.
* :data:`FOLLOW` (the ``FOLLOW_SYMLINKS`` opt-in): a plain ``openat`` relative to the
  directory, following links wherever they lead, as fs-local did before.

A refused link raises :class:`LinkRefused`, an :class:`~fs_core.errors.InvalidFilename`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from typing import Any

from fs_core.errors import InvalidFilename

__all__ = ["BENEATH", "FOLLOW", "NO_LINKS", "LinkRefused", "Resolver", "default_resolver", "openat2"]

_SYS_OPENAT2 = 437  # the same number on every Linux architecture (new syscalls share a table)
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_BENEATH = 0x08
#: openat2 refuses a ``..`` it cannot prove safe while a rename runs elsewhere: how often to retry.
_EAGAIN_RETRIES = 64
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)


class _OpenHow(ctypes.Structure):
    """``struct open_how`` of ``<linux/openat2.h>``."""

    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


_HOW_SIZE = ctypes.sizeof(_OpenHow)


_libc = ctypes.CDLL(None, use_errno=True)
# No argtypes: their checks cost more than the call itself (a read opens ~2 names). The
# arguments are exact anyway: Python ints become C ints that libffi widens to the registers'
# width with their sign (AT_FDCWD is -100), bytes a char*, the struct a pointer.
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
#: One ``open_how`` per combination in use (few), built once: they are only ever read.
_hows: dict[tuple[int, int, int], tuple[_OpenHow, Any]] = {}


def openat2(dirfd: int, path: bytes, flags: int, mode: int, resolve: int) -> int:
    """``openat2(2)``: a new descriptor (close-on-exec), or an :class:`OSError` of its errno."""
    if not flags & os.O_CREAT and (flags & _O_TMPFILE) != _O_TMPFILE:  # O_TMPFILE has O_DIRECTORY
        mode = 0  # openat2 refuses a mode it would not use
    key = (flags | os.O_CLOEXEC, mode, resolve)
    how = _hows.get(key)
    if how is None:
        struct = _OpenHow(*key)
        how = _hows[key] = (struct, ctypes.byref(struct))
    fd: int = _syscall(_SYS_OPENAT2, dirfd, path, how[1], _HOW_SIZE)
    if fd < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), os.fsdecode(path))
    return fd


class LinkRefused(InvalidFilename):
    """A symbolic link on the way to a name was not followed (see the resolver's policy)."""

    def __init__(self, path: bytes, policy: str) -> None:
        super().__init__(f"{os.fsdecode(path)!r}: {policy}")
        self.path = path
        self.policy = policy


class Resolver:
    """Opens a ``/``-separated relative name (bytes) beneath a directory descriptor."""

    #: Why a link was refused, for error messages.
    policy = ""

    def open(self, dirfd: int, path: bytes, flags: int, mode: int = 0o777) -> int:
        """A descriptor of ``path`` beneath ``dirfd``, opened with ``flags`` (plus close-on-exec).

        The errors are ``open``'s (:class:`FileNotFoundError`, :class:`NotADirectoryError`…)
        and :class:`LinkRefused`.
        """
        raise NotImplementedError


class _Beneath(Resolver):
    policy = "a symbolic link on the way leads outside the storage's directory, or is absolute"

    def open(self, dirfd: int, path: bytes, flags: int, mode: int = 0o777) -> int:
        for _ in range(_EAGAIN_RETRIES):
            try:
                return openat2(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    continue
                if exc.errno in (errno.EXDEV, errno.ELOOP):  # out of the root / a loop, magic link
                    raise LinkRefused(path, self.policy) from None
                if exc.errno in (errno.ENOSYS, errno.EPERM) and not _openat2_works():
                    return NO_LINKS.open(dirfd, path, flags, mode)
                raise
        raise OSError(errno.EAGAIN, "openat2 kept meeting concurrent renames", os.fsdecode(path))


#: How the component walk opens a folder on the way: never through a link.
_LOOK_THROUGH = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class _NoLinks(Resolver):
    policy = "a symbolic link is on the way, and without openat2 (Linux 5.6+) fs-local follows none"

    def open(self, dirfd: int, path: bytes, flags: int, mode: int = 0o777) -> int:
        *folders, last = path.split(b"/")
        fd = dirfd
        try:
            for part in folders:
                try:
                    child = os.open(part, _LOOK_THROUGH, dir_fd=fd)
                except NotADirectoryError:  # what O_NOFOLLOW | O_DIRECTORY answers for a link
                    self._refuse_if_link(part, fd, path)
                    raise
                if fd != dirfd:
                    os.close(fd)
                fd = child
            try:
                result = os.open(last, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    self._refuse_if_link(last, fd, path)
                raise
            if flags & os.O_PATH and stat.S_ISLNK(os.fstat(result).st_mode):  # O_PATH opens the link
                os.close(result)
                raise LinkRefused(path, self.policy)
            return result
        finally:
            if fd != dirfd:
                os.close(fd)

    def _refuse_if_link(self, part: bytes, fd: int, path: bytes) -> None:
        try:
            is_link = stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode)
        except OSError:
            return
        if is_link:
            raise LinkRefused(path, self.policy) from None


class _Follow(Resolver):
    policy = "FOLLOW_SYMLINKS is set: links are followed"

    def open(self, dirfd: int, path: bytes, flags: int, mode: int = 0o777) -> int:
        return os.open(path, flags | os.O_CLOEXEC, mode, dir_fd=dirfd)


BENEATH: Resolver = _Beneath()
NO_LINKS: Resolver = _NoLinks()
FOLLOW: Resolver = _Follow()

_works: bool | None = None


def _openat2_works() -> bool:
    """Whether this kernel answers openat2 (ENOSYS before 5.6; EPERM under some seccomp
    profiles, such as older container runtimes' defaults). Asked once per process."""
    global _works
    if _works is None:
        try:
            os.close(openat2(-100, b".", os.O_PATH | os.O_DIRECTORY, 0, RESOLVE_BENEATH))  # AT_FDCWD
            _works = True
        except OSError as exc:
            _works = exc.errno not in (errno.ENOSYS, errno.EPERM)
    return _works


def default_resolver() -> Resolver:
    """:data:`BENEATH` where the kernel has openat2, else :data:`NO_LINKS`."""
    return BENEATH if _openat2_works() else NO_LINKS
