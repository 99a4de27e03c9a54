"""Walking and removing folder trees through descriptors, never through a link.

Each folder is opened relative to its parent's descriptor with ``O_NOFOLLOW``, so a folder
swapped for a link between the listing of its parent and its opening is skipped (walking) or
removed as the link it now is (removing), never entered. Both work on Python 3.10, where
``shutil.rmtree`` takes no ``dir_fd``, and neither recurses in Python (a deep tree cannot
exhaust the interpreter's stack); they hold one descriptor per level of depth.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator

__all__ = ["remove_tree", "walk"]

#: How a subfolder is opened: a link in its place fails (ELOOP or ENOTDIR), a FIFO cannot block.
_SUBFOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _entries(fd: int) -> list[os.DirEntry[str]]:
    with os.scandir(fd) as it:
        return list(it)


def _open_subfolder(name: str, fd: int) -> int | None:
    """``name`` in the folder ``fd``, if it is still a folder (None if gone or now a link)."""
    try:
        return os.open(name, _SUBFOLDER, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            return None
        raise


def walk(
    top: int,
    *,
    enter: Callable[[str, str], bool] = lambda path, name: True,
    onerror: Callable[[OSError, str], None] | None = None,
    follow_link: Callable[[str, str], int | None] | None = None,
) -> Iterator[tuple[str, int, list[os.DirEntry[str]]]]:
    """``(path, fd, entries)`` for the folder ``top`` (a descriptor, left open) and every
    folder under it that ``enter(path, name)`` accepts (``path``: its parent's): ``path`` is
    relative to ``top`` (``''`` for
    it, ``/``-separated, surrogate-escaped as ``os`` names are), ``fd`` is valid until the next
    step, ``entries`` are what is not a folder (files, links, others).

    With ``follow_link(path, name)``, a link that it opens as a folder (it returns the
    descriptor, or ``None`` to leave the link an entry) is walked as a folder too, unless it
    leads to a folder the walk is already inside (a link back up would never end). Two links
    to one folder are walked twice: each gives names of its own.

    A folder that vanishes or turns into a link meanwhile is skipped; one that cannot be
    listed is passed to ``onerror`` (default: raise) with its path.
    """
    # Each level: (descriptor, its path, the subfolders still to visit: name and, for a
    # followed link, its descriptor already open).
    stack: list[tuple[int, str, list[tuple[str, int | None]]]] = []
    inside: list[tuple[int, int]] = []  # (device, inode) of each level, when links are followed
    fd: int | None
    fd, path = top, ""
    try:
        while True:
            if fd is not None and follow_link is not None:
                st = os.fstat(fd)
                key = (st.st_dev, st.st_ino)
                if key in inside[: len(stack)]:  # a folder the walk is already inside
                    os.close(fd)
                    fd = None
                else:
                    del inside[len(stack) :]
                    inside.append(key)
            if fd is not None:
                folders: list[tuple[str, int | None]] = []
                stack.append((fd, path, folders))  # closed in the end, whatever happens
                try:
                    entries = _entries(fd)
                except OSError as exc:
                    if onerror is None:
                        raise
                    onerror(exc, path)
                    entries = []
                files = []
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if enter(path, entry.name):
                            folders.append((entry.name, None))
                        continue
                    linked = None
                    if follow_link is not None and entry.is_symlink() and enter(path, entry.name):
                        linked = follow_link(path, entry.name)
                    if linked is None:
                        files.append(entry)
                    else:
                        folders.append((entry.name, linked))
                folders.reverse()  # visited in listing order
                yield path, fd, files
            while stack and not stack[-1][2]:
                done, _, _ = stack.pop()
                if done != top:
                    os.close(done)
            if not stack:
                return
            parent, parent_path, pending = stack[-1]
            name, fd = pending.pop()
            path = f"{parent_path}/{name}" if parent_path else name
            if fd is not None:
                continue
            try:
                fd = _open_subfolder(name, parent)
            except OSError as exc:
                if onerror is None:
                    raise
                onerror(exc, path)
                fd = None
    finally:
        for level, _, pending in stack:
            if level != top:
                os.close(level)
            for _, linked in pending:
                if linked is not None:
                    os.close(linked)


def remove_tree(parent: int, name: str | bytes) -> None:
    """Remove the folder ``name`` of the folder ``parent`` and everything under it.

    Links inside are removed, never followed; an entry that vanishes meanwhile (a concurrent
    delete, a temporary file renamed away) is not an error, and one that turns from a file
    into a folder or back is removed as what it has become. A folder that fills up while
    being removed raises ``ENOTEMPTY`` (the caller may try again). If ``name`` itself is no
    longer a folder, it is unlinked.
    """
    fd = _open_subfolder(os.fsdecode(name), parent)
    if fd is None:
        _unlink(os.fsdecode(name), parent)
        return
    # Each level: (descriptor, name in its parent, entries still to remove).
    stack: list[tuple[int, str, list[os.DirEntry[str]]]] = []
    try:
        stack.append((fd, os.fsdecode(name), _entries(fd)))
        while stack:
            level, level_name, entries = stack[-1]
            if not entries:
                stack.pop()
                os.close(level)
                up = stack[-1][0] if stack else parent
                try:
                    os.rmdir(level_name, dir_fd=up)
                except FileNotFoundError:
                    pass
                continue
            entry = entries.pop()
            if not entry.is_dir(follow_symlinks=False):
                try:
                    os.unlink(entry.name, dir_fd=level)
                    continue
                except FileNotFoundError:
                    continue
                except IsADirectoryError:
                    pass  # a folder took its place since the listing
            sub = _open_subfolder(entry.name, level)
            if sub is None:  # gone, or a link or file took its place
                _unlink(entry.name, level)
                continue
            try:
                stack.append((sub, entry.name, _entries(sub)))
            except BaseException:
                os.close(sub)
                raise
    finally:
        for level, _, _ in stack:
            os.close(level)


def _unlink(name: str, fd: int) -> None:
    try:
        os.unlink(name, dir_fd=fd)
    except (FileNotFoundError, IsADirectoryError):
        pass  # gone, or a folder again: a concurrent writer's, left alone
