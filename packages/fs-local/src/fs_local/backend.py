"""The ``local`` backend: files in a directory, written atomically, reached beneath it.

A save writes into an anonymous file (``O_TMPFILE``) in the destination folder and then
gives it its name with ``link``: a create-only save is a single ``link``, which fails if the
name exists (no check-then-write race; of concurrent creators exactly one wins), and a
replacing save links a temporary name and ``rename``\\ s it over the old file. Readers see
the old file or the new one, never a partial one, and an interrupted save leaves nothing: the
anonymous file vanishes with its descriptor. Where ``O_TMPFILE`` is unavailable, a named
temporary file (``.fs-tmp-*``, never listed) takes its place; what a killed process leaves of
those is reported by :meth:`LocalBackend.leftovers` (see :mod:`fs_local.leftovers`).

Every operation starts from a descriptor of the storage's directory and opens names beneath
it with :mod:`fs_local.beneath`: by default no symbolic link leads out of the directory, and
every later step (create, link, rename, unlink, remove a folder) is made relative to the
descriptors so opened, so a link swapped in meanwhile changes nothing.

Configuration (``FS_LOCAL_*`` or ``{NAME}_FS_*``):

* ``ROOT``: the storage's directory (``{NAME}_FS_ROOT``), or the parent of every storage's
  directory (``FS_LOCAL_ROOT``, else ``FS_ROOT``);
* ``FSYNC``: flush each file, its folder and the folders made for it to disk before the save
  returns (off by default);
* ``OFFLOAD``: ``'x-sendfile'`` or ``'x-accel-redirect'`` to let the web server send files,
  with ``OFFLOAD_PREFIX`` the internal location nginx maps to the root
  (``/_fs/{name}/`` by default);
* ``FOLLOW_SYMLINKS``: follow symbolic links wherever they lead, as plain paths do (off by
  default: links leading out of the directory are refused).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import logging
import os
import secrets
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple
from urllib.parse import quote

from werkzeug.wrappers import Response

from fs_core import streams
from fs_core.backend import ATOMIC_CREATE, SERVER_SIDE_COPY, BaseBackend
from fs_core.errors import (
    BackendError,
    ConfigurationError,
    FileExists,
    FileNotFound,
    InvalidFilename,
)
from fs_core.files import mime as guess_mime
from fs_core.leftovers import Leftover
from fs_core.listing import FileInfo
from fs_core.serving import current_environ, http_date

from . import beneath, leftovers, serving, tree
from .errors import disk_error
from .leftovers import TEMP_PREFIX

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["TEMP_PREFIX", "LocalBackend"]

_XATTR_MIME = "user.fs_core.mime"
_XATTR_SUM = "user.fs_core.checksum"
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)
_PROC_FD = "/proc/self/fd"
#: A folder that operations happen in (fsync and O_TMPFILE need more than O_PATH).
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
#: A link to a folder, opened to list what it leads to (a FIFO in its place cannot block).
_LINKED_FOLDER = _FOLDER | os.O_NONBLOCK
#: A folder only looked through (unlink, rename, rmdir in it).
_THROUGH = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
#: A file to read: O_NONBLOCK so that a FIFO in the folder cannot hang the request.
_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


#: Mode of new files before the umask (or a default ACL) of the moment applies, as open() does.
_FILE_MODE = 0o666

logger = logging.getLogger("fs_local")


class LocalBackend(BaseBackend):
    """A local file system storage (Flask-FS's ``LocalBackend``)."""

    capabilities = frozenset({ATOMIC_CREATE, SERVER_SIDE_COPY})
    #: The storage's directory, absolute (always set: the constructor refuses a storage without).
    root: str

    def __init__(self, name: str, config: Any = None) -> None:
        super().__init__(name, config)
        root = self.config.get("root")
        if not root:
            raise ConfigurationError(
                f"Storage {name!r} on the local backend needs a directory: set FS_ROOT, "
                f"FS_LOCAL_ROOT or {name.upper()}_FS_ROOT"
            )
        self.root = os.path.abspath(os.fspath(root))
        self.fsync = self.config.get_bool("fsync")
        self.offload = (self.config.get("offload") or "").lower() or None
        if self.offload not in (None, "x-sendfile", "x-accel-redirect"):
            raise ConfigurationError(
                f"OFFLOAD must be 'x-sendfile' or 'x-accel-redirect', not {self.offload!r}"
            )
        prefix = self.config.get("offload_prefix") or f"/_fs/{name}/"
        self.offload_prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.checksum_algorithm = str(self.config.get("checksum_algorithm", "sha256"))
        try:
            hashlib.new(self.checksum_algorithm).hexdigest()
        except (ValueError, TypeError):  # unknown, or a variable-length digest (shake_*)
            raise ConfigurationError(
                f"CHECKSUM_ALGORITHM {self.checksum_algorithm!r} is not a hashlib algorithm "
                f"with a fixed digest (sha256, sha1, md5, blake2b…)"
            ) from None
        self.follow_symlinks = self.config.get_bool("follow_symlinks")
        #: How names are opened beneath the root: see :mod:`fs_local.beneath`.
        self.resolver = beneath.FOLLOW if self.follow_symlinks else beneath.default_resolver()
        self._tmpfile_ok = bool(_O_TMPFILE) and os.path.isdir(_PROC_FD)

    # -- names and descriptors ------------------------------------------------------------

    def path(self, filename: str) -> str:
        """The absolute path of a file (names reaching here are validated by the core).

        A plain path: whoever opens it follows the links on its way, wherever they lead
        (the backend's own operations do not, unless ``FOLLOW_SYMLINKS`` is set). A segment
        starting with :data:`TEMP_PREFIX` is :class:`InvalidFilename`: such names are
        reserved for temporary files, which :meth:`list_files` never lists.
        """
        segments = filename.split("/")
        if TEMP_PREFIX in filename and any(s.startswith(TEMP_PREFIX) for s in segments):
            raise InvalidFilename(f"{filename!r}: names starting with {TEMP_PREFIX!r} are reserved")
        return os.path.join(self.root, *segments)

    def _rel(self, filename: str) -> bytes:
        """``filename`` as the bytes of its path relative to the root (reserved names and
        names that are not valid UTF-8, such as a surrogate-escaped name, refused)."""
        if TEMP_PREFIX in filename and any(s.startswith(TEMP_PREFIX) for s in filename.split("/")):
            raise InvalidFilename(f"{filename!r}: names starting with {TEMP_PREFIX!r} are reserved")
        try:
            return filename.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidFilename(f"{filename!r} is not valid UTF-8: no stored name can be") from None

    def _refused(self, filename: str, exc: beneath.LinkRefused) -> InvalidFilename:
        """The error for a name whose way goes through a link the policy does not follow."""
        return InvalidFilename(
            f"{filename!r}: {exc.policy}. fs-local does not follow symbolic links out of a "
            f"storage's directory; to follow them anyway, set {self.name.upper()}_FS_FOLLOW_SYMLINKS "
            f"(or FS_LOCAL_FOLLOW_SYMLINKS) to True"
        )

    def _open_root(self, create: bool = False) -> int | None:
        """A descriptor of the root, ``None`` if it does not exist (unless ``create``)."""
        try:
            return os.open(self.root, _FOLDER)
        except FileNotFoundError:
            if not create:
                return None
        except OSError as exc:
            raise disk_error(f"Cannot open the directory {self.root!r}: {exc}", exc) from exc
        try:
            existing = self.root
            while not os.path.isdir(existing) and existing != os.path.dirname(existing):
                existing = os.path.dirname(existing)
            os.makedirs(self.root, exist_ok=True)
            if self.fsync:  # each new folder's entry lives in its parent
                folder = self.root
                while folder != existing:
                    folder = os.path.dirname(folder)
                    _fsync_folder(folder)
            return os.open(self.root, _FOLDER)
        except OSError as exc:
            raise disk_error(f"Cannot create the directory {self.root!r}: {exc}", exc) from exc

    def _open(self, root: int, rel: bytes, flags: int, filename: str) -> int:
        """``rel`` opened beneath ``root`` by the storage's resolver (a refused link is
        :class:`InvalidFilename` naming ``filename``; other errors are ``open``'s)."""
        try:
            return self.resolver.open(root, rel, flags)
        except beneath.LinkRefused as exc:
            raise self._refused(filename, exc) from None

    def _open_file(
        self, filename: str, flags: int = _READ, rel: bytes | None = None
    ) -> tuple[int, os.stat_result]:
        """A descriptor of the regular file ``filename`` (``rel``, if already made) and its
        ``fstat``."""
        if rel is None:
            rel = self._rel(filename)
        root = self._open_root()
        if root is None:
            raise FileNotFound(filename)
        try:
            fd = self._open(root, rel, flags, filename)
        except (FileNotFoundError, NotADirectoryError):
            raise FileNotFound(filename) from None
        except OSError as exc:
            raise disk_error(f"Cannot read {filename!r}: {exc}", exc) from exc
        finally:
            os.close(root)
        try:
            st = os.fstat(fd)
        except OSError as exc:
            os.close(fd)
            raise disk_error(f"Cannot read {filename!r}: {exc}", exc) from exc
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise FileNotFound(filename)
        return fd, st

    def _open_folder(self, rel: bytes, filename: str) -> int:
        """A descriptor of the folder ``rel`` is in, made if missing: one level at a time,
        each opened beneath the root before the next is made in it. ``FileNotFoundError``
        if a concurrent delete pruned a level meanwhile (the caller tries again)."""
        folder = rel.rpartition(b"/")[0]
        root = self._open_root(create=True)
        assert root is not None
        if not folder:
            return root
        try:
            try:
                return self._open(root, folder, _FOLDER, filename)
            except FileNotFoundError:
                pass
            parts = folder.split(b"/")
            parent = root
            try:
                for i, part in enumerate(parts):
                    path = b"/".join(parts[: i + 1])
                    try:
                        fd = self._open(root, path, _FOLDER, filename)
                    except FileNotFoundError:
                        try:
                            os.mkdir(part, 0o777, dir_fd=parent)
                            if self.fsync:  # the new folder's entry lives in its parent
                                os.fsync(parent)
                        except FileExistsError:
                            pass  # made concurrently, or something else is in the way: see below
                        fd = self._open(root, path, _FOLDER, filename)
                    if parent != root:
                        os.close(parent)
                    parent = fd
                return parent
            except BaseException:
                if parent != root:
                    os.close(parent)
                raise
        except NotADirectoryError:
            raise FileExists(filename, message=f"{filename!r}: a file is in the way of its folder") from None
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise disk_error(f"Cannot create the folder of {filename!r}: {exc}", exc) from exc
        finally:
            os.close(root)

    def _prune(self, root: int, folder: bytes) -> None:
        """Remove folders left empty, from ``folder`` up to (not including) the root."""
        while folder:
            parent, _, base = folder.rpartition(b"/")
            try:
                through = self.resolver.open(root, parent, _THROUGH) if parent else root
            except (OSError, InvalidFilename):
                return
            try:
                os.rmdir(base, dir_fd=through)
            except OSError:
                return
            finally:
                if through != root:
                    os.close(through)
            folder = parent

    # -- reading ----------------------------------------------------------------------------

    def exists(self, filename: str) -> bool:
        rel = self._rel(filename)  # a reserved name is an error, not a missing file
        try:
            fd, _ = self._open_file(filename, os.O_PATH | os.O_CLOEXEC, rel)
        except (FileNotFound, InvalidFilename):  # missing, not a regular file, beyond a refused link
            return False  # (a disk that fails is a BackendError, not a missing file)
        os.close(fd)
        return True

    def open_read(self, filename: str) -> BinaryIO:
        fd, st = self._open_file(filename)
        return _reader(fd, st)

    def _stored_mime(self, fd: int) -> str | None:
        """The declared content type kept on the open file ``fd``, if any. (Listed first: most
        files have none, and a missing attribute costs an exception, four times the listing.)"""
        try:
            if _XATTR_MIME not in os.listxattr(fd):
                return None
            return os.getxattr(fd, _XATTR_MIME).decode()
        except OSError:
            return None

    def _cache_key(self, st: os.stat_result) -> str:
        return f"{st.st_mtime_ns}:{st.st_size}:{self.checksum_algorithm}:"

    def _cached_checksum(self, fd: int, st: os.stat_result) -> str | None:
        """The checksum cached on the open file ``fd`` if it is still the file's (same size
        and modification time), else ``None``."""
        key = self._cache_key(st)
        try:
            cached = os.getxattr(fd, _XATTR_SUM).decode()
        except OSError:
            return None
        return cached[len(key) :] if cached.startswith(key) else None

    def _checksum(self, fd: int, st: os.stat_result) -> str:
        """The checksum of the open file ``fd``, cached on that very inode: a path could name
        another file by the time the cache is written (a replacing save of the same size,
        within one clock tick, would then get the old content's checksum)."""
        key = self._cache_key(st)
        cached = self._cached_checksum(fd, st)
        if cached is not None:
            return cached
        hasher = hashlib.new(self.checksum_algorithm)
        with open(fd, "rb", closefd=False) as f:
            streams.copy_stream(f, hasher.update, self.chunk_size)
        value = f"{self.checksum_algorithm}:{hasher.hexdigest()}"
        with contextlib.suppress(OSError):
            os.setxattr(fd, _XATTR_SUM, (key + value).encode())
        return value

    def get_metadata(self, filename: str) -> dict[str, Any]:
        fd, st = self._open_file(filename)
        try:
            return {
                "checksum": self._checksum(fd, st),
                "size": st.st_size,
                "mime": self._stored_mime(fd) or guess_mime(filename),
                "modified": dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc),
            }
        except OSError as exc:
            raise disk_error(f"Cannot read {filename!r}: {exc}", exc) from exc
        finally:
            os.close(fd)

    def scan(self, prefix: str | None = None) -> Iterator[FileInfo]:
        """:meth:`list_files` with each file's ``fstat``: size and date, the stored type, and
        the checksum where one is cached (none is computed: that would read every file)."""
        for name in self.list_files(prefix):
            try:
                fd, st = self._open_file(name)
            except FileNotFound:  # deleted since it was listed
                continue
            try:
                yield FileInfo(
                    name,
                    st.st_size,
                    dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc),
                    self._cached_checksum(fd, st),
                    self._stored_mime(fd) or guess_mime(name),
                )
            finally:
                os.close(fd)

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        """Names of the regular files under ``prefix``, and of links that lead to one, also
        behind links to folders: every link the storage would follow (never into a folder
        the walk is already inside). Never ``.fs-tmp-*``, nor names that are not valid
        UTF-8: no name given to the API can reach those (one warning per listing says which)."""
        folder = (prefix or "").strip("/")
        rel = self._rel(folder) if folder else b""
        root = self._open_root()
        if root is None:
            return
        try:
            if rel:
                try:
                    top = self._open(root, rel, _FOLDER | os.O_NONBLOCK, folder)
                except (FileNotFoundError, NotADirectoryError):
                    return  # a missing folder (or a file) lists nothing
                except OSError as exc:
                    raise disk_error(f"Cannot list {folder!r}: {exc}", exc) from exc
            else:
                top = root
            try:
                yield from self._walk(root, top, folder)
            finally:
                if top != root:
                    os.close(top)
        finally:
            os.close(root)

    def _walk(self, root: int, top: int, folder: str) -> Iterator[str]:
        base = f"{folder}/" if folder else ""
        skipped: list[bytes] = []
        refused: dict[str, None] = {}  # links that lead where the storage does not follow (in order)

        def enter(path: str, name: str) -> bool:
            if name.startswith(TEMP_PREFIX):
                return False
            if not _is_utf8(name):
                skipped.append(os.fsencode(os.path.join(self.root, base + path, name)))
                return False  # nothing under it has a name the API can give
            return True

        def unreadable(exc: OSError, path: str) -> None:
            # A folder that cannot be read must not shorten the listing silently.
            raise disk_error(f"Cannot list {base + path!r}: {exc}", exc) from exc

        def follow_link(path: str, name: str) -> int | None:
            # A link the storage would read through (inside the root, or any with
            # FOLLOW_SYMLINKS) that leads to a folder: its files are names the API can read.
            where = f"{base}{path}/" if path else base
            try:
                return self.resolver.open(root, (where + name).encode(), _LINKED_FOLDER)
            except beneath.LinkRefused:
                refused[where + name] = None
                return None
            except (OSError, InvalidFilename):
                return None

        try:
            for path, _, entries in tree.walk(top, enter=enter, onerror=unreadable, follow_link=follow_link):
                where = f"{base}{path}/" if path else base
                for entry in entries:
                    name = entry.name
                    if name.startswith(TEMP_PREFIX):
                        continue
                    if not _is_utf8(name):
                        skipped.append(os.fsencode(os.path.join(self.root, where, name)))
                        continue
                    if entry.is_file(follow_symlinks=False) or (
                        entry.is_symlink() and self._leads_to_a_file(root, where + name, refused)
                    ):
                        yield where + name
        finally:
            if skipped:
                logger.warning(
                    "Storage %r: %d name(s) on disk are not valid UTF-8 and cannot be addressed "
                    "through the API, so list_files() skips them: %s. Rename them to UTF-8 to "
                    "reach them (convmv -f <their encoding> -t utf-8 --notest, or mv); deleting "
                    "their folder through the API removes them.",
                    self.name,
                    len(skipped),
                    ", ".join(repr(path) for path in skipped[:5]) + (", …" if len(skipped) > 5 else ""),
                )
            if refused:
                # A migration (flask fs sync) reading this storage would miss what they lead
                # to, and a verify of the copy would not see it missing: say so.
                logger.warning(
                    "Storage %r: %d symbolic link(s) lead where it does not follow them (out of "
                    "its directory, or anywhere without openat2), so list_files() skips them: %s. "
                    "To include what they lead to, set "
                    "%s_FS_FOLLOW_SYMLINKS (or FS_LOCAL_FOLLOW_SYMLINKS) to True, or copy it into "
                    "the storage's directory.",
                    self.name,
                    len(refused),
                    ", ".join(repr(name) for name in list(refused)[:5]) + (", …" if len(refused) > 5 else ""),
                    self.name.upper(),
                )

    def _leads_to_a_file(self, root: int, name: str, refused: dict[str, None]) -> bool:
        """Whether the link ``name`` can be read as a file under the storage's policy (one
        the policy refuses is added to ``refused``)."""
        try:
            fd = self.resolver.open(root, name.encode(), os.O_PATH)
        except beneath.LinkRefused:
            refused[name] = None
            return False
        except (OSError, InvalidFilename):
            return False
        try:
            return stat.S_ISREG(os.fstat(fd).st_mode)
        finally:
            os.close(fd)

    # -- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _temporary(self, rel: bytes, filename: str, exclusive: bool) -> Iterator[_Temp]:
        """A file to write into, in ``rel``'s folder: anonymous where the kernel allows it.
        ``exclusive``: :class:`FileExists` at once if the name is taken (the final ``link``
        is the real guard; this spares uploading a file that cannot be stored)."""
        tmp = self._create_temporary(rel, filename, exclusive)
        try:
            yield tmp
        finally:
            _release(tmp)

    def _create_temporary(self, rel: bytes, filename: str, exclusive: bool) -> _Temp:
        """What :meth:`_temporary` yields; the caller releases it (:func:`_release`)."""
        basename = filename.rpartition("/")[2]
        for _ in range(3):
            try:
                dirfd = self._open_folder(rel, filename)
            except FileNotFoundError:
                continue  # a concurrent delete pruned a level as it was made: again
            try:
                if exclusive and _lexists(basename, dirfd):
                    raise FileExists(filename)
                fd, temp = self._open_temporary(dirfd)
            except FileNotFoundError:
                os.close(dirfd)  # pruned after it was opened: again
                continue
            except OSError as exc:
                os.close(dirfd)
                raise disk_error(f"Cannot create a file for {filename!r}: {exc}", exc) from exc
            except BaseException:
                os.close(dirfd)
                raise
            break
        else:
            raise BackendError(
                f"The folder of {filename!r} keeps disappearing (or a broken link is in its way)"
            )
        return _Temp(dirfd, fd, temp)

    def _open_temporary(self, dirfd: int) -> tuple[int, str | None]:
        if self._tmpfile_ok:
            try:
                return os.open(".", _O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, _FILE_MODE, dir_fd=dirfd), None
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                    raise
                self._tmpfile_ok = False
        temp = f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        return os.open(temp, flags, _FILE_MODE, dir_fd=dirfd), temp

    def _fill(self, fd: int, source: Any) -> None:
        """Copy ``source`` into ``fd``; the source's own errors propagate unchanged."""
        if not _kernel_copy(source, fd):
            streams.copy_stream(source, lambda data: _write_all(fd, data), self.chunk_size)

    def _publish(
        self, tmp: _Temp, rel: bytes, filename: str, overwrite: bool, content_type: str | None
    ) -> None:
        """Give the written file its name: ``link`` (create only) or ``rename`` (replace),
        in the folder's descriptor: a link of that name is replaced, never followed."""
        if content_type and content_type != guess_mime(filename):
            with contextlib.suppress(OSError):
                os.setxattr(tmp.fd, _XATTR_MIME, content_type.encode())
        basename = filename.rpartition("/")[2]
        try:
            if self.fsync:
                os.fsync(tmp.fd)
            try:
                _name(tmp, tmp.dirfd, basename, overwrite)
                if self.fsync:
                    os.fsync(tmp.dirfd)
            except FileNotFoundError:
                if tmp.name is not None:
                    raise  # the folder was deleted with the temporary file in it
                # An anonymous file makes no entry, so a concurrent delete of the folder's last
                # file pruned the folder: name the file in the folder made again.
                dirfd = self._open_folder(rel, filename)
                try:
                    _name(tmp, dirfd, basename, overwrite)
                    if self.fsync:
                        os.fsync(dirfd)
                finally:
                    os.close(dirfd)
        except FileExistsError:
            raise FileExists(filename) from None
        except IsADirectoryError:
            raise FileExists(filename, message=f"{filename!r}: a folder of that name exists") from None
        except OSError as exc:
            raise disk_error(f"Cannot write {filename!r}: {exc}", exc) from exc

    def save(
        self,
        file_or_wfs: Any,
        filename: str,
        overwrite: bool = False,
        content_type: str | None = None,
    ) -> str:
        rel = self._rel(filename)
        source = streams.as_stream(file_or_wfs)
        if type(source) is io.BytesIO:  # an upload held in memory: written from its buffer
            return self._save_buffer(source, rel, filename, overwrite, content_type)
        with self._temporary(rel, filename, exclusive=not overwrite) as tmp:
            self._fill(tmp.fd, source)
            self._publish(tmp, rel, filename, overwrite, content_type)
        return filename

    def _save_buffer(
        self, source: io.BytesIO, rel: bytes, filename: str, overwrite: bool, content_type: str | None
    ) -> str:
        """:meth:`save` of what ``source`` holds from its position, written without a copy.
        A create-only save of a large file first checks that the name is free, to spare writing
        a file that cannot be kept; for a small one the write costs less than the check (the
        final ``link`` refuses a taken name all the same)."""
        start = source.tell()
        # getvalue(), not getbuffer(): the bytes the stream holds, without a copy, also where it
        # shares them with the bytes it was made from (a buffer export would copy them first).
        with memoryview(source.getvalue()) as held, held[start:] as data:
            tmp = self._create_temporary(rel, filename, exclusive=not overwrite and len(data) >= _SMALL)
            try:
                if data:
                    _write_all(tmp.fd, data)
                self._publish(tmp, rel, filename, overwrite, content_type)
            finally:
                _release(tmp)
            end = start + len(data)
        source.seek(end)
        return filename

    def open_write(
        self, filename: str, overwrite: bool = True, content_type: str | None = None
    ) -> streams.AtomicWriter:
        return _LocalWriter(self, filename, overwrite, content_type)

    def copy(self, filename: str, target: str, overwrite: bool = False) -> str:
        fd, _ = self._open_file(filename)
        with open(fd, "rb") as source:
            mime = self._stored_mime(fd)
            return self.save(source, target, overwrite=overwrite, content_type=mime)

    def move(self, filename: str, target: str, overwrite: bool = False) -> str:
        source, dest = self._rel(filename), self._rel(target)
        os.close(self._open_file(filename, os.O_PATH | os.O_CLOEXEC)[0])  # a file, reached beneath
        if source == dest:
            return target
        src_folder = source.rpartition(b"/")[0]
        src_base = filename.rpartition("/")[2]
        root = self._open_root()
        if root is None:
            raise FileNotFound(filename)
        try:
            try:
                src_dir = self._open(root, src_folder, _THROUGH, filename) if src_folder else root
            except (FileNotFoundError, NotADirectoryError):
                raise FileNotFound(filename) from None
            except OSError as exc:
                raise disk_error(f"Cannot move {filename!r}: {exc}", exc) from exc
            try:
                self._relink(src_dir, src_base, dest, filename, target, overwrite)
            finally:
                if src_dir != root:
                    os.close(src_dir)
            self._prune(root, src_folder)
        finally:
            os.close(root)
        return target

    def _relink(
        self, src_dir: int, src_base: str, dest: bytes, filename: str, target: str, overwrite: bool
    ) -> None:
        """Move ``src_base`` of the folder ``src_dir`` to ``dest``: ``rename`` (replace), or
        ``link`` and ``unlink`` (create only); neither follows a link at either end."""
        dst_base = target.rpartition("/")[2]
        for _ in range(3):
            try:
                dst_dir = self._open_folder(dest, target)
            except FileNotFoundError:
                continue
            try:
                if overwrite:
                    os.rename(src_base, dst_base, src_dir_fd=src_dir, dst_dir_fd=dst_dir)
                else:
                    os.link(src_base, dst_base, src_dir_fd=src_dir, dst_dir_fd=dst_dir, follow_symlinks=False)
                    os.unlink(src_base, dir_fd=src_dir)
                return
            except FileExistsError:
                raise FileExists(target) from None
            except IsADirectoryError:
                raise FileExists(target, message=f"{target!r}: a folder of that name exists") from None
            except FileNotFoundError:
                if not _lexists(src_base, src_dir):
                    raise FileNotFound(filename) from None
                # the target's folder was pruned by a concurrent delete: again
            except OSError as exc:
                raise disk_error(f"Cannot move {filename!r} to {target!r}: {exc}", exc) from exc
            finally:
                os.close(dst_dir)
        raise BackendError(f"The folder of {target!r} keeps disappearing")

    def delete(self, filename: str) -> None:
        """Delete the file, or the folder and all it holds. A link of that name is removed
        itself (its target, inside the root or not, is never touched); a name whose way
        goes through a link the storage does not follow is :class:`InvalidFilename`."""
        rel = self._rel(filename)
        folder = rel.rpartition(b"/")[0]
        basename = filename.rpartition("/")[2]
        root = self._open_root()
        if root is None:
            return
        try:
            try:
                dirfd = self._open(root, folder, _THROUGH, filename) if folder else root
            except (FileNotFoundError, NotADirectoryError):
                return
            except OSError as exc:
                raise disk_error(f"Cannot delete {filename!r}: {exc}", exc) from exc
            try:
                if not self._remove(dirfd, basename, filename):
                    return
            finally:
                if dirfd != root:
                    os.close(dirfd)
            self._prune(root, folder)
        finally:
            os.close(root)

    def _remove(self, dirfd: int, basename: str, filename: str) -> bool:
        """Remove the entry ``basename`` of the folder ``dirfd`` (a folder with all it holds);
        False if there was none."""
        for attempt in range(3):
            try:
                if stat.S_ISDIR(os.stat(basename, dir_fd=dirfd, follow_symlinks=False).st_mode):
                    tree.remove_tree(dirfd, basename)
                else:
                    try:
                        os.unlink(basename, dir_fd=dirfd)
                    except IsADirectoryError:  # a folder took its place since the stat
                        tree.remove_tree(dirfd, basename)
                return True
            except (FileNotFoundError, NotADirectoryError):
                return False
            except OSError as exc:
                if exc.errno == errno.ENOTEMPTY and attempt < 2:
                    continue  # a concurrent save wrote into the folder: delete that too
                raise disk_error(f"Cannot delete {filename!r}: {exc}", exc) from exc
        return True  # pragma: no cover - the loop returns or raises

    # -- leftovers of interrupted writes ---------------------------------------------------

    def leftovers(self, older_than: float = 0) -> Iterator[Leftover]:
        """The ``.fs-tmp-*`` files under the root last written more than ``older_than``
        seconds ago: what saves killed at the wrong moment left (see :mod:`fs_local.leftovers`)."""
        root = self._open_root()
        if root is None:
            return
        try:
            yield from leftovers.find(root, older_than)
        finally:
            os.close(root)

    def remove_leftover(self, leftover: Leftover) -> None:
        """Remove a temporary file :meth:`leftovers` reported, if it is still there, still the
        same file and still that old (a save that was only slow has written since)."""
        temp = leftover.ref
        if not isinstance(temp, leftovers.TempFile):
            raise InvalidFilename(f"{leftover.what}: not a leftover of fs-local")
        root = self._open_root()
        if root is None:
            return
        try:
            try:
                folder = self.resolver.open(root, temp.folder, _THROUGH) if temp.folder else root
            except (OSError, InvalidFilename):
                return  # its folder is gone (or is a link now): so is the leftover
            try:
                if not leftovers.still_stale(folder, temp):
                    return
                os.unlink(temp.name, dir_fd=folder)
            except FileNotFoundError:
                return
            except OSError as exc:
                raise disk_error(f"Cannot remove {leftover.what}: {exc}", exc) from exc
            finally:
                if folder != root:
                    os.close(folder)
            self._prune(root, temp.folder)
        finally:
            os.close(root)

    # -- serving ----------------------------------------------------------------------------

    def serve(
        self,
        filename: str,
        *,
        environ: WSGIEnvironment | None = None,
        as_attachment: bool = False,
        download_name: str | None = None,
    ) -> Response:
        """The file, opened beneath the root, sent from its descriptor (or, with ``OFFLOAD``,
        checked the same way and left to the web server, which resolves the path itself).
        The core sets the disposition on this response, offloaded or not."""
        environ = environ if environ is not None else current_environ()  # an override's super()
        fd, st = self._open_file(filename)
        owned = True  # until a file object (and then the response) takes the descriptor over
        try:
            mimetype = self._stored_mime(fd) or guess_mime(filename, self.DEFAULT_MIME)
            if self.offload == "x-accel-redirect":
                rv = Response(mimetype=mimetype)
                headers = rv.headers  # two headers it has not got: added, not searched for
                headers.add("X-Accel-Redirect", self.offload_prefix + quote(filename))
                headers.add("Last-Modified", http_date(st.st_mtime))
                return rv
            path = self.path(filename)
            etag = serving.path_etag(path, st)
            if self.offload == "x-sendfile":
                # mod_xsendfile url-decodes the header (XSendFileUnescape, on by default), and a
                # header carries ASCII only: a raw 'a%41.txt' would name 'aA.txt', 'файл' is refused.
                return serving.file_response(
                    environ, None, st, mimetype=mimetype, etag=etag, x_sendfile=quote(path)
                )
            file = _reader(fd, st)  # the response closes it
            owned = False
        finally:
            if owned:
                os.close(fd)
        return serving.file_response(environ, file, st, mimetype=mimetype, etag=etag)


def _fsync_folder(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reader(fd: int, st: os.stat_result) -> BinaryIO:
    """A buffered reader that owns ``fd``, as ``open(path, 'rb')`` makes (its buffer the size
    of the file system's blocks), without the ``isatty`` call ``open`` makes to choose it."""
    return open(fd, "rb", buffering=st.st_blksize if st.st_blksize > 1 else io.DEFAULT_BUFFER_SIZE)


def _lexists(name: str, dirfd: int) -> bool:
    """Whether the folder ``dirfd`` has an entry ``name`` (a link counts, followed or not)."""
    try:
        os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def _is_utf8(name: str) -> bool:
    """Whether a name read from the disk was valid UTF-8 (else ``os`` surrogate-escaped it)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _write_all(fd: int, data: Any) -> int:
    """Write all of ``data`` (bytes or a buffer); the number of bytes written."""
    try:
        total = os.write(fd, data)
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if total < size:  # a short write: the rest, from where it stopped
            with memoryview(data) as view, view.cast("B") as rest:
                while total < size:
                    total += os.write(fd, rest[total:])
    except OSError as exc:
        raise disk_error(f"Cannot write to disk: {exc}", exc) from exc
    return total


class _Temp(NamedTuple):
    dirfd: int
    fd: int
    name: str | None  # None: anonymous (O_TMPFILE)


def _release(tmp: _Temp) -> None:
    """Close a temporary file, and remove it if it has a name (it was not published)."""
    os.close(tmp.fd)
    if tmp.name is not None:
        with contextlib.suppress(OSError):
            os.unlink(tmp.name, dir_fd=tmp.dirfd)
    os.close(tmp.dirfd)


#: Below this many bytes a create-only save of an in-memory upload skips its early check of
#: the name.
_SMALL = 64 << 10


def _name(tmp: _Temp, dirfd: int, basename: str, overwrite: bool) -> None:
    """Link or rename the temporary file as ``basename`` in the folder ``dirfd``."""
    if tmp.name is not None:
        if overwrite:
            os.replace(tmp.name, basename, src_dir_fd=tmp.dirfd, dst_dir_fd=dirfd)
        else:
            os.link(tmp.name, basename, src_dir_fd=tmp.dirfd, dst_dir_fd=dirfd, follow_symlinks=False)
    elif not overwrite:
        # linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N names the anonymous file.
        os.link(f"{_PROC_FD}/{tmp.fd}", basename, dst_dir_fd=dirfd)
    else:
        while True:
            named = f"{TEMP_PREFIX}{secrets.token_hex(8)}"
            try:
                os.link(f"{_PROC_FD}/{tmp.fd}", named, dst_dir_fd=dirfd)
                break
            except FileExistsError:
                continue
        try:
            os.replace(named, basename, src_dir_fd=dirfd, dst_dir_fd=dirfd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(named, dir_fd=dirfd)
            raise


class _LocalWriter(streams.AtomicWriter):
    """``open(name, 'wb')``: writes straight into the temporary file, named on close."""

    def __init__(
        self, backend: LocalBackend, filename: str, overwrite: bool, content_type: str | None
    ) -> None:
        super().__init__()
        self._done = True  # nothing to commit or discard until the temporary file exists
        self._backend = backend
        self._filename = filename
        self._overwrite = overwrite
        self._content_type = content_type
        self._rel = backend._rel(filename)
        self._cm = backend._temporary(self._rel, filename, exclusive=not overwrite)
        self._tmp = self._cm.__enter__()
        self._done = False

    def _write(self, data: Any) -> int:
        return _write_all(self._tmp.fd, data)

    def _commit(self) -> None:
        try:
            self._backend._publish(self._tmp, self._rel, self._filename, self._overwrite, self._content_type)
        finally:
            self._cm.__exit__(None, None, None)

    def _discard(self) -> None:
        with contextlib.suppress(Exception):
            self._cm.__exit__(None, None, None)


def _kernel_copy(source: Any, fd: int) -> bool:
    """Copy a regular file's remaining bytes into ``fd`` inside the kernel, if possible."""
    try:
        fileno = source.fileno()
        st = os.fstat(fileno)
        if not stat.S_ISREG(st.st_mode):
            return False
        offset = source.tell()
    except (AttributeError, OSError, ValueError):
        return False
    start = offset
    try:
        while offset < st.st_size:
            n = os.copy_file_range(fileno, fd, st.st_size - offset, offset_src=offset)
            if n == 0:
                break
            offset += n
    except OSError as exc:
        if offset != start:  # too late to fall back: the disk (or the source) failed midway
            raise disk_error(f"Cannot write to disk: {exc}", exc) from exc
        return False
    source.seek(offset)
    return True
