"""``HashFS``: HashFS's content-addressed store, on an fs-core storage instead of a directory.

Every operation goes through the storage's public API, so the store works on any backend
(local, S3, Swift, GridFS, memory) and inherits the core's guarantees: names are validated
before a backend sees them, writes are atomic, create-only writes race-free where the backend
says so (``fs_core.ATOMIC_CREATE``).

What HashFS did that this does not:

* read a file twice (once to hash it, once to copy it), each time whole into memory: here
  the content is read once, hashed on its way into a spool (memory up to 8 MiB, then an
  anonymous temporary file), and the spool is uploaded only if the address is not taken;
* open, resolve or delete any absolute path on the machine: here an absolute path counts
  only if it lies inside the store, and the rest of it must be a valid storage name;
* open stored files for writing (which breaks their address): only ``'rb'`` and ``'r'``;
* lose data in ``repair`` when two files hold each other's content (it deleted one of them).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import IO, Any

from fs_core import FileExists, InvalidFilename, OperationNotSupported, Storage, file_uploaded
from fs_core.content_types import content_type_for
from fs_core.naming import validate_name
from fs_core.streams import HashingReader, LimitedReader, as_stream, copy_stream, spooled

from .address import HashAddress, Layout, checked_extension
from .errors import AddressNotFound, UnreadableSource

__all__ = ["READ_MODES", "REMOTE_SCHEME", "HashFS"]

#: ``abspath`` on backends without local files: ``hashfs://<storage name>/<relpath>``.
REMOTE_SCHEME = "hashfs://"
#: Modes :meth:`HashFS.open` accepts: files are named by their content, so never written.
READ_MODES = ("r", "rb", "rt")


class HashFS:
    """A content-addressed store on ``storage`` (HashFS's API; ``root`` becomes a storage).

    :param storage: an :class:`fs_core.Storage`, configured for the app(s) that use the store.
    :param depth: folders made of the digest's first characters (4).
    :param width: characters per folder (1).
    :param algorithm: a hashlib algorithm with a fixed digest size (``'sha256'``).
    """

    def __init__(self, storage: Storage, depth: int = 4, width: int = 1, algorithm: str = "sha256") -> None:
        self.storage = storage
        self.layout = Layout(depth, width, algorithm)

    def __repr__(self) -> str:
        return f"<HashFS on {self.storage!r} {self.algorithm} {self.depth}x{self.width}>"

    @property
    def depth(self) -> int:
        return self.layout.depth

    @property
    def width(self) -> int:
        return self.layout.width

    @property
    def algorithm(self) -> str:
        return self.layout.algorithm

    @property
    def root(self) -> str:
        """The storage's local directory, or ``hashfs://<storage name>`` on a remote backend."""
        local = self.storage.root
        return local if local is not None else f"{REMOTE_SCHEME}{self.storage.name}"

    # -- writing ------------------------------------------------------------------------

    def put(self, file: Any, extension: str | None = None) -> HashAddress:
        """Store the content of ``file`` (a readable object, a werkzeug ``FileStorage``, or
        the path of a local file) under its hash, with ``extension``; return its
        :class:`HashAddress`.

        The content is read once, from the start of a seekable object (whose position is
        then put back, as HashFS did), hashed on its way into a spool, and stored only if no
        file has that address yet: ``is_duplicate`` says it was there already. Two puts of the
        same content at once, from threads, processes or machines, store it once: where the
        backend has atomic create-only writes (``fs_core.ATOMIC_CREATE``) exactly one of them
        writes; elsewhere (Swift) both may write the same bytes to the same name. The
        storage's ``MAX_SIZE`` applies (:class:`fs_core.FileTooLarge`, nothing stored). A put
        runs no upload hook (a processor that changed the bytes would break the address);
        the ``file_uploaded`` signal is sent when a file is stored.
        """
        checked_extension(extension)  # a bad extension fails before anything is read
        limit = self.storage.config.get_int("max_size")
        hasher = self.layout.hasher()
        with (
            _source(file) as source,
            spooled(LimitedReader(source, limit) if limit else source, hasher) as spool,
        ):
            id = hasher.hexdigest()
            name = self.layout.relpath(id, extension)
            stored = self._store(spool, name)
        return HashAddress(id, name, self.abspath(name), not stored)

    def _store(self, spool: IO[bytes], name: str) -> bool:
        """Upload ``spool`` as ``name`` unless a file has that name; whether it was stored.
        (``name`` is an address of the layout: the backend is called directly.)"""
        backend = self.storage.backend
        if backend.exists(name):
            return False
        try:
            backend.save(spool, name, overwrite=False, content_type=content_type_for(name))
        except FileExists:  # another put of the same content won the race
            return False
        file_uploaded.send(self.storage, filename=name)
        return True

    # -- finding ------------------------------------------------------------------------

    def get(self, file: Any) -> HashAddress | None:
        """The :class:`HashAddress` of an id, a relative path, an absolute path (or
        ``hashfs://`` path) inside the store, or a :class:`HashAddress`; ``None`` if that
        names no file of the store."""
        name = self._name(file)
        if name is None:
            return None
        return HashAddress(self.layout.unshard(name), name, self.abspath(name))

    def exists(self, file: Any) -> bool:
        """Whether :meth:`get` finds a file."""
        return self._name(file) is not None

    __contains__ = exists

    def open(self, file: Any, mode: str = "rb") -> IO[Any]:
        """A stream of the file an id or path names (``'rb'``, or ``'r'`` for text);
        :class:`AddressNotFound` (an ``IOError``, as in HashFS) if there is none."""
        if mode not in READ_MODES:
            raise OperationNotSupported(
                f"Content-addressed files are read-only: open them with 'rb' or 'r', not {mode!r}"
            )
        name = self._name(file)
        if name is None:
            raise AddressNotFound(file)
        return self.storage.open(name, mode)

    def delete(self, file: Any) -> None:
        """Delete the file an id or path names; nothing happens if there is none (and never
        to a path outside the store). Folders left empty go with it on local disks."""
        name = self._name(file)
        if name is not None:
            self.storage.delete(name)

    def abspath(self, relpath: str) -> str:
        """The absolute path of a name: local on the local backend, ``hashfs://`` elsewhere."""
        if not relpath:
            return self.root
        backend = self.storage.backend
        name = validate_name(relpath)
        if backend.root is not None:
            return backend.path(name)
        return f"{REMOTE_SCHEME}{self.storage.name}/{name}"

    def relpath(self, path: str) -> str:
        """The name in the storage of an absolute path inside the store (HashFS's
        ``relpath``); ``ValueError`` for a path outside it."""
        name = self._inside(path)
        if name is None:
            raise InvalidFilename(f"{path!r} is not inside the store {self.root!r}")
        return name

    def idpath(self, id: str, extension: str | None = None) -> str:
        """The absolute path ``id`` with ``extension`` has (or would have)."""
        return self.abspath(self.layout.relpath(id, extension))

    def shard(self, id: str) -> list[str]:
        """The folders of ``id``, then the rest of it."""
        return self.layout.shard(id)

    def unshard(self, path: str) -> str:
        """The id of an absolute path inside the store, or of a relative path."""
        name = self.relpath(path) if _is_absolute(path) else validate_name(path)
        return self.layout.unshard(name)

    def realpath(self, file: Any) -> str | None:
        """The absolute path of the file an id or path names, or ``None``."""
        name = self._name(file)
        return None if name is None else self.abspath(name)

    def computehash(self, stream: Any) -> str:
        """The hex digest of a readable object's content (from its start, if it can seek)."""
        hasher = self.layout.hasher()
        with _source(stream) as source:
            copy_stream(HashingReader(source, hasher), lambda data: None)
        return str(hasher.hexdigest())

    def _name(self, file: Any) -> str | None:
        """The storage name of an existing file that ``file`` designates, or ``None``.

        An absolute path (or ``hashfs://`` path) counts only if it lies inside the store and
        names an existing file: it is never looked up anywhere else. A relative path is a
        name in the storage; an id is looked up without, then with, an extension.
        """
        if isinstance(file, HashAddress):
            file = file.relpath
        elif isinstance(file, os.PathLike):
            file = os.fspath(file)
        if not isinstance(file, str) or not file:
            return None
        if _is_absolute(file):
            name = self._inside(file)
            return name if name is not None and self._exists(name) else None
        name = _valid(file)
        if name is not None and self._exists(name):
            return name
        return self._find_id(file) if self.layout.is_id(file) else None

    def _exists(self, name: str) -> bool:
        """Whether the storage holds ``name``; a name the backend reserves for itself
        (fs-s3's probe) names no file of the store."""
        try:
            return self.storage.exists(name)
        except InvalidFilename:
            return False

    def _inside(self, path: str) -> str | None:
        """The valid storage name below the store's root that ``path`` spells, or ``None``.

        Only the text is compared (the path is never opened or resolved): the root as the
        backend has it, or with its links resolved, then a name the core accepts."""
        root = self.storage.root
        if root is None:
            roots = [f"{REMOTE_SCHEME}{self.storage.name}/"]
        else:
            roots = [os.path.join(root, ""), os.path.join(os.path.realpath(root), "")]
        for start in roots:
            if path.startswith(start):
                rest = path[len(start) :]
                return _valid(rest.replace(os.sep, "/") if root is not None and os.sep != "/" else rest)
        return None

    def _find_id(self, id: str) -> str | None:
        """The file of ``id``: without an extension, else the first with one (HashFS's glob)."""
        bare = self.layout.relpath(id)
        if self.storage.exists(bare):
            return bare
        folder, _, base = bare.rpartition("/")
        found = sorted(
            name
            for name in self.storage.list_files(folder or None)
            if name.rpartition("/")[0] == folder and name.rpartition("/")[2].startswith(f"{base}.")
        )
        return found[0] if found else None

    # -- listing ------------------------------------------------------------------------

    def files(self) -> Iterator[str]:
        """The absolute path of every file of the store (in no particular order)."""
        for name in self.storage.list_files():
            yield self.abspath(name)

    __iter__ = files

    def folders(self) -> Iterator[str]:
        """The absolute path of every folder that holds files (the root, if files are there)."""
        seen: set[str] = set()
        for name in self.storage.list_files():
            folder = name.rpartition("/")[0]
            if folder not in seen:
                seen.add(folder)
                yield self.abspath(folder)

    def count(self) -> int:
        """How many files the store holds."""
        return sum(1 for _ in self.storage.list_files())

    __len__ = count

    def size(self) -> int:
        """The total size of the files, in bytes."""
        backend = self.storage.backend
        return sum(int(backend.metadata(name)["size"]) for name in self.storage.list_files())

    # -- repair -------------------------------------------------------------------------

    def corrupted(self, extensions: bool = True) -> Iterator[tuple[str, HashAddress]]:
        """``(abspath, expected address)`` for each file whose content does not match its
        address (content changed, or a file put there by other means). With ``extensions``,
        the expected address keeps the file's extension."""
        for name, address in self._corrupted(extensions):
            yield self.abspath(name), address

    def _corrupted(self, extensions: bool) -> Iterator[tuple[str, HashAddress]]:
        for name in list(self.storage.list_files()):
            with self.storage.open(name, "rb") as stream:
                id = self.computehash(stream)
            expected = self.layout.relpath(id, _extension(name) if extensions else None)
            if expected != name:
                yield name, HashAddress(id, expected, self.abspath(expected))

    def repair(self, extensions: bool = True) -> list[tuple[str, HashAddress]]:
        """Move each :meth:`corrupted` file to the address of its content; where a file with
        that content is there already, delete the misplaced copy. Returns ``(former abspath,
        address)`` for each file repaired.

        Unlike HashFS, a file is deleted only once the file at its address is verified to
        hold the same content: files that hold each other's content are swapped, not lost.
        """
        backend = self.storage.backend
        pending = {name: (self.abspath(name), address) for name, address in self._corrupted(extensions)}
        repaired: list[tuple[str, HashAddress]] = []
        for _ in range(2 * len(pending) + 1):  # each round moves a file, or sets one aside
            if not pending:
                break
            progress = False
            for name, (former, address) in list(pending.items()):
                try:
                    backend.move(name, address.relpath, overwrite=False)
                except FileExists:
                    if not self._holds(address.relpath, address.id):
                        continue  # another misplaced file sits there: it moves first
                    self.storage.delete(name)
                del pending[name]
                repaired.append((former, address))
                progress = True
            if not progress:  # files holding each other's content: set one aside
                name = next(iter(pending))
                aside = validate_name(f"{name}.repair-{uuid.uuid4().hex[:12]}")
                backend.move(name, aside, overwrite=False)
                pending[aside] = pending.pop(name)
        return repaired

    def _holds(self, name: str, id: str) -> bool:
        """Whether the file ``name`` holds the content whose id is ``id``."""
        with self.storage.open(name, "rb") as stream:
            return self.computehash(stream) == id


def _valid(name: str) -> str | None:
    try:
        return validate_name(name)
    except InvalidFilename:
        return None


def _is_absolute(path: str) -> bool:
    return path.startswith(REMOTE_SCHEME) or os.path.isabs(path)


def _extension(name: str) -> str:
    """Everything after the first dot of the base name (hex digests have none)."""
    base = name.rpartition("/")[2]
    _, dot, ext = base.partition(".")
    return f"{dot}{ext}"


@contextlib.contextmanager
def _source(file: Any) -> Iterator[Any]:
    """A binary stream of ``file``: a path is opened (and closed); a seekable object is read
    from its start and its position put back afterwards, as HashFS's ``Stream`` did."""
    if isinstance(file, (str, os.PathLike)):
        try:
            opened = open(file, "rb")  # noqa: SIM115  (closed below)
        except OSError as exc:
            raise UnreadableSource(f"Cannot read {os.fspath(file)!r}: {exc.strerror or exc}") from exc
        with opened:
            yield opened
        return
    if not (hasattr(file, "read") or hasattr(getattr(file, "stream", None), "read")):
        raise UnreadableSource(
            f"put() takes a readable object or the path of a file, not {type(file).__name__}"
        )
    stream = as_stream(file)
    start = None
    with contextlib.suppress(AttributeError, OSError, ValueError):
        if stream.seekable():
            start = stream.tell()
            stream.seek(0)
    try:
        yield stream
    finally:
        if start is not None:
            stream.seek(start)
