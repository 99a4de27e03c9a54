"""Background saves: Flask-Store's ``S3GeventStore`` without gevent, on any backend.

``save`` in a request spools the upload to a local directory (the request closes its stream
when it ends), reserves the file's final name, and returns that name at once; a pool of
threads of the same process transfers the file to the storage, with retries. Nothing is
lost and nothing fails silently:

* the spool is on disk (``STORE_BACKGROUND_SPOOL``, fsynced before ``save`` returns), one
  ``<id>.data`` and one ``<id>.json`` (what to store, where, how far it got) per upload;
* the transfer is a create-only write of the reserved name, retried
  ``STORE_BACKGROUND_RETRIES`` times on service errors, waiting
  ``STORE_BACKGROUND_RETRY_DELAY`` seconds, doubled each time;
* a transfer that gives up sends :data:`~fs_store.signals.upload_failed`, logs an ERROR on
  ``app.logger``, and stays in the spool: :meth:`BackgroundUploads.failed` lists it,
  :meth:`~BackgroundUploads.retry` tries it again, :meth:`~BackgroundUploads.discard` drops
  it (``flask store uploads``, ``retry``, ``discard`` from a shell);
* a process that dies with transfers in flight (a deploy, ``kill -9``) leaves them pending
  in the spool; the process holding an upload keeps a lock on it (``flock``, released by the
  kernel when it dies), so another process of the machine sees which ones are orphans and
  takes them over: each process does so when it starts its pool (its first background
  save), and ``flask store resume`` does it on demand.

Names: the final name is the client's name made safe, with a short unique suffix if the
storage has it already or another upload of this machine reserved it (a file in
``<spool>/names/``). The reservation is local to the machine's spool; the transfer is a
create-only write, so an upload from another machine that took the name in between is
never overwritten: the later transfer fails (``FileExists``), visibly. Deployments with
several machines set ``STORE_BACKGROUND_UNIQUE_NAMES = True``, which gives every background
save a unique suffix, so that no two machines pick one name.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import IO, Any

from flask import Flask
from werkzeug.datastructures import FileStorage

from fs_core import BackendError, FileExists, InvalidFilename, Storage, UnauthorizedFileType
from fs_core.naming import secure_filename
from fs_core.streams import LimitedReader, as_stream, copy_stream

from .naming import store_name, suffixed
from .signals import upload_completed, upload_failed

__all__ = ["BackgroundUploads", "Upload"]

_LOCK = fcntl.LOCK_EX | fcntl.LOCK_NB


@dataclass(frozen=True)
class Upload:
    """One background save, as its ``<id>.json`` in the spool records it."""

    id: str
    #: The file's name in the storage (what ``save`` returned).
    name: str
    content_type: str | None
    #: ``'pending'`` (waiting, or being transferred) or ``'failed'`` (gave up).
    state: str
    attempts: int = 0
    #: The last error, for a failed (or retried) upload.
    error: str | None = None
    created: float = 0.0
    updated: float = 0.0


class BackgroundUploads:
    """The background saves of one app (``app.extensions['store'].background``).

    :param app: the Flask app (transfers run in its context).
    :param storage: the fs storage the files go to.
    :param spool: the local directory of the spool.
    :param concurrency: transfers at once, per process.
    :param retries: further attempts after a failed transfer.
    :param retry_delay: seconds before the first retry (doubled for each next one).
    :param unique_names: give every file a unique suffix (several machines).
    """

    def __init__(
        self,
        app: Flask,
        storage: Storage,
        spool: str,
        *,
        concurrency: int = 4,
        retries: int = 3,
        retry_delay: float = 1.0,
        unique_names: bool = False,
    ) -> None:
        self.app = app
        self.storage = storage
        self.spool = os.path.abspath(spool)
        self.concurrency = concurrency
        self.retries = retries
        self.retry_delay = retry_delay
        self.unique_names = unique_names
        self._guard = threading.Lock()
        self._pid: int | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._futures: dict[str, concurrent.futures.Future[None]] = {}
        self._locks: dict[str, int] = {}  # upload id -> fd holding its flock

    def __repr__(self) -> str:
        return f"<BackgroundUploads {self.spool!r} x{self.concurrency}>"

    # -- submitting ------------------------------------------------------------------------

    def submit(self, file: Any, filename: str | None = None, destination: str | None = None) -> str:
        """Spool ``file``, reserve its final name, queue its transfer; return the name.

        What would refuse the file later is checked now, so that the caller hears of it:
        the name, ``MAX_SIZE`` (while spooling), and the storage's policy
        (``Storage.file_allowed``: ``DENY``, the extensions, the plugins' checks).
        """
        name = self._name(file, filename, destination)
        with _spool_errors(self.spool):
            return self._submit(file, name)

    def _submit(self, file: Any, name: str) -> str:
        self._pool()  # first: starting it takes over what dead processes left
        basename = name.rpartition("/")[2]
        declared = getattr(file, "mimetype", None) or getattr(file, "content_type", None)
        os.makedirs(os.path.join(self.spool, "names"), exist_ok=True)
        id = uuid.uuid4().hex
        data = self._path(id, ".data")
        try:
            self._spool(as_stream(file), data)
            with open(data, "rb") as spooled:
                incoming = FileStorage(spooled, filename=basename, content_type=declared)
                if not self.storage.file_allowed(incoming, basename):
                    ext = basename.rpartition(".")[2] if "." in basename else ""
                    kind = f"'.{ext}' files are" if ext else f"{basename!r} is"
                    raise UnauthorizedFileType(f"{kind} not allowed in storage {self.storage.name!r}")
            final = self._reserve(name, id)
        except BaseException:
            _remove(data)
            raise
        now = time.time()
        upload = Upload(id, final, declared, "pending", created=now, updated=now)
        self._hold(id)
        self._record(upload)
        _fsync_dir(self.spool)
        self._start(upload)
        return final

    def _name(self, file: Any, filename: str | None, destination: str | None) -> str:
        if not filename:
            client = getattr(file, "filename", None)
            ascii_only = self.storage.config.get_bool("ascii_names")
            filename = secure_filename(client, ascii_only=ascii_only) if isinstance(client, str) else None
        if not filename:
            raise InvalidFilename("filename is required: the upload has no name (pass filename=)")
        return store_name(destination, filename)

    def _spool(self, stream: IO[bytes], path: str) -> None:
        """Copy the upload to ``path`` (``MAX_SIZE`` enforced), durably."""
        limit = self.storage.config.get_int("max_size")
        source = LimitedReader(stream, limit) if limit else stream
        tmp = f"{path}.tmp"
        with open(tmp, "xb") as out:
            try:
                copy_stream(source, out.write)
                out.flush()
                os.fsync(out.fileno())
            except BaseException:
                _remove(tmp)
                raise
        os.replace(tmp, path)

    def _reserve(self, name: str, id: str) -> str:
        """The first of ``name``, ``name_<suffix>``… that the storage does not hold and no
        upload of this spool reserved; reserved for upload ``id``."""
        limit = self.storage.backend.max_name_bytes
        candidate = suffixed(name, limit) if self.unique_names else name
        for _ in range(100):
            # A random suffix is not asked about (no round trip to the service in the
            # request): a clash of 64 random bits would be caught by the create-only write.
            if self.unique_names or not self.storage.exists(candidate):
                try:
                    fd = os.open(self._reservation(candidate), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    pass
                else:
                    with os.fdopen(fd, "w") as out:
                        out.write(f"{id}\n{candidate}\n")
                    return candidate
            candidate = suffixed(name, limit)
        raise FileExists(name, message=f"No free name for {name!r}: the first 100 tried were taken")

    # -- the pool ------------------------------------------------------------------------

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """This process's pool (a forked worker gets its own), started on first use; starting
        it takes over the uploads that dead processes left pending."""
        with self._guard:
            if self._executor is not None and self._pid == os.getpid():
                return self._executor
            if self._pid is not None:  # a forked child: the parent's pool and locks are its own
                self._futures = {}
                self._locks = {}
            self._pid = os.getpid()
            self._executor = concurrent.futures.ThreadPoolExecutor(
                self.concurrency, thread_name_prefix="fs-store-upload"
            )
            executor = self._executor
        self.resume()
        return executor

    def _start(self, upload: Upload) -> None:
        future = self._pool().submit(self._transfer, upload.id)
        with self._guard:
            self._futures[upload.id] = future

    def _hold(self, id: str) -> bool:
        """Take the lock of upload ``id`` for this process; False if another process has it."""
        with self._guard:
            if id in self._locks:
                return False
        fd = os.open(self._path(id, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, _LOCK)
        except BlockingIOError:
            os.close(fd)
            return False
        with self._guard:
            self._locks[id] = fd
        return True

    def _release(self, id: str) -> None:
        with self._guard:
            fd = self._locks.pop(id, None)
        if fd is not None:
            os.close(fd)

    # -- transferring --------------------------------------------------------------------

    def _transfer(self, id: str) -> None:
        """Store upload ``id``, retrying service errors; record a failure, never drop it."""
        try:
            upload = self._read(id)
            with self.app.app_context():
                self._attempts(upload)
        except Exception as exc:  # the spool itself broke: say so, keep what is there
            self.app.logger.exception("fs-store: background upload %s could not run: %s", id, exc)
            self._release(id)

    def _attempts(self, upload: Upload) -> None:
        error: BaseException | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_delay * 2 ** (attempt - 1))
            upload = replace(upload, attempts=upload.attempts + 1, updated=time.time())
            try:
                with open(self._path(upload.id, ".data"), "rb") as data:
                    content = FileStorage(data, filename=upload.name, content_type=upload.content_type)
                    self.storage.write(upload.name, content, overwrite=False)
            except (BackendError, OSError) as exc:  # the service or the disk: try again
                error = exc
                self._record(replace(upload, error=_describe(exc)))
                continue
            except FileExists as exc:
                error = FileExists(
                    upload.name,
                    message=f"{upload.name!r} was stored by someone else after it was reserved here "
                    "(another machine? set STORE_BACKGROUND_UNIQUE_NAMES): this upload is kept "
                    "in the spool, not written over it",
                )
                error.__cause__ = exc
                break
            except Exception as exc:  # refused or failed for good (a processor, a plugin)
                error = exc
                break
            self._done(upload)
            return
        assert error is not None
        self._fail(upload, error)

    def _done(self, upload: Upload) -> None:
        for suffix in (".data", ".json"):
            _remove(self._path(upload.id, suffix))
        _remove(self._reservation(upload.name))
        _remove(self._path(upload.id, ".lock"))
        self._release(upload.id)
        upload_completed.send(self.app, upload=upload)

    def _fail(self, upload: Upload, error: BaseException) -> None:
        failed = replace(upload, state="failed", error=_describe(error), updated=time.time())
        self._record(failed)
        self._release(upload.id)
        self.app.logger.error(
            "fs-store: background upload of %r failed after %d attempt(s): %s; it is kept in %s "
            "(flask store retry %s, or BackgroundUploads.retry)",
            upload.name,
            failed.attempts,
            failed.error,
            self.spool,
            upload.id,
        )
        upload_failed.send(self.app, upload=failed, error=error)

    # -- listing, retrying, taking over ----------------------------------------------------

    def uploads(self) -> list[Upload]:
        """Every upload in the spool (this machine's), oldest first."""
        found = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.spool):
                if entry.name.endswith(".json"):
                    with contextlib.suppress(OSError, ValueError, TypeError):
                        found.append(self._read(entry.name[: -len(".json")]))
        return sorted(found, key=lambda u: (u.created, u.id))

    def pending(self) -> list[Upload]:
        """The uploads not stored yet and not given up on."""
        return [u for u in self.uploads() if u.state == "pending"]

    def failed(self) -> list[Upload]:
        """The uploads that gave up: nothing was stored, their content is kept."""
        return [u for u in self.uploads() if u.state == "failed"]

    def retry(self, which: str | Upload | None = None) -> list[Upload]:
        """Queue failed uploads again (``which``: an id, a name or an :class:`Upload`; all
        if ``None``); returns those queued."""
        queued = []
        for upload in self._select(self.failed(), which):
            if self._hold(upload.id):
                again = replace(upload, state="pending", updated=time.time())
                self._record(again)
                self._start(again)
                queued.append(again)
        return queued

    def discard(self, which: str | Upload) -> list[Upload]:
        """Drop failed uploads (an id, a name or an :class:`Upload`) and their content;
        frees their names. Returns those dropped."""
        dropped = []
        for upload in self._select(self.failed(), which):
            if self._hold(upload.id):
                for suffix in (".data", ".json", ".lock"):
                    _remove(self._path(upload.id, suffix))
                _remove(self._reservation(upload.name))
                self._release(upload.id)
                dropped.append(upload)
        return dropped

    def resume(self) -> list[Upload]:
        """Take over the pending uploads no process is working on (their process died);
        returns those queued. Spool files of uploads that never got a record are removed."""
        self._pool()
        queued = []
        for upload in self.pending():
            if self._hold(upload.id):
                self._start(upload)
                queued.append(upload)
        self._clean_unrecorded()
        return queued

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the transfers this process started; whether all ended in time."""
        with self._guard:
            futures = list(self._futures.values())
        done, not_done = concurrent.futures.wait(futures, timeout=timeout)
        with self._guard:
            for id, future in list(self._futures.items()):
                if future in done:
                    del self._futures[id]
        return not not_done

    def _select(self, uploads: list[Upload], which: str | Upload | None) -> Iterator[Upload]:
        key = which.id if isinstance(which, Upload) else which
        return (u for u in uploads if key is None or key in (u.id, u.name))

    def _clean_unrecorded(self, older_than: float = 3600) -> None:
        """Remove the data of uploads killed before their record was written (never
        returned to anyone), once they are an hour old."""
        cutoff = time.time() - older_than
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.spool):
                id, _, suffix = entry.name.partition(".")
                if suffix in ("data", "data.tmp") and not os.path.exists(self._path(id, ".json")):
                    _remove_if_older(entry, cutoff)
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(os.path.join(self.spool, "names")):
                with contextlib.suppress(OSError, ValueError), open(entry.path) as reservation:
                    owner = reservation.readline().strip()
                    if not os.path.exists(self._path(owner, ".json")):
                        _remove_if_older(entry, cutoff)

    # -- the spool's files -----------------------------------------------------------------

    def _path(self, id: str, suffix: str) -> str:
        if not (len(id) == 32 and all(c in "0123456789abcdef" for c in id)):
            raise ValueError(f"{id!r} is not an upload id")
        return os.path.join(self.spool, f"{id}{suffix}")

    def _reservation(self, name: str) -> str:
        return os.path.join(self.spool, "names", hashlib.sha256(name.encode()).hexdigest())

    def _record(self, upload: Upload) -> None:
        """Write ``<id>.json`` atomically and durably."""
        path = self._path(upload.id, ".json")
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w") as out:
            json.dump(asdict(upload), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    def _read(self, id: str) -> Upload:
        with open(self._path(id, ".json")) as record:
            return Upload(**json.load(record))


@contextlib.contextmanager
def _spool_errors(spool: str) -> Iterator[None]:
    """The spool's disk failing (full, read-only, missing rights) is the service failing:
    a ``BackendError`` for the request, not a bare ``OSError``."""
    try:
        yield
    except OSError as exc:
        raise BackendError(f"Cannot spool the upload in {spool!r}: {exc}", exc) from exc


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _remove_if_older(entry: os.DirEntry[str], cutoff: float) -> None:
    with contextlib.suppress(FileNotFoundError):
        if entry.stat().st_mtime < cutoff:
            os.remove(entry.path)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
