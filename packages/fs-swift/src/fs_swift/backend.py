"""The ``swift`` backend: files as objects of an OpenStack Swift container.

A storage has a container of its own (named after the storage), or shares ``CONTAINER`` with
other storages, each under the name prefix ``<storage name>/``. Nothing contacts the service
before the first operation: then it authenticates (v1 tempauth/swauth, or Keystone v2/v3), and
creates the container if it is missing (``CREATE_CONTAINER``).

* Saves stream in bounded memory: one PUT up to ``SLO_THRESHOLD``, a Static Large Object above
  it (segments of ``SEGMENT_SIZE`` in the segment container, then a manifest; see
  :mod:`fs_swift.segments`). A failed save deletes the segments it stored; an overwrite and a
  delete remove the segments of what they replace.
* Create-only saves send ``If-None-Match: *``: an existing object is refused by Swift itself.
  Swift checks it when a PUT starts, not atomically with the write: creators whose PUTs
  overlap in time can all succeed (the last one started wins), so ``ATOMIC_CREATE`` is not
  declared. For a large object only the short manifest PUT is exposed.
* Reads return fs-core's :class:`~fs_core.streams.RangedReader`: seekable, one ``Range`` GET
  per position, with ``If-Match`` so a file replaced mid-read is an error, not a mix.
* ``delete(name)`` removes the object, everything under ``name/`` (never ``name2``) and their
  segments, with the ``bulk`` middleware where the cluster has it; ``list_files`` pages through
  any number of objects.
* Copies and moves stay in the cluster (``X-Copy-From``; a large object's segments are copied
  one by one and get a manifest of their own).
* ``serve`` streams through the app with Range/ETag/304, or (``SERVE = 'redirect'``) redirects
  to a TempURL; ``signed_url`` signs TempURLs for GET, HEAD, PUT and DELETE.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from swiftclient.exceptions import ClientException
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from fs_core import streams
from fs_core.backend import SERVER_SIDE_COPY, SIGNED_URLS, BaseBackend
from fs_core.content_types import content_type_for
from fs_core.errors import (
    BackendError,
    ConfigurationError,
    FileExists,
    FileNotFound,
    OperationNotSupported,
)
from fs_core.leftovers import Leftover
from fs_core.serving import disposition_for, response_type, send_stream

from . import listing
from .client import Connections
from .errors import SERVICE_ERRORS, status_of, translate, translated
from .listing import delete_object, delete_objects, list_objects
from .segments import (
    SEGMENT_SUFFIX,
    UPLOAD_META,
    Segment,
    group_segments,
    manifest,
    new_token,
    orphaned,
    upload_segments,
)
from .settings import SwiftSettings
from .tempurls import ACCOUNT_KEY_HEADERS, KEY_HEADERS, pick_key_slot, sign
from .uploads import UploadBody, read_head

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["HEAD_BUFFER", "SwiftBackend"]

#: A stream whose size cannot be known (not seekable) is read up to this much to choose
#: between one PUT and a Static Large Object: a longer one goes up as segments.
HEAD_BUFFER = 8 << 20
#: Buffer of the streams ``open_read`` returns (large reads bypass it).
READ_BUFFER = 64 * 1024
#: Bytes a GET body hands out per read.
RESPONSE_CHUNK = 256 * 1024
_GENERIC_TYPES = frozenset({"", "application/octet-stream"})


def _is_slo(head: dict[str, str]) -> bool:
    return str(head.get("x-static-large-object", "")).lower() == "true"


#: What a clean-up after a failed upload lets go of (the failure itself is what is raised).
_DISCARD_FAILURES: tuple[type[BaseException], ...] = (*SERVICE_ERRORS, BackendError)


class SwiftBackend(BaseBackend):
    """A Swift container, or one storage's prefix in a shared container (Flask-FS's
    ``SwiftBackend``, with the same ``AUTHURL``, ``USER`` and ``KEY``)."""

    #: ``FS_SWIFT_KEY_PREFIX`` would give every storage in a shared container the same
    #: prefix, so they would list, overwrite and delete each other's files.
    STORAGE_ONLY_KEYS = frozenset({"key_prefix"})
    capabilities = frozenset({SERVER_SIDE_COPY, SIGNED_URLS})

    def __init__(self, name: str, config: Any = None) -> None:
        super().__init__(name, config)
        #: The resolved configuration (see :class:`~fs_swift.settings.SwiftSettings`).
        self.settings = SwiftSettings.from_config(name, self.config)
        self.container = self.settings.container
        self.segment_container = self.settings.segment_container
        self.key_prefix = self.settings.key_prefix
        self.connections = Connections(self.settings)
        self._lock = threading.Lock()
        self._container_ready = False
        self._segments_ready = False
        self._temp_url_key: str | None = None
        self._account_key: bool | None = None

    # -- connections and containers ---------------------------------------------------------

    def _conn(self) -> Any:
        """This thread's connection, once the container is known to exist (created if missing
        and allowed: a HEAD, then a PUT only if it is missing)."""
        conn = self.connections.get()
        if not self._container_ready:
            with self._lock:
                if not self._container_ready:
                    if self.settings.create_container:
                        self._ensure_container(conn, self.container)
                    self._container_ready = True
        return conn

    def _ensure_container(self, conn: Any, container: str) -> None:
        with translated(self.settings, f"create container {container!r}"):
            try:
                conn.head_container(container)
            except ClientException as exc:
                if exc.http_status != 404:
                    raise
                conn.put_container(container)  # 201, or 202 if another process just made it

    def _segments_conn(self) -> Any:
        conn = self._conn()
        if not self._segments_ready:
            with self._lock:
                if not self._segments_ready:
                    if self.settings.create_container:
                        self._ensure_container(conn, self.segment_container)
                    self._segments_ready = True
        return conn

    def _key(self, filename: str) -> str:
        return self.key_prefix + filename

    @property
    def max_name_bytes(self) -> int:
        """The cluster's object-name limit (``max_object_name_length`` in ``/info``, 1,024
        bytes unless it says otherwise), less the name prefix."""
        limit = int(self.connections.info().get("swift", {}).get("max_object_name_length") or 1024)
        return limit - len(self.key_prefix.encode())

    def _check_length(self, filename: str, *, large: bool) -> None:
        """Refuse, before anything is sent, a name whose object name (or, for a large object,
        whose segments' names) would be longer than the cluster allows: Swift would answer a
        bare ``400 Bad Request``."""
        why = f" under the name prefix {self.key_prefix!r}" if self.key_prefix else ""
        if large:
            why += f" ({SEGMENT_SUFFIX} of them for its segments' names: it is a large object)"
        self.check_name_length(filename, extra=SEGMENT_SUFFIX if large else 0, why=why)

    def _bulk(self) -> int:
        """Names per bulk-delete request, ``0`` where the cluster has no bulk delete."""
        offered = self.settings.bulk_delete
        info = self.connections.info().get("bulk_delete") if offered is None else None
        if offered is False or (offered is None and not info):
            return 0
        limit = int((info or {}).get("max_deletes_per_request") or listing.BULK_BATCH)
        return min(limit, listing.BULK_BATCH)

    # -- reading ---------------------------------------------------------------------------

    def _head(self, filename: str) -> dict[str, str]:
        conn = self._conn()
        with translated(self.settings, "read", filename):
            head: dict[str, str] = conn.head_object(self.container, self._key(filename))
            return head

    def _head_or_none(self, key: str) -> dict[str, str] | None:
        try:
            head: dict[str, str] = self._conn().head_object(self.container, key)
            return head
        except ClientException as exc:
            if exc.http_status == 404:
                return None
            raise

    def exists(self, filename: str) -> bool:
        try:
            self._head(filename)
        except FileNotFound:
            return False
        return True

    def get_metadata(self, filename: str) -> dict[str, Any]:
        """From one HEAD: ``checksum`` (``md5:`` for a plain object, whose ETag is the MD5 of
        its content; ``etag:`` for a large object, whose ETag is the MD5 of its segments'),
        ``size``, ``mime`` (the stored Content-Type), ``modified`` (UTC), ``etag``, and
        ``large_object`` (a Static Large Object, made of segments)."""
        head = self._head(filename)
        etag = str(head.get("etag") or "").strip('"')
        stored = str(head.get("content-type") or "")
        mime = stored.split(";")[0].strip().lower()
        timestamp = head.get("x-timestamp")
        if timestamp:
            modified = dt.datetime.fromtimestamp(float(timestamp), dt.timezone.utc)
        else:
            modified = email.utils.parsedate_to_datetime(head["last-modified"])
        return {
            "checksum": f"etag:{etag}" if _is_slo(head) else f"md5:{etag}",
            "size": int(head.get("content-length") or 0),
            "mime": None if mime in _GENERIC_TYPES else mime,
            "modified": modified,
            "etag": head.get("etag"),
            "content_type": stored,
            "large_object": _is_slo(head),
        }

    def _fetch(self, filename: str, etag: str | None, start: int) -> Any:
        """The body of ``filename`` from byte ``start``, if its ETag is still ``etag``."""
        conn = self._conn()
        headers = {"Range": f"bytes={start}-"}
        if etag:
            headers["If-Match"] = etag
        try:
            with translated(self.settings, "read", filename):
                try:
                    _, body = conn.get_object(
                        self.container, self._key(filename), resp_chunk_size=RESPONSE_CHUNK, headers=headers
                    )
                except ClientException as exc:
                    if exc.http_status == 412:
                        raise BackendError(
                            f"Storage {self.name!r}: {filename!r} was replaced while it was being read", exc
                        ) from exc
                    raise
        except FileNotFound:
            raise BackendError(
                f"Storage {self.name!r}: {filename!r} was deleted while it was being read"
            ) from None
        return body

    def _reader(self, filename: str, size: int, etag: str | None, body: Any = None) -> streams.RangedReader:
        return streams.RangedReader(
            lambda start: self._fetch(filename, etag, start),
            size,
            body=body,
            on_error=lambda exc: translate(exc, self.settings, "read", filename),
            transient=SERVICE_ERRORS,
        )

    def open_read(self, filename: str) -> BinaryIO:
        """A seekable, buffered stream of the file: one GET read as it goes; a seek outside
        the buffer starts a ``Range`` GET there. :class:`FileNotFound` at once if missing."""
        conn = self._conn()
        with translated(self.settings, "read", filename):
            try:
                headers, body = conn.get_object(
                    self.container,
                    self._key(filename),
                    resp_chunk_size=RESPONSE_CHUNK,
                    headers={"Range": "bytes=0-"},  # a ranged GET: swiftclient adds no retry of its own
                )
            except ClientException as exc:
                if exc.http_status != 416:  # only an empty object cannot serve bytes=0-
                    raise
                return io.BufferedReader(io.BytesIO(b""))
        size = int(str(headers.get("content-range", "")).rpartition("/")[2] or headers["content-length"])
        reader = self._reader(filename, size, headers.get("etag"), body)
        return io.BufferedReader(reader, buffer_size=READ_BUFFER)

    def place(self) -> tuple[str, str]:
        """The container on its cluster (the storage URL, else the auth URL and user), and
        the name prefix: two storages sharing a container, one's prefix inside the other's,
        overlap."""
        settings = self.settings
        cluster = settings.storage_url or f"{settings.authurl} {settings.user}"
        return f"swift {cluster} {self.container}", self.key_prefix.strip("/")

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        """Names under the folder ``prefix`` (whole segments), page by page: any number."""
        folder = f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""
        start = len(self.key_prefix)
        conn = self._conn()
        with translated(self.settings, f"list {prefix or 'the storage'!r}"):
            for item in list_objects(conn, self.container, self.key_prefix + folder):
                name = item["name"][start:]
                if name and not name.endswith("/"):
                    yield name

    # -- writing ---------------------------------------------------------------------------

    def save(
        self,
        file_or_wfs: Any,
        filename: str,
        overwrite: bool = False,
        content_type: str | None = None,
    ) -> str:
        """Upload from the stream's current position, with its Content-Type (given, else
        the name's): one PUT up to ``SLO_THRESHOLD``, else a Static Large Object.

        Create-only saves carry ``If-None-Match: *`` (for a large object, on the manifest,
        after a HEAD that refuses an existing name before any segment is sent). An overwrite
        removes the segments of the large object it replaces, once the new one is in place.
        """
        key = self._key(filename)
        conn = self._conn()
        token = new_token()
        headers = {UPLOAD_META: token}
        if not overwrite:
            headers["If-None-Match"] = "*"
        mime = content_type_for(filename, content_type)
        stream = streams.as_stream(file_or_wfs)
        size = streams.remaining(stream)
        threshold = self.settings.slo_threshold
        head: bytes = b""
        with translated(self.settings, "save", filename):
            previous = self._head_or_none(key) if overwrite else None
            if size is None:
                head = read_head(stream, min(threshold, HEAD_BUFFER) + 1)
                if len(head) <= min(threshold, HEAD_BUFFER):
                    size, stream, head = len(head), io.BytesIO(head), b""
            try:
                if size is not None and size <= threshold:
                    self._check_length(filename, large=False)
                    body = UploadBody(stream, size, exact=True)
                    conn.put_object(
                        self.container, key, body, content_length=size, content_type=mime, headers=headers
                    )
                else:
                    self._check_length(filename, large=True)
                    if not overwrite and self._head_or_none(key) is not None:
                        raise FileExists(filename)  # before any segment is sent
                    self._save_large(stream, key, size, head, mime, headers)
            except ClientException as exc:
                if status_of(exc) == 412 and not overwrite:
                    if self._created_by(key, token):
                        return filename  # stored, the answer lost, the retry refused: ours
                    raise FileExists(filename) from None
                if status_of(exc) == 404:  # a PUT finds no container, not no file
                    raise translate(exc, self.settings, f"save {filename!r}") from exc
                raise
            if previous is not None and _is_slo(previous):
                self._delete_segments(conn, f"{key}/{previous.get(UPLOAD_META.lower(), '')}/")
        return filename

    def _save_large(
        self, stream: Any, key: str, size: int | None, head: bytes, mime: str, headers: dict[str, str]
    ) -> None:
        """Segments first, then the manifest; a failure deletes the segments stored."""
        conn = self._segments_conn()
        token = headers[UPLOAD_META]
        limit = int(self.connections.info().get("slo", {}).get("max_manifest_segments") or 1000)
        done: list[Segment] = []
        try:
            try:
                upload_segments(
                    conn,
                    stream,
                    container=self.segment_container,
                    prefix=f"{key}/{token}/",
                    segment_size=self.settings.segment_size,
                    size=size,
                    head=head,
                    max_segments=limit,
                    done=done,
                )
            except ValueError as exc:
                raise BackendError(f"Storage {self.name!r}: {exc}") from exc
            conn.put_object(
                self.container,
                key,
                manifest(done),
                content_type=mime,
                headers=headers,
                query_string="multipart-manifest=put",
            )
        except BaseException:
            self._discard(conn, done)
            raise

    def _discard(self, conn: Any, segments: list[Segment]) -> None:
        """Delete the segments of an upload or copy that failed (what cannot be deleted now is
        left to :meth:`leftovers` and ``flask fs clean``)."""
        if not segments:
            return
        names = ((self.segment_container, s.path.split("/", 2)[2]) for s in segments)
        try:
            delete_objects(conn, names, self._bulk(), self.name)
        except _DISCARD_FAILURES:
            pass

    def _created_by(self, key: str, token: str) -> bool:
        """Whether the object at ``key`` was stored by the save of ``token``."""
        try:
            head = self._head_or_none(key)
        except SERVICE_ERRORS:
            return False
        return head is not None and head.get(UPLOAD_META.lower()) == token

    # -- deleting --------------------------------------------------------------------------

    def delete(self, filename: str) -> None:
        """Delete the object ``filename``, every object under ``filename/``, and the segments
        of the large objects among them (in bulk where the cluster offers it)."""
        conn = self._conn()
        key = self._key(filename)
        with translated(self.settings, f"delete {filename!r}"):
            delete_object(conn, self.container, key)
            folder = (
                (self.container, item["name"]) for item in list_objects(conn, self.container, key + "/")
            )
            delete_objects(conn, folder, self._bulk(), self.name)
            self._delete_segments(conn, key + "/")

    def _delete_segments(self, conn: Any, prefix: str) -> None:
        """Delete the segments whose names start with ``prefix`` (none if the segment
        container does not exist)."""
        try:
            names = [item["name"] for item in list_objects(conn, self.segment_container, prefix)]
        except ClientException as exc:
            if exc.http_status == 404:
                return
            raise
        delete_objects(conn, ((self.segment_container, n) for n in names), self._bulk(), self.name)

    # -- copy and move ---------------------------------------------------------------------

    def copy(self, filename: str, target: str, overwrite: bool = False) -> str:
        """Copy inside the cluster: ``X-Copy-From`` for an object, each segment then a new
        manifest for a large one. Refusing an existing ``target`` is a HEAD check (Swift
        applies ``If-None-Match`` of a copy to its source)."""
        head = self._head(filename)
        if filename == target:
            return target
        key = self._key(target)
        with translated(self.settings, f"copy {filename!r} to {target!r}"):
            self._check_length(target, large=_is_slo(head))
            previous = self._head_or_none(key)
            if previous is not None and not overwrite:
                raise FileExists(target)
            conn = self._conn()
            source = self._key(filename)
            if _is_slo(head):
                self._copy_large(source, head, key)
            else:
                conn.put_object(
                    self.container,
                    key,
                    None,
                    headers={"X-Copy-From": quote(f"/{self.container}/{source}")},
                )
            if previous is not None and _is_slo(previous):
                self._delete_segments(conn, f"{key}/{previous.get(UPLOAD_META.lower(), '')}/")
        return target

    def _copy_large(self, source: str, head: dict[str, str], key: str) -> None:
        conn = self._segments_conn()
        _, body = conn.get_object(self.container, source, query_string="multipart-manifest=get")
        token = new_token()
        done: list[Segment] = []
        try:
            for n, entry in enumerate(json.loads(body)):
                name = f"{key}/{token}/{n:08d}"
                etag = conn.put_object(
                    self.segment_container, name, None, headers={"X-Copy-From": quote(entry["name"])}
                )
                done.append(Segment(f"/{self.segment_container}/{name}", etag, int(entry["bytes"])))
            meta = {k: v for k, v in head.items() if k.startswith("x-object-meta-")}
            meta[UPLOAD_META] = token
            conn.put_object(
                self.container,
                key,
                manifest(done),
                content_type=head.get("content-type"),
                headers=meta,
                query_string="multipart-manifest=put",
            )
        except BaseException:
            delete_objects(
                conn,
                ((self.segment_container, s.path.split("/", 2)[2]) for s in done),
                self._bulk(),
                self.name,
            )
            raise

    def move(self, filename: str, target: str, overwrite: bool = False) -> str:
        """A server-side copy, then deleting the source object and its segments (only that
        object: ``delete`` would also remove the folder ``filename/``)."""
        head = self._head(filename)
        self.copy(filename, target, overwrite=overwrite)
        if filename != target:
            conn = self._conn()
            key = self._key(filename)
            with translated(self.settings, f"delete {filename!r}"):
                delete_object(conn, self.container, key)
                if _is_slo(head):
                    self._delete_segments(conn, f"{key}/{head.get(UPLOAD_META.lower(), '')}/")
        return target

    # -- leftovers -------------------------------------------------------------------------

    def leftovers(self, older_than: float = 0) -> Iterator[Leftover]:
        """Segments under the storage's prefix, last written more than ``older_than`` seconds
        ago, that the manifest at their name does not use: what a killed upload left, or an
        overwrite or a delete that failed half-way."""
        conn = self._conn()

        def token_of(key: str) -> str | None:
            head = self._head_or_none(key)
            if head is None or not _is_slo(head):
                return None
            return head.get(UPLOAD_META.lower())

        with translated(self.settings, "list leftover segments"):
            try:
                items = list_objects(conn, self.segment_container, self.key_prefix)
                yield from orphaned(group_segments(items), older_than, token_of, len(self.key_prefix))
            except ClientException as exc:
                if exc.http_status != 404:
                    raise

    def remove_leftover(self, leftover: Leftover) -> None:
        """Delete the segments of one leftover (those gone already are not an error)."""
        conn = self._conn()
        with translated(self.settings, f"remove {leftover.what}"):
            delete_objects(conn, ((self.segment_container, n) for n in leftover.ref), self._bulk(), self.name)

    # -- serving and URLs ------------------------------------------------------------------

    def serve(
        self,
        filename: str,
        *,
        environ: WSGIEnvironment | None = None,
        as_attachment: bool = False,
        download_name: str | None = None,
    ) -> Response:
        """Stream the object through the app (one HEAD, then one GET, ranged if the request
        asks for a range), or, with ``SERVE = 'redirect'``, redirect to a TempURL that makes
        Swift send the core's ``Content-Disposition``. A file whose stored type is not the one
        the core would send (stored by another tool) is streamed: Swift sends what it stored;
        so is a large object whose TempURL could not read its segments (see
        :meth:`_signs_for_segments`)."""
        meta = self.metadata(filename)
        mimetype = response_type(filename, meta["mime"])
        redirect_to_swift = (
            self.settings.serve == "redirect"
            and meta.get("content_type") == mimetype
            and (not meta["large_object"] or self._signs_for_segments())
        )
        if redirect_to_swift:
            disposition = disposition_for(
                filename, mimetype, self.config, as_attachment=as_attachment, download_name=download_name
            )
            url = self._sign(
                filename,
                self.settings.redirect_expires,
                "GET",
                filename=download_name or filename,
                inline=disposition.startswith("inline"),
            )
            rv = redirect(url, code=302)
            rv.cache_control.no_store = True
            return rv
        etag = meta.get("etag")
        return send_stream(
            lambda: self._reader(filename, meta["size"], etag),
            environ=environ,
            size=meta["size"],
            mimetype=meta["mime"],
            etag=str(etag or "").strip('"') or None,
            last_modified=meta.get("modified"),
        )

    def _key_for_signing(self) -> str:
        """The TempURL key (see :mod:`fs_swift.tempurls`), found or stored once."""
        if self._temp_url_key is not None:
            return self._temp_url_key
        conn = self._conn()
        secret = self.settings.temp_url_key
        with translated(self.settings, "find the TempURL key"):
            headers = conn.head_container(self.container)
            if secret and self.settings.set_temp_url_key:
                try:
                    slot = pick_key_slot(headers, secret)
                except ValueError as exc:
                    raise ConfigurationError(
                        f"Storage {self.name!r}: container {self.container!r} has two other TempURL keys; "
                        f"remove one, or set TEMP_URL_KEY to one of them"
                    ) from exc
                if slot:
                    conn.post_container(self.container, {slot: secret})
            elif not secret:
                secret = next((headers[h] for h in KEY_HEADERS if headers.get(h)), None)
                if not secret:
                    account = conn.head_account()
                    secret = next((account[h] for h in ACCOUNT_KEY_HEADERS if account.get(h)), None)
        if not secret:
            raise ConfigurationError(
                f"Storage {self.name!r}: no TempURL key to sign URLs with. Set TEMP_URL_KEY "
                f"(FS_SWIFT_TEMP_URL_KEY or {self.name.upper()}_FS_TEMP_URL_KEY), with SET_TEMP_URL_KEY "
                f"= True to store it on the container, or give the container or account one"
            )
        self._temp_url_key = secret
        return secret

    def _signs_for_segments(self) -> bool:
        """Whether a TempURL can GET a large object: only a key of the **account** opens the
        segment container too. Swift's tempurl lets a URL signed with a container's key
        reach that container only, so the segments of a large object answer 401 and the
        GET 409. Asked once (a HEAD of the account, whose keys a user who may write sees)."""
        if self._account_key is None:
            secret = self._key_for_signing()
            with translated(self.settings, "read the account's TempURL keys"):
                try:
                    account = self._conn().head_account()
                except ClientException as exc:
                    if exc.http_status not in (401, 403):
                        raise
                    account = {}  # not shown to this user: assume a container's key
            self._account_key = secret in {account.get(h) for h in ACCOUNT_KEY_HEADERS}
        return self._account_key

    def _is_large(self, filename: str) -> bool:
        with translated(self.settings, "read", filename):
            head = self._head_or_none(self._key(filename))
        return head is not None and _is_slo(head)

    def _sign(self, name: str, expires: int, method: str, **kwargs: Any) -> str:
        secret = self._key_for_signing()
        return sign(
            self.connections.storage_url,
            self.container,
            self._key(name),
            secret=secret,
            expires=expires,
            method=method,
            digest=self.settings.temp_url_digest,
            **kwargs,
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
        """A TempURL of the object for GET, HEAD, PUT or DELETE (other methods: ``None``).

        GET and HEAD URLs make Swift send a ``Content-Disposition`` by the core's rules
        (``attachment`` if asked or if the name's type is not on the storage's inline
        allow-list). Swift sends the stored Content-Type: a PUT URL cannot impose one, so the
        uploader's is stored (serving through the app still sends the core's).
        """
        method = method.upper()
        if expires <= 0:
            raise OperationNotSupported(f"A TempURL must last at least one second, not {expires} s")
        if method == "GET" and not self._signs_for_segments() and self._is_large(filename):
            return None  # the core signs a URL of its own view, which streams the segments
        if method in ("GET", "HEAD"):
            mimetype = content_type_for(filename)
            disposition = disposition_for(
                filename, mimetype, self.config, as_attachment=as_attachment, download_name=download_name
            )
            return self._sign(
                filename,
                expires,
                method,
                filename=download_name or filename,
                inline=disposition.startswith("inline"),
            )
        if method in ("PUT", "DELETE"):
            return self._sign(filename, expires, method)
        return None

    def __repr__(self) -> str:
        return f"<SwiftBackend {self.name!r} swift://{self.container}/{self.key_prefix}>"
