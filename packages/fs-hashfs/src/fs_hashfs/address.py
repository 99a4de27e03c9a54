"""Content addresses: what a file's hash becomes as a name, and back.

HashFS lays a file out by its hex digest: the first ``depth`` x ``width`` characters become
``depth`` folders and the rest the file name, with the extension given at ``put``:
``a/b/c/d/ef01…9.jpg`` for sha256, depth 4, width 1 (fs-core's
:func:`~fs_core.naming.hashed_name`, which ``NAMING = 'hash'`` storages use too).
:class:`Layout` holds those three settings; :class:`HashAddress` is what the store returns.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from fs_core import InvalidFilename
from fs_core.naming import hashed_name, validate_name

from .errors import HashFSConfigError

__all__ = ["HashAddress", "Layout", "checked_extension"]

_HEX = re.compile(r"[0-9a-f]+")


@functools.lru_cache(maxsize=256)
def checked_extension(extension: str | None) -> str:
    """``extension`` without its leading dot, if it can end a stored name: no path separator,
    and valid for the core after a 128-character digest; else :class:`~fs_core.InvalidFilename`.
    (Cached: a store sees a handful of extensions.)"""
    ext = (extension or "").lstrip(".")
    if "/" in ext or "\\" in ext:
        raise InvalidFilename(f"The extension {extension!r} must not contain a path separator")
    if ext:
        validate_name(f"{'0' * 128}.{ext}", what="Extension")
    return ext


class HashAddress(NamedTuple):
    """Where a file lives: HashFS's ``HashAddress(id, relpath, abspath, is_duplicate)``.

    ``id`` is the hex digest of the content, ``relpath`` the name in the storage
    (``a/b/c/d/ef….jpg``), ``abspath`` the local path on the local backend and
    ``hashfs://<storage>/<relpath>`` on the others (see the README). ``is_duplicate`` is true
    when :meth:`~fs_hashfs.HashFS.put` found the content already stored and stored nothing.
    """

    id: str
    relpath: str
    abspath: str
    is_duplicate: bool = False


@dataclass(frozen=True)
class Layout:
    """``depth`` folders of ``width`` hex characters, from the ``algorithm``'s digest."""

    depth: int = 4
    width: int = 1
    algorithm: str = "sha256"

    def __post_init__(self) -> None:
        try:
            digest = hashlib.new(self.algorithm)
        except (TypeError, ValueError):
            raise HashFSConfigError(
                f"HASHFS_ALGORITHM {self.algorithm!r} is not a hashlib algorithm"
            ) from None
        if digest.digest_size == 0 or self.algorithm.lower().startswith("shake"):
            raise HashFSConfigError(
                f"HASHFS_ALGORITHM {self.algorithm!r} has no fixed digest size: choose one such as sha256"
            )
        if not (isinstance(self.depth, int) and isinstance(self.width, int)):
            raise HashFSConfigError("HASHFS_DEPTH and HASHFS_WIDTH must be integers")
        if self.depth < 0 or self.width < 1 or self.depth * self.width >= self.id_length:
            raise HashFSConfigError(
                f"HASHFS_DEPTH x HASHFS_WIDTH ({self.depth} x {self.width}) must be shorter than "
                f"the {self.id_length}-character {self.algorithm} digest, with WIDTH at least 1"
            )

    @property
    def id_length(self) -> int:
        """Length of an id: the hex digest of :attr:`algorithm`."""
        return hashlib.new(self.algorithm).digest_size * 2

    def hasher(self) -> Any:
        """A new ``hashlib`` object of :attr:`algorithm`."""
        return hashlib.new(self.algorithm)

    def is_id(self, value: str) -> bool:
        """Whether ``value`` is an id of this layout (a hex digest of the right length)."""
        return len(value) == self.id_length and _HEX.fullmatch(value) is not None

    def relpath(self, id: str, extension: str | None = None) -> str:
        """The name of ``id`` with ``extension`` (``'jpg'`` or ``'.jpg'``) in the storage.

        An extension that would add a folder or leave one (``'x/y'``, ``'/../z'``), or that is
        not a valid name, is :class:`~fs_core.InvalidFilename`; so is an ``id`` that is not a
        digest of this layout. (Folders and base name are hex digits, so the name needs no
        other check.)"""
        if not self.is_id(id):
            raise InvalidFilename(f"{id!r} is not a {self.algorithm} hex digest")
        return hashed_name(id, checked_extension(extension), depth=self.depth, width=self.width)

    def shard(self, id: str) -> list[str]:
        """HashFS's ``shard``: the folders of ``id``, then the rest of it."""
        return self.relpath(id).split("/")

    def unshard(self, relpath: str) -> str:
        """The id a name stands for: its folders and its base name up to the first dot."""
        folders, _, base = relpath.rpartition("/")
        return folders.replace("/", "") + base.partition(".")[0]

    def route_pattern(self) -> str:
        """A regular expression matching exactly the names of this layout (for the route)."""
        rest = self.id_length - self.depth * self.width
        folders = "".join(f"[0-9a-f]{{{self.width}}}/" for _ in range(self.depth))
        return folders + f"[0-9a-f]{{{rest}}}(?:\\.[^/]+)?"
