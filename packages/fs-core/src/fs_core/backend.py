"""``BaseBackend``: what a storage backend implements, and what it gets for free.

A backend keeps Flask-FS's method names. It must implement six primitives:

* :meth:`~BaseBackend.exists`, :meth:`~BaseBackend.open_read`, :meth:`~BaseBackend.save`,
  :meth:`~BaseBackend.delete`, :meth:`~BaseBackend.list_files`,
  :meth:`~BaseBackend.get_metadata`;

and may override the rest (``open`` for writing, ``read``, ``write``, ``copy``, ``move``,
``scan``, ``copy_from``, ``serve``, ``signed_url``) where its service does better than the
generic version. The rules
every backend follows are checked by the contract suite in :mod:`fs_core.testing`:

* names arrive validated (see :mod:`fs_core.naming`): never re-check or rewrite them;
* ``save`` streams in bounded chunks, and a failed save leaves nothing under the name and the
  previous file intact; with ``overwrite=False`` it raises :class:`FileExists` and, where
  :data:`ATOMIC_CREATE` is in :attr:`capabilities`, exactly one of concurrent creators wins;
* ``delete(name)`` removes the file, or everything under ``name/`` (whole segments);
* metadata has ``checksum`` (``'algo:value'``), ``size``, ``mime`` and ``modified`` (UTC);
* failures of the service are raised as :class:`BackendError`, never as the client's errors.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from werkzeug.wrappers import Response

from . import files, streams
from .config import Config
from .content_types import parse_content_type
from .errors import FileExists, FileNotFound, InvalidFilename, OperationNotSupported
from .leftovers import Leftover
from .listing import FileInfo
from .naming import MAX_NAME_BYTES
from .serving import send_stream

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["ATOMIC_CREATE", "DEFAULT_BACKEND", "SERVER_SIDE_COPY", "SIGNED_URLS", "BaseBackend"]

#: Default backend name (provided by fs-local).
DEFAULT_BACKEND = "local"

#: Capability: a create-only save is atomic (of concurrent creators exactly one wins).
ATOMIC_CREATE = "atomic_create"
#: Capability: copy and move happen inside the service, without passing the bytes through.
SERVER_SIDE_COPY = "server_side_copy"
#: Capability: :meth:`BaseBackend.signed_url` returns URLs of the service itself.
SIGNED_URLS = "signed_urls"


class BaseBackend:
    """Abstract class to implement a backend (Flask-FS's ``BaseBackend(name, config)``).

    ``name`` is the storage's name, ``config`` its resolved configuration (a
    :class:`~fs_core.config.Config`). The constructor must not contact the service: storages
    are configured when the app starts, and a service that is down then must not stop it.
    """

    #: Local directory of the storage, for backends that keep files on disk.
    root: str | None = None
    DEFAULT_MIME = "application/octet-stream"
    #: What this backend guarantees beyond the basic contract (see the module constants).
    capabilities: frozenset[str] = frozenset()
    #: Name the backend was registered under; set by the core when a storage is configured.
    backend_name: str | None = None
    #: Chunk size for streaming copies.
    chunk_size: int = streams.CHUNK_SIZE
    #: Configuration keys (lowercased) that only make sense for one storage: set at the
    #: backend level (``FS_{BACKEND}_{KEY}``) they are refused, as every storage would share
    #: the value (fs-s3's ``key_prefix``).
    STORAGE_ONLY_KEYS: frozenset[str] = frozenset()

    def __init__(self, name: str, config: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.config = config if isinstance(config, Config) else Config(config or {})

    # -- name length ----------------------------------------------------------------------

    @property
    def max_name_bytes(self) -> int:
        """The longest name, in UTF-8 bytes, this storage can keep: the core's limit
        (:data:`~fs_core.naming.MAX_NAME_BYTES`), unless the service caps whole keys and the
        backend puts something before the name (fs-s3 and fs-swift: 1,024 bytes less the key
        prefix).

        A backend that lowers it refuses longer names with :class:`InvalidFilename` before
        contacting the service (:meth:`check_name_length`) in ``save``, and in ``copy``,
        ``move`` or ``copy_from`` where it overrides them (the defaults go through ``save``).
        The core fits the names it makes (``name_1.ext`` on a conflict, the copy set aside
        while processors run: 45 bytes at least) within it, and plugins check the names they
        derive (fs-images' variants) against it. It may ask the service (once) but is only
        read when a name is about to be written.
        """
        return MAX_NAME_BYTES

    def check_name_length(self, filename: str, *, extra: int = 0, why: str = "") -> None:
        """:class:`InvalidFilename` if ``filename`` is longer than :attr:`max_name_bytes`.

        Call it in every write before contacting the service. ``extra``: bytes the backend adds
        to this name beyond its prefix (fs-s3: 54 for a multipart upload's part names); ``why``:
        words that follow the name's length in the message, saying where the room went
        (``"under the key prefix 'files/'"``), so that the user knows it is not the name alone.
        """
        limit = self.max_name_bytes
        length = len(filename.encode("utf-8")) + extra
        if length > limit:
            said = f" {why.strip()}" if why.strip() else ""
            over = length - limit
            raise InvalidFilename(
                f"{filename!r} is too long for storage {self.name!r}: {length} bytes{said}, and it "
                f"takes names of at most {limit} bytes; shorten it by {over} byte{'s' if over > 1 else ''}"
            )

    # -- primitives ---------------------------------------------------------------------

    def exists(self, filename: str) -> bool:
        """Whether a file of that name exists (folders do not count)."""
        raise NotImplementedError(f"{type(self).__qualname__} does not implement exists()")

    def open_read(self, filename: str) -> BinaryIO:
        """A binary stream of the file's content; :class:`FileNotFound` if missing.

        Return a seekable stream if the service can read ranges, so serving can answer
        ``Range`` requests without reading the skipped bytes. Where the request that opened it
        also told the file's stored type, set it as the stream's (or its ``raw`` reader's)
        ``content_type`` attribute (``None`` for a generic one): a copy to another storage
        then needs no metadata request.
        """
        raise NotImplementedError(f"{type(self).__qualname__} does not implement open_read()")

    def save(
        self,
        file_or_wfs: Any,
        filename: str,
        overwrite: bool = False,
        content_type: str | None = None,
    ) -> str:
        """Store a file object or a werkzeug ``FileStorage`` as ``filename``; return the name.

        Read from the stream's current position to its end, in bounded chunks. With
        ``overwrite=False`` an existing file is left untouched and :class:`FileExists`
        raised. An exception from the stream (an interrupted upload, a size limit) must
        propagate and leave no file under ``filename``.
        """
        raise NotImplementedError(f"{type(self).__qualname__} does not implement save()")

    def delete(self, filename: str) -> None:
        """Delete the file, or every file under the folder ``filename/``.

        Whole segments only: deleting ``a`` never touches ``ab`` or ``a.txt``. Deleting a
        name that does not exist is not an error.
        """
        raise NotImplementedError(f"{type(self).__qualname__} does not implement delete()")

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        """Names of the stored files (in no particular order), under the folder ``prefix``."""
        raise NotImplementedError(f"{type(self).__qualname__} does not implement list_files()")

    def get_metadata(self, filename: str) -> dict[str, Any]:
        """``checksum`` (``'algo:hex'`` of the content, such as ``'sha256:…'``: ETags and
        ``flask fs verify`` use it), ``size``, ``mime`` and ``modified``; :class:`FileNotFound`
        if missing."""
        raise NotImplementedError(f"{type(self).__qualname__} does not implement get_metadata()")

    # -- built on the primitives ----------------------------------------------------------

    def open(self, filename: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        """Open a file: ``r``/``rb`` read, ``w``/``wb`` replace, ``x``/``xb`` create only.

        Writers are atomic: the content appears when the file is closed, not before, and is
        discarded if the ``with`` block raises. Writers take ``content_type``; text modes take
        ``encoding`` (utf8) and the other options of :class:`io.TextIOWrapper` (``newline``…).
        """
        encoding = kwargs.pop("encoding", None)
        if "r" in mode and "+" not in mode:
            return streams.text_wrapper(self.open_read(filename), mode, encoding, **kwargs)
        if ("w" in mode or "x" in mode) and "+" not in mode:
            content_type = kwargs.pop("content_type", None)
            writer = self.open_write(filename, overwrite="x" not in mode, content_type=content_type)
            return streams.text_wrapper(writer, mode, encoding, **kwargs)
        raise ValueError(f"Unsupported mode {mode!r}: use r, rb, w, wb, x or xb")

    def open_write(
        self, filename: str, overwrite: bool = True, content_type: str | None = None
    ) -> streams.AtomicWriter:
        """An atomic binary writer for ``filename`` (spooled, then :meth:`save`)."""
        if not overwrite and self.exists(filename):
            raise FileExists(filename)

        def commit(stream: BinaryIO) -> None:
            self.save(stream, filename, overwrite=overwrite, content_type=content_type)

        return streams.SpoolingWriter(commit)

    def read(self, filename: str) -> bytes:
        """The whole content as bytes (use :meth:`open` for large files)."""
        with self.open_read(filename) as stream:
            return stream.read()

    def write(self, filename: str, content: Any, overwrite: bool = True, **kwargs: Any) -> str:
        """Store ``content`` (bytes, str or a file object) as ``filename``."""
        return self.save(streams.as_stream(content), filename, overwrite=overwrite, **kwargs)

    def copy(self, filename: str, target: str, overwrite: bool = False) -> str:
        """Copy ``filename`` to ``target`` (streamed through the app unless overridden)."""
        mime = self.metadata(filename)["mime"]
        with self.open_read(filename) as stream:
            return self.save(stream, target, overwrite=overwrite, content_type=mime)

    def move(self, filename: str, target: str, overwrite: bool = False) -> str:
        """Move ``filename`` to ``target``: a copy, then deleting the source."""
        self.copy(filename, target, overwrite=overwrite)
        self.delete(filename)
        return target

    def scan(self, prefix: str | None = None) -> Iterator[FileInfo]:
        """The files under the folder ``prefix`` with their size and date (in no particular
        order): :meth:`list_files`, then :meth:`metadata` for each, by default.

        Override it where the service lists sizes and dates with the names (one request per
        page instead of one per file); leave ``checksum`` ``None`` where it would cost a read
        of the file. A file deleted between the listing and its metadata is left out.
        """
        for name in self.list_files(prefix):
            try:
                meta = self.metadata(name)
            except FileNotFound:
                continue
            yield FileInfo.from_metadata(name, meta)

    def place(self) -> tuple[str, str] | None:
        """Where this storage keeps its files, as ``(namespace, folder)``: two storages with
        the same ``namespace`` share one space of names, and one's ``folder`` (``/``-separated,
        ``''`` for the whole space) may hold the other's. ``flask fs sync`` refuses two places
        one of which holds the other (it would copy into what it lists, and ``--delete`` would
        delete its source).

        The default: the directory on disk for backends with a :attr:`root`, else ``None``
        (not known: never taken to overlap). A backend on a service returns the space it
        names files in (fs-s3: its endpoint and bucket) and its key prefix.
        """
        if not self.root:
            return None
        return "disk", os.path.realpath(self.root).strip("/")

    def copy_from(self, source: BaseBackend, filename: str, target: str, overwrite: bool = False) -> bool:
        """Copy the file ``filename`` of the backend ``source`` (another storage's) to
        ``target`` inside the service, without its bytes passing through the app; ``False``
        if the two are not on one service this backend can copy within (the caller then
        streams the file: :func:`fs_core.transfer.copy_file`).

        With ``overwrite=False`` an existing ``target`` raises :class:`FileExists`. The
        default copies nothing and returns ``False``.
        """
        return False

    def metadata(self, filename: str) -> dict[str, Any]:
        """:meth:`get_metadata`, with ``mime`` one well-formed type (guessed from the name when
        the service has none) and ``modified`` made timezone-aware (UTC)."""
        meta = dict(self.get_metadata(filename))
        # One well-formed type, whatever the service kept (a file stored before types were
        # checked may carry 'text/plain,text/html').
        stored = parse_content_type(meta.get("mime"))
        if not stored or stored == self.DEFAULT_MIME:
            stored = files.mime(filename) or stored or self.DEFAULT_MIME
        meta["mime"] = stored
        modified = meta.get("modified")
        if isinstance(modified, dt.datetime):
            if modified.tzinfo is None:
                modified = modified.replace(tzinfo=dt.timezone.utc)
            meta["modified"] = modified.astimezone(dt.timezone.utc)
        return meta

    def serve(
        self,
        filename: str,
        *,
        environ: WSGIEnvironment | None = None,
        as_attachment: bool = False,
        download_name: str | None = None,
    ) -> Response:
        """An HTTP response for the file, with ``ETag``, ``Last-Modified``, ``304`` and ``206``,
        to the request whose WSGI ``environ`` is given (its conditional and range headers;
        the core always passes it: ``None``, from an override of Flask-FS's time calling
        ``super().serve(filename)``, means the current Flask request's).

        The default streams :meth:`open_read` through the app; a backend may instead return a
        redirect to the service or an offload header. The core sets the type, the
        ``Content-Disposition`` and its security headers on what the app sends; a backend
        that redirects must have the service send them
        (:func:`fs_core.serving.disposition_for`, with ``as_attachment`` and
        ``download_name``). Flask-FS's ``serve(filename)``, which read ``flask.request``, is
        adapted when the backend is loaded (:mod:`fs_core.legacy`).
        """
        meta = self.metadata(filename)
        etag = str(meta.get("checksum") or "").partition(":")[2] or None
        return send_stream(
            lambda: self.open_read(filename),
            environ=environ,
            size=meta["size"],
            mimetype=meta["mime"],
            etag=etag,
            last_modified=meta.get("modified"),
        )

    def signed_url(
        self,
        filename: str,
        expires: int,
        *,
        method: str = "GET",
        download_name: str | None = None,
        as_attachment: bool = False,
    ) -> str | None:
        """A URL of the service that grants ``method`` on the file for ``expires`` seconds.

        ``None`` means the service has none; the core then signs a URL of its own view.
        """
        return None

    def leftovers(self, older_than: float = 0) -> Iterator[Leftover]:
        """What interrupted writes of this backend left behind (temporary files, unfinished
        uploads), last written more than ``older_than`` seconds ago. None by default.

        Never the storage's files, and nothing a write still in progress is using once
        ``older_than`` exceeds how long a write can go without progress.
        """
        return iter(())

    def remove_leftover(self, leftover: Leftover) -> None:
        """Remove one leftover that :meth:`leftovers` reported (gone already is not an error)."""
        raise OperationNotSupported(f"{self.__class__.__name__} reports no leftovers to remove")

    def path(self, filename: str) -> str:
        """The local path of a file, for backends that have one."""
        raise OperationNotSupported(f"Direct file access is not supported by {self.__class__.__name__}")

    def as_binary(self, content: Any, encoding: str = "utf8") -> Any:
        """Bytes for ``str``; the content of a file object; anything else unchanged."""
        if hasattr(content, "read"):
            return content.read()
        if isinstance(content, str):
            return content.encode(encoding)
        return content

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {self.name!r}>"
