"""The ``gridfs`` backend: files as GridFS versions in MongoDB, one live version per name.

A storage is the GridFS bucket ``BUCKET`` (the storage name by default) of ``MONGO_DB`` at
``MONGO_URL`` (see :mod:`fs_gridfs.bucket` for the collections). Nothing contacts MongoDB
before the first operation: the client is made then, one per app and URL
(:mod:`fs_gridfs.clients`), and the bucket's indexes are made once.

* A save writes a new version (chunks, then its file document, with content type and SHA-256
  checksum, :mod:`fs_gridfs.versions`), then makes it the name's live version with one
  atomic write in ``<bucket>.names`` (:mod:`fs_gridfs.names`): an overwrite shows the old
  content or the new, never a mix or nothing, and the old version is removed only after.
  A create-only save inserts the name's document, whose ``_id`` is the name: of concurrent
  creators exactly one wins (``ATOMIC_CREATE``). A save that fails removes what it wrote; a
  process killed mid-save leaves chunks or an unpublished version that
  :meth:`~GridFSBackend.leftovers` finds.
* Reads are seekable streams that fetch the chunks a read needs (:mod:`fs_gridfs.readers`),
  so a ``Range`` request reads only its chunks, and serving answers Range/ETag/304 with one
  lookup of the name.
* ``delete(name)`` unlinks the name and every name under ``name/`` (whole segments, by a
  range of ``_id``: no pattern, so ``a.b`` or ``(x)`` stay literal) and removes their versions.
* ``move`` points the target at the source's version, then unlinks the source (no byte is
  copied; a version is removed only once no name shows it); ``copy`` has the server copy the chunks
  (``$merge``, MongoDB >= 4.4) and streams them through the app where it cannot.
* MongoDB has no signed URLs: ``signed_url`` answers ``None`` and fs-core signs URLs of its
  own view, which this backend serves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from werkzeug.wrappers import Response

from fs_core import files, streams
from fs_core.backend import ATOMIC_CREATE, SERVER_SIDE_COPY, BaseBackend
from fs_core.content_types import content_type_for, parse_content_type
from fs_core.errors import BackendError, ConfigurationError, FileExists, FileNotFound
from fs_core.leftovers import Leftover
from fs_core.serving import current_environ, normalize_range, send_stream

from . import leftovers, legacy, names, versions
from .bucket import Bucket, Version
from .clients import app_registry, make_client
from .errors import SERVICE_ERRORS, translate, translated
from .readers import ChunkReader
from .settings import GridFSSettings

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["GridFSBackend"]

logger = logging.getLogger("fs_gridfs")
#: Buffer of the streams ``open_read`` returns (larger reads go straight to the chunks).
READ_BUFFER = 64 * 1024
#: MongoDB's "Unauthorized": the user may not create indexes (they may exist already).
_UNAUTHORIZED = 13
#: Tries of a move whose source keeps being replaced under it.
_MOVE_ATTEMPTS = 3


class GridFSBackend(BaseBackend):
    """A GridFS bucket in MongoDB (Flask-FS's ``GridFsBackend``, with its bugs fixed)."""

    #: ``FS_GRIDFS_BUCKET`` would put every storage in one bucket, where they would list,
    #: overwrite and delete each other's files: only ``{NAME}_FS_BUCKET``.
    STORAGE_ONLY_KEYS = frozenset({"bucket"})

    def __init__(self, name: str, config: Any = None) -> None:
        super().__init__(name, config)
        #: The resolved configuration (see :class:`~fs_gridfs.settings.GridFSSettings`).
        self.settings = GridFSSettings.from_config(name, self.config)
        self._lock = threading.RLock()
        self._client: Any = None
        self._bucket: Bucket | None = None
        self._server_copy: bool | None = None

    # -- connection -----------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The MongoDB client: the app's for this URL (made on first use), or this backend's
        own outside an app with fs-gridfs loaded."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._new_client()
        return self._client

    def _new_client(self) -> Any:
        from pymongo.errors import ConfigurationError as PyMongoConfigurationError

        registry = app_registry()
        try:
            return registry.client(self.settings) if registry is not None else make_client(self.settings)
        except (TypeError, PyMongoConfigurationError) as exc:
            raise ConfigurationError(
                f"Storage {self.name!r}: MongoDB client options refused ({exc}); check MONGO_URL "
                f"({self.settings.shown_url}) and CLIENT_OPTIONS"
            ) from exc
        except SERVICE_ERRORS as exc:
            raise translate(exc, self.settings, "connect") from exc

    def _ready(self) -> Bucket:
        """The storage's collections, once their indexes exist and earlier files are adopted."""
        bucket = self._bucket
        if bucket is None:
            with self._lock:
                if self._bucket is None:
                    candidate = Bucket(self.client[self.settings.database], self.settings)
                    with translated(self.settings, f"prepare bucket {self.settings.bucket!r}"):
                        self._ensure_indexes(candidate)
                        if not legacy.adopted(candidate):
                            legacy.adopt(candidate)
                    self._bucket = candidate
                bucket = self._bucket
        assert bucket is not None
        return bucket

    def _ensure_indexes(self, bucket: Bucket) -> None:
        from pymongo.errors import OperationFailure

        try:
            bucket.ensure_indexes()
        except OperationFailure as exc:
            if exc.code != _UNAUTHORIZED:
                raise
            logger.warning(
                "fs-gridfs: storage %r may not create indexes (%s); create them as the GridFS "
                "specification says, and one on %s.names {file: 1}",
                self.name,
                exc,
                self.settings.bucket,
            )

    def _translated(self, action: str) -> Any:
        return translated(self.settings, action)

    # -- capabilities ---------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:  # type: ignore[override]
        """``ATOMIC_CREATE`` (the unique ``_id`` of a name's document), plus
        ``SERVER_SIDE_COPY`` once the server was found to copy chunks itself (asked by the
        first copy: reading the capabilities never contacts the server)."""
        return frozenset({ATOMIC_CREATE, SERVER_SIDE_COPY} if self._server_copy else {ATOMIC_CREATE})

    def _copies_on_server(self, bucket: Bucket) -> bool:
        if self._server_copy is None:
            with self._translated("check server-side copies"):
                self._server_copy = versions.server_copies(bucket)
        return self._server_copy

    # -- reading --------------------------------------------------------------------------

    def _live(self, bucket: Bucket, filename: str) -> Version:
        with self._translated(f"read {filename!r}"):
            version = names.lookup(bucket, filename)
        if version is None:
            raise FileNotFound(filename)
        return version

    def exists(self, filename: str) -> bool:
        bucket = self._ready()
        with self._translated(f"check {filename!r}"):
            return bucket.names.find_one({"_id": filename}, {"_id": 1}) is not None

    def _reader(
        self, bucket: Bucket, filename: str, version: Version, stop: int | None = None
    ) -> ChunkReader:
        return ChunkReader(
            bucket.chunks,
            version.id,
            version.length,
            version.chunk_size,
            max_chunks=max(1, self.settings.read_ahead // version.chunk_size),
            on_error=lambda exc: translate(exc, self.settings, f"read {filename!r}"),
            name=filename,
            stop=stop,
        )

    def open_read(self, filename: str) -> BinaryIO:
        """A seekable, buffered stream of the file's live version (``.raw`` is the
        :class:`~fs_gridfs.readers.ChunkReader`); :class:`FileNotFound` at once if missing."""
        bucket = self._ready()
        reader = self._reader(bucket, filename, self._live(bucket, filename))
        return io.BufferedReader(reader, buffer_size=READ_BUFFER)

    def _checksum(self, bucket: Bucket, filename: str, version: Version) -> str:
        """The version's checksum; for an adopted file stored without one, computed now (one
        read of the data) and kept in its name's document."""
        if version.checksum:
            return version.checksum
        hasher = hashlib.sha256()
        streams.copy_stream(self._reader(bucket, filename, version), hasher.update)
        checksum = f"sha256:{hasher.hexdigest()}"
        with self._translated(f"store the checksum of {filename!r}"):
            bucket.names.update_one({"_id": filename, "file": version.id}, {"$set": {"checksum": checksum}})
        return checksum

    def _metadata(self, bucket: Bucket, filename: str, version: Version) -> dict[str, Any]:
        mime = parse_content_type(version.content_type)
        if not mime or mime == self.DEFAULT_MIME:
            mime = files.mime(filename) or mime or self.DEFAULT_MIME
        return {
            "checksum": self._checksum(bucket, filename, version),
            "size": version.length,
            "mime": mime,
            "modified": version.upload_date,
        }

    def get_metadata(self, filename: str) -> dict[str, Any]:
        """``checksum`` (``sha256:``, stored when the file was written), ``size``, ``mime``
        (the stored type) and ``modified`` (UTC): one read of the name's document."""
        bucket = self._ready()
        return self._metadata(bucket, filename, self._live(bucket, filename))

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        """Names under the folder ``prefix`` (whole segments), in name order, page by page."""
        bucket = self._ready()
        with self._translated(f"list {prefix or 'the storage'!r}"):
            yield from names.names_under(bucket, prefix)

    # -- writing --------------------------------------------------------------------------

    def save(
        self,
        file_or_wfs: Any,
        filename: str,
        overwrite: bool = False,
        content_type: str | None = None,
    ) -> str:
        """Write a new version from the stream's position, then make it the live one.

        With ``overwrite=False`` an existing name raises :class:`FileExists` (checked before a
        large upload is sent, and enforced when the version is published: of concurrent
        creators exactly one wins). The type is the given one, else the name's.
        """
        stream = streams.as_stream(file_or_wfs)
        bucket = self._ready()
        check = None if overwrite else lambda: self._refuse_existing(bucket, filename)
        with self._translated(f"save {filename!r}"):
            version = versions.upload(
                bucket,
                stream,
                filename,
                content_type_for(filename, content_type),
                before_large_write=check,
            )
        self._publish(bucket, filename, version, overwrite)
        return filename

    def _refuse_existing(self, bucket: Bucket, filename: str) -> None:
        if bucket.names.find_one({"_id": filename}, {"_id": 1}) is not None:
            raise FileExists(filename)

    def _publish(self, bucket: Bucket, filename: str, version: Version, overwrite: bool) -> None:
        """Make the new ``version`` live (it is removed if that fails for sure), then remove
        the one it replaced."""
        old = self._link(
            bucket, filename, version, overwrite, undo=lambda: versions.remove_quietly(bucket, version.id)
        )
        if old is not None:
            self._retire(bucket, filename, old, quiet=True)

    def _link(
        self, bucket: Bucket, name: str, version: Version, overwrite: bool, *, undo: Callable[[], None]
    ) -> Version | None:
        """Point ``name`` at ``version``; the version it showed before, if any.

        ``undo`` runs when the write surely did not happen (the name was taken, or the server
        says so after a failure); when that cannot be known, nothing is undone (a version no
        name shows is a leftover, which is better than a name showing a removed version).
        """
        try:
            with self._translated(f"publish {name!r}"):
                if overwrite:
                    return names.replace(bucket, name, version)
                names.create(bucket, name, version)
                return None
        except FileExists:
            undo()
            raise
        except BackendError as failure:
            try:
                published = names.points_to(bucket, name, version.id)
            except SERVICE_ERRORS:
                raise failure from failure.original
            if not published:
                undo()
                raise
            # The write happened but its answer was lost: the save did succeed. (The version
            # it replaced, unknown now, is left for `flask fs clean`.)
            logger.warning("fs-gridfs: %r was published although the server's answer was lost", name)
            return None

    def _retire(self, bucket: Bucket, name: str, old: Version, *, quiet: bool) -> None:
        """Remove the version ``name`` showed until now, unless another name shows it (a
        move in progress, or one a killed process left under both names), and for an
        adopted name the older versions Flask-FS kept. ``quiet``: a failure is logged (the
        operation that unlinked it succeeded; what stays is a leftover), else raised."""
        try:
            with self._translated(f"remove the previous version of {name!r}"):
                if names.shown(bucket, old.id):
                    return
                doomed = [old.id, *(legacy.older_versions(bucket, name, old) if old.legacy else ())]
                for version_id in doomed:
                    versions.remove(bucket, version_id)
        except BackendError as exc:
            if not quiet:
                raise
            logger.warning("fs-gridfs: storage %r: %s; `flask fs clean` will find it", self.name, exc)

    def delete(self, filename: str) -> None:
        """Unlink ``filename`` and every name under ``filename/``, and remove their versions."""
        bucket = self._ready()
        with self._translated(f"delete {filename!r}"):
            for name in [filename, *names.names_under(bucket, filename)]:
                old = names.unlink(bucket, name)
                if old is not None:
                    self._retire(bucket, name, old, quiet=False)

    # -- copy and move --------------------------------------------------------------------

    def copy(self, filename: str, target: str, overwrite: bool = False) -> str:
        """A new version for ``target`` with the content of ``filename``'s: copied by the
        server where it can, else streamed through the app."""
        bucket = self._ready()
        source = self._live(bucket, filename)
        if filename == target:
            return target
        if not overwrite:
            self._check_free(bucket, target)
        if not source.checksum:
            source = dataclasses.replace(source, checksum=self._checksum(bucket, filename, source))
        action = f"copy {filename!r} to {target!r}"
        if self._copies_on_server(bucket):
            with self._translated(action):
                try:
                    copied = versions.copy_on_server(bucket, source, target)
                except LookupError as exc:
                    raise BackendError(
                        f"Storage {self.name!r}: {filename!r} was deleted while it was copied"
                    ) from exc
        else:
            reader = io.BufferedReader(self._reader(bucket, filename, source), buffer_size=READ_BUFFER)
            with self._translated(action), reader:
                copied = versions.upload(bucket, reader, target, source.content_type)
        self._publish(bucket, target, copied, overwrite)
        return target

    def _check_free(self, bucket: Bucket, target: str) -> None:
        with self._translated(f"check {target!r}"):
            self._refuse_existing(bucket, target)

    def move(self, filename: str, target: str, overwrite: bool = False) -> str:
        """Point ``target`` at the version of ``filename``, then unlink ``filename``: no
        byte is copied.

        A process killed between the two writes leaves the file under both names, never
        under none. If ``filename`` changed meanwhile (another operation replaced or deleted
        it, and may be removing its version), the target is put back as it was and the move
        is tried again; a taken ``target`` raises :class:`FileExists` and changes nothing.
        """
        bucket = self._ready()
        if filename == target:
            self._live(bucket, filename)
            return target
        if not overwrite:
            self._check_free(bucket, target)
        for _ in range(_MOVE_ATTEMPTS):
            version = self._live(bucket, filename)
            moved = dataclasses.replace(version, legacy=False)
            old = self._link(bucket, target, moved, overwrite, undo=lambda: None)
            with self._translated(f"move {filename!r}"):
                if names.unlink(bucket, filename, version.id) is not None:
                    break
                # The operation that took the source skipped removing its version while the
                # target showed it: with the target put back, removing it is this move's.
                names.put_back(bucket, target, moved, old)
                if not names.shown(bucket, version.id):
                    versions.remove_quietly(bucket, version.id)
        else:
            raise BackendError(f"Storage {self.name!r}: {filename!r} kept changing while it was moved")
        try:
            with self._translated(f"rename version {version.id}"):
                bucket.files.update_one({"_id": version.id}, {"$set": {"filename": target}})
        except BackendError as exc:  # only GridFS readers that look up names see the old one
            logger.warning("fs-gridfs: storage %r: %s", self.name, exc)
        if version.legacy:  # the older versions Flask-FS kept under the old name
            self._retire_older(bucket, filename, version)
        if old is not None:
            self._retire(bucket, target, old, quiet=True)
        return target

    def _retire_older(self, bucket: Bucket, name: str, version: Version) -> None:
        try:
            with self._translated(f"remove older versions of {name!r}"):
                for version_id in legacy.older_versions(bucket, name, version):
                    versions.remove(bucket, version_id)
        except BackendError as exc:
            logger.warning("fs-gridfs: storage %r: %s", self.name, exc)

    # -- leftovers and adoption -----------------------------------------------------------

    def leftovers(self, older_than: float = 0) -> Iterator[Leftover]:
        """Uploads a killed process never finished (chunks without a file document) and
        versions no name shows (a save killed before publishing, a replaced version whose
        removal failed), last written more than ``older_than`` seconds ago."""
        bucket = self._ready()
        with self._translated("look for leftovers"):
            yield from leftovers.find(bucket, older_than)

    def remove_leftover(self, leftover: Leftover) -> None:
        """Remove it, unless it is in use now (gone already is not an error)."""
        bucket = self._ready()
        with self._translated(f"remove {leftover.what}"):
            leftovers.remove(bucket, leftover)

    def adopt(self) -> int:
        """Give each file of the bucket that fs-gridfs does not show (written by Flask-FS or
        another GridFS client since the last adoption) its newest version; how many names
        were added. Done by itself when a bucket is first used."""
        bucket = self._ready()
        with self._translated("adopt earlier files"):
            return legacy.adopt(bucket)

    # -- serving --------------------------------------------------------------------------

    def serve(
        self,
        filename: str,
        *,
        environ: WSGIEnvironment | None = None,
        as_attachment: bool = False,
        download_name: str | None = None,
    ) -> Response:
        """Stream the file with Range/ETag/304 (the ETag is its checksum), after one lookup
        of its name; a range fetches only its chunks, a 304 or HEAD none."""
        bucket = self._ready()
        version = self._live(bucket, filename)
        meta = self._metadata(bucket, filename, version)
        environ = environ if environ is not None else current_environ()
        etag = meta["checksum"].partition(":")[2] or None
        stop = _range_stop(environ, version.length, etag, meta["modified"])
        return send_stream(
            lambda: self._reader(bucket, filename, version, stop),
            environ=environ,
            size=meta["size"],
            mimetype=meta["mime"],
            etag=etag,
            last_modified=meta["modified"],
        )

    def __repr__(self) -> str:
        s = self.settings
        return f"<GridFSBackend {self.name!r} {s.shown_url} db={s.database!r} bucket={s.bucket!r}>"


def _range_stop(environ: Any, size: int, etag: str | None, modified: Any) -> int | None:
    """Where the body of the answer to ``environ`` ends if it is a range (a hint for the
    reader: werkzeug reads 256 KiB at a time whatever the range)."""
    from werkzeug.http import parse_range_header

    environ = normalize_range(environ, size, etag=etag, last_modified=modified)
    parsed = parse_range_header(environ.get("HTTP_RANGE"))
    bounds = parsed.range_for_length(size) if parsed is not None else None
    return bounds[1] if bounds else None
