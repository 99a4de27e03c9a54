"""The ``local`` backend: files in a directory, written atomically.

A save writes into an anonymous file (``O_TMPFILE``) in the destination folder and then
gives it its name with ``link``: a create-only save is a single ``link``, which fails if the
name exists (no check-then-write race; of concurrent creators exactly one wins), and a
replacing save links a temporary name and ``rename``\\ s it over the old file. Readers see
the old file or the new one, never a partial one, and an interrupted save leaves nothing: the
anonymous file vanishes with its descriptor. Where ``O_TMPFILE`` is unavailable, a named
temporary file (``.fs-tmp-*``, never listed) takes its place.

Configuration (``FS_LOCAL_*`` or ``{NAME}_FS_*``):

* ``ROOT``: the storage's directory (``{NAME}_FS_ROOT``), or the parent of every storage's
  directory (``FS_LOCAL_ROOT``, else ``FS_ROOT``);
* ``FSYNC``: flush each file, its folder and the folders made for it to disk before the save
  returns (off by default);
* ``OFFLOAD``: ``'x-sendfile'`` or ``'x-accel-redirect'`` to let the web server send files,
  with ``OFFLOAD_PREFIX`` the internal location nginx maps to the root
  (``/_fs/{name}/`` by default).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import quote

from flask import request
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from fs_core import streams
from fs_core.backend import ATOMIC_CREATE, SERVER_SIDE_COPY, BaseBackend
from fs_core.errors import BackendError, ConfigurationError, FileExists, FileNotFound, InvalidFilename
from fs_core.files import mime as guess_mime

__all__ = ["TEMP_PREFIX", "LocalBackend"]

#: Prefix of named temporary files (only used where O_TMPFILE is not supported).
TEMP_PREFIX = ".fs-tmp-"
_XATTR_MIME = "user.fs_core.mime"
_XATTR_SUM = "user.fs_core.checksum"
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)
_PROC_FD = "/proc/self/fd"


#: Mode of new files before the umask (or a default ACL) of the moment applies, as open() does.
_FILE_MODE = 0o666


class LocalBackend(BaseBackend):
    """A local file system storage (Flask-FS's ``LocalBackend``)."""

    capabilities = frozenset({ATOMIC_CREATE, SERVER_SIDE_COPY})

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
        self._tmpfile_ok = bool(_O_TMPFILE) and os.path.isdir(_PROC_FD)

    # -- paths ----------------------------------------------------------------------------

    def path(self, filename: str) -> str:
        """The absolute path of a file (names reaching here are validated by the core).

        A segment starting with :data:`TEMP_PREFIX` is :class:`InvalidFilename`: such names
        are reserved for temporary files, which :meth:`list_files` never lists.
        """
        segments = filename.split("/")
        if TEMP_PREFIX in filename and any(s.startswith(TEMP_PREFIX) for s in segments):
            raise InvalidFilename(f"{filename!r}: names starting with {TEMP_PREFIX!r} are reserved")
        return os.path.join(self.root, *segments)

    def _parent(self, dest: str, filename: str) -> str:
        """``dest``'s folder, created if missing (with ``FSYNC``, durably)."""
        parent = os.path.dirname(dest)
        if os.path.isdir(parent):
            return parent
        missing, existing = [], parent
        while existing != os.path.dirname(existing) and not os.path.isdir(existing):
            missing.append(existing)
            existing = os.path.dirname(existing)
        try:
            os.makedirs(parent, exist_ok=True)
            if self.fsync:
                # Each new folder's entry lives in its parent: flush those (the file's own
                # folder is flushed when the file is named in it).
                for folder in [existing, *missing[1:]]:
                    _fsync_folder(folder)
        except (FileExistsError, NotADirectoryError):
            raise FileExists(f"{filename}: a file is in the way of its folder") from None
        except OSError as exc:
            raise BackendError(f"Cannot create the folder of {filename!r}: {exc}", exc) from exc
        return parent

    # -- reading ----------------------------------------------------------------------------

    def exists(self, filename: str) -> bool:
        return os.path.isfile(self.path(filename))

    def open_read(self, filename: str) -> BinaryIO:
        try:
            return open(self.path(filename), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise FileNotFound(filename) from None
        except OSError as exc:
            raise BackendError(f"Cannot read {filename!r}: {exc}", exc) from exc

    def _stat(self, filename: str) -> os.stat_result:
        try:
            st = os.stat(self.path(filename))
        except (FileNotFoundError, NotADirectoryError):
            raise FileNotFound(filename) from None
        except OSError as exc:
            raise BackendError(f"Cannot read {filename!r}: {exc}", exc) from exc
        if not stat.S_ISREG(st.st_mode):
            raise FileNotFound(filename)
        return st

    def _stored_mime(self, file: str | int) -> str | None:
        """The declared content type kept on the file (a path or a descriptor), if any."""
        try:
            return os.getxattr(file, _XATTR_MIME).decode()
        except OSError:
            return None

    def _checksum(self, fd: int, st: os.stat_result) -> str:
        """The checksum of the open file ``fd``, cached on that very inode: a path could name
        another file by the time the cache is written (a replacing save of the same size,
        within one clock tick, would then get the old content's checksum)."""
        key = f"{st.st_mtime_ns}:{st.st_size}:{self.checksum_algorithm}:"
        try:
            cached = os.getxattr(fd, _XATTR_SUM).decode()
            if cached.startswith(key):
                return cached[len(key) :]
        except OSError:
            pass
        hasher = hashlib.new(self.checksum_algorithm)
        with open(fd, "rb", closefd=False) as f:
            streams.copy_stream(f, hasher.update, self.chunk_size)
        value = f"{self.checksum_algorithm}:{hasher.hexdigest()}"
        with contextlib.suppress(OSError):
            os.setxattr(fd, _XATTR_SUM, (key + value).encode())
        return value

    def get_metadata(self, filename: str) -> dict[str, Any]:
        try:  # O_NONBLOCK: a FIFO in the folder must not hang the request
            fd = os.open(self.path(filename), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise FileNotFound(filename) from None
        except OSError as exc:
            raise BackendError(f"Cannot read {filename!r}: {exc}", exc) from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise FileNotFound(filename)
            return {
                "checksum": self._checksum(fd, st),
                "size": st.st_size,
                "mime": self._stored_mime(fd) or guess_mime(filename),
                "modified": dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc),
            }
        except OSError as exc:
            raise BackendError(f"Cannot read {filename!r}: {exc}", exc) from exc
        finally:
            os.close(fd)

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        top = self.path(prefix) if prefix else self.root
        base = len(self.root) + 1

        def unreadable(exc: OSError) -> None:
            # A folder that is missing (the root before the first save, a prefix, one deleted
            # meanwhile) or is a file lists nothing; one that cannot be read must not shorten
            # the listing silently.
            if not isinstance(exc, (FileNotFoundError, NotADirectoryError)):
                raise BackendError(f"Cannot list {exc.filename!r}: {exc}", exc) from exc

        for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable):
            dirnames[:] = [d for d in dirnames if not d.startswith(TEMP_PREFIX)]
            for filename in filenames:
                if not filename.startswith(TEMP_PREFIX):
                    yield os.path.join(dirpath, filename)[base:].replace(os.sep, "/")

    # -- writing ----------------------------------------------------------------------------

    def _open_folder(self, dest: str, filename: str) -> int:
        """A descriptor of ``dest``'s folder, created if missing."""
        for _ in range(3):
            parent = self._parent(dest, filename)
            try:
                return os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # a concurrent delete pruned it between makedirs and open: again
            except OSError as exc:
                raise BackendError(f"Cannot open the folder {parent!r}: {exc}", exc) from exc
        raise BackendError(f"The folder of {filename!r} keeps disappearing")

    @contextlib.contextmanager
    def _temporary(self, dest: str, filename: str) -> Iterator[_Temp]:
        """A file to write into, in ``dest``'s folder: anonymous where the kernel allows it."""
        for _ in range(3):
            dirfd = self._open_folder(dest, filename)
            try:
                fd, temp = self._open_temporary(dirfd)
            except FileNotFoundError:
                os.close(dirfd)  # pruned after it was opened: again
                continue
            except OSError as exc:
                os.close(dirfd)
                raise BackendError(f"Cannot create a file for {filename!r}: {exc}", exc) from exc
            break
        else:
            raise BackendError(f"The folder of {filename!r} keeps disappearing")
        try:
            yield _Temp(dirfd, fd, temp)
        finally:
            os.close(fd)
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp, dir_fd=dirfd)
            os.close(dirfd)

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
        self, tmp: _Temp, dest: str, filename: str, overwrite: bool, content_type: str | None
    ) -> None:
        """Give the written file its name: ``link`` (create only) or ``rename`` (replace)."""
        if content_type and content_type != guess_mime(filename):
            with contextlib.suppress(OSError):
                os.setxattr(tmp.fd, _XATTR_MIME, content_type.encode())
        basename = os.path.basename(dest)
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
                dirfd = self._open_folder(dest, filename)
                try:
                    _name(tmp, dirfd, basename, overwrite)
                    if self.fsync:
                        os.fsync(dirfd)
                finally:
                    os.close(dirfd)
        except FileExistsError:
            raise FileExists(filename) from None
        except IsADirectoryError:
            raise FileExists(f"{filename}: a folder of that name exists") from None
        except OSError as exc:
            raise BackendError(f"Cannot write {filename!r}: {exc}", exc) from exc

    def save(
        self,
        file_or_wfs: Any,
        filename: str,
        overwrite: bool = False,
        content_type: str | None = None,
    ) -> str:
        dest = self.path(filename)
        if not overwrite and os.path.lexists(dest):
            raise FileExists(filename)  # fail fast; the link below is the real guard
        source = streams.as_stream(file_or_wfs)
        with self._temporary(dest, filename) as tmp:
            self._fill(tmp.fd, source)
            self._publish(tmp, dest, filename, overwrite, content_type)
        return filename

    def open_write(
        self, filename: str, overwrite: bool = True, content_type: str | None = None
    ) -> streams.AtomicWriter:
        if not overwrite and os.path.lexists(self.path(filename)):
            raise FileExists(filename)
        return _LocalWriter(self, filename, overwrite, content_type)

    def copy(self, filename: str, target: str, overwrite: bool = False) -> str:
        with self.open_read(filename) as source:
            mime = self._stored_mime(self.path(filename))
            return self.save(source, target, overwrite=overwrite, content_type=mime)

    def move(self, filename: str, target: str, overwrite: bool = False) -> str:
        self._stat(filename)
        source, dest = self.path(filename), self.path(target)
        if source == dest:
            return target
        for _ in range(3):
            self._parent(dest, target)
            try:
                if overwrite:
                    os.replace(source, dest)
                else:
                    os.link(source, dest)
                    os.unlink(source)
                break
            except FileExistsError:
                raise FileExists(target) from None
            except IsADirectoryError:
                raise FileExists(f"{target}: a folder of that name exists") from None
            except FileNotFoundError:
                if not os.path.lexists(source):
                    raise FileNotFound(filename) from None
                # the target's folder was pruned by a concurrent delete: again
            except OSError as exc:
                raise BackendError(f"Cannot move {filename!r} to {target!r}: {exc}", exc) from exc
        else:
            raise BackendError(f"The folder of {target!r} keeps disappearing")
        self._prune(os.path.dirname(source))
        return target

    def delete(self, filename: str) -> None:
        path = self.path(filename)
        for attempt in range(3):
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    _rmtree(path)
                else:
                    os.unlink(path)
                break
            except (FileNotFoundError, NotADirectoryError):
                return
            except OSError as exc:
                if exc.errno == errno.ENOTEMPTY and attempt < 2:
                    continue  # a concurrent save wrote into the folder: delete that too
                raise BackendError(f"Cannot delete {filename!r}: {exc}", exc) from exc
        self._prune(os.path.dirname(path))

    def _prune(self, folder: str) -> None:
        """Remove folders left empty, up to (not including) the root."""
        while len(folder) > len(self.root) and folder.startswith(self.root + os.sep):
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = os.path.dirname(folder)

    # -- serving ----------------------------------------------------------------------------

    def serve(
        self, filename: str, *, as_attachment: bool = False, download_name: str | None = None
    ) -> Response:
        # The disposition is set by the core on this response, offloaded or not.
        path = self.path(filename)
        mimetype = self._stored_mime(path) or guess_mime(filename, self.DEFAULT_MIME)
        if self.offload is None:
            try:  # send_file stats and opens the file itself: no check of our own first
                return send_file(path, request.environ, mimetype=mimetype, conditional=True, etag=True)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise FileNotFound(filename) from None
            except OSError as exc:
                raise BackendError(f"Cannot read {filename!r}: {exc}", exc) from exc
        st = self._stat(filename)  # the web server would answer for a missing file otherwise
        if self.offload == "x-accel-redirect":
            rv = Response(mimetype=mimetype)
            rv.headers["X-Accel-Redirect"] = self.offload_prefix + quote(filename)
            rv.last_modified = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc)
            return rv
        rv = send_file(
            path, request.environ, mimetype=mimetype, conditional=True, etag=True, use_x_sendfile=True
        )
        # mod_xsendfile url-decodes the header (XSendFileUnescape, on by default), and a header
        # carries ASCII only: a raw 'a%41.txt' would name 'aA.txt', a raw 'файл' is refused.
        rv.headers["X-Sendfile"] = quote(path)
        return rv


def _rmtree(path: str) -> None:
    """``shutil.rmtree``, going on past entries that vanish meanwhile (a concurrent delete, a
    temporary file renamed to its name): by default their FileNotFoundError stops it."""

    def vanished(function: Any, name: str, error: Any) -> None:
        exc = error if isinstance(error, BaseException) else error[1]
        if not isinstance(exc, FileNotFoundError):
            raise exc

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=vanished)
    else:  # Python 3.10 and 3.11
        shutil.rmtree(path, onerror=vanished)


def _fsync_folder(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: Any) -> int:
    view = memoryview(data)
    total = 0
    try:
        while total < len(view):
            total += os.write(fd, view[total:])
    except OSError as exc:
        raise BackendError(f"Cannot write to disk: {exc}", exc) from exc
    return total


class _Temp(NamedTuple):
    dirfd: int
    fd: int
    name: str | None  # None: anonymous (O_TMPFILE)


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
        self._backend = backend
        self._filename = filename
        self._overwrite = overwrite
        self._content_type = content_type
        self._dest = backend.path(filename)
        self._cm = backend._temporary(self._dest, filename)
        try:
            self._tmp = self._cm.__enter__()
        except BaseException:
            self._done = True  # nothing to discard
            raise

    def _write(self, data: Any) -> int:
        return _write_all(self._tmp.fd, data)

    def _commit(self) -> None:
        try:
            self._backend._publish(self._tmp, self._dest, self._filename, self._overwrite, self._content_type)
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
            raise BackendError(f"Cannot write to disk: {exc}", exc) from exc
        return False
    source.seek(offset)
    return True
