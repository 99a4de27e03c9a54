"""The ``s3`` backend: files as objects of an S3 bucket (AWS or any S3-compatible service).

A storage has a bucket of its own (named after the storage), or shares ``BUCKET`` with other
storages, each under the key prefix ``<storage name>/``. Nothing contacts the service before
the first operation: the client is built then, and the bucket created if it is missing
(``CREATE_BUCKET``, on by default, with the region's ``LocationConstraint``).

* Saves stream: one PUT below ``MULTIPART_THRESHOLD``, a multipart upload above it
  (:mod:`fs_s3.uploads`), holding at most ``MULTIPART_CHUNKSIZE x (MAX_CONCURRENCY + 1)``
  bytes of reused buffers whatever the file size. A failed multipart upload is aborted, so
  nothing appears.
* Create-only saves send ``If-None-Match: *`` where the service honours it (AWS, moto): of
  concurrent creators exactly one wins and the backend declares ``ATOMIC_CREATE``. Whether it
  does is asked once, on first use, with a probe object (``ATOMIC_CREATE`` in the config skips
  the probe). Where it does not (Swift's s3api answers 501), a HEAD checks the name first: an
  existing file is still refused, but two creators racing in the window between the HEAD and
  the PUT may both succeed, the last one winning.
* Reads return a :class:`~fs_s3.readers.RangedReader`: seekable, fetching ranges on demand.
* ``delete(name)`` removes the key and every key under ``name/`` (never ``name2``), 1,000 per
  ``DeleteObjects`` request; ``list_files`` pages through any number of keys.
* Copies and moves stay inside the service: ``CopyObject`` up to ``MULTIPART_COPY_THRESHOLD``
  (5 GiB, S3's limit for it), a multipart ``UploadPartCopy`` above.
* ``serve`` streams through the app with Range/ETag/304, or (``SERVE = 'redirect'``) answers
  with a redirect to a presigned URL of the object; ``signed_url`` presigns GET, HEAD, PUT and
  DELETE.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import uuid
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import ClientError
from s3transfer.exceptions import S3CopyFailedError
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from fs_core import streams
from fs_core.backend import ATOMIC_CREATE, SERVER_SIDE_COPY, SIGNED_URLS, BaseBackend
from fs_core.content_types import content_type_for
from fs_core.errors import (
    BackendError,
    ConfigurationError,
    FileExists,
    FileNotFound,
    InvalidFilename,
    OperationNotSupported,
)
from fs_core.leftovers import Leftover, is_older
from fs_core.listing import FileInfo
from fs_core.serving import disposition_for, response_type, send_stream

from . import uploads
from .client import copy_transfer_config, make_client, require_absent
from .errors import SERVICE_ERRORS, error_code, translate, translated
from .readers import RangedReader, full_reads, remaining
from .settings import MAX_PRESIGN_EXPIRES, S3Settings

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["PROBE_PREFIX", "S3Backend"]

#: Key prefix (under the storage's own) of the object written once to ask the service
#: whether it honours ``If-None-Match``; deleted at once, and never listed.
PROBE_PREFIX = ".fs-s3-probe/"
#: Buffer of the streams ``open_read`` returns (large reads bypass it).
READ_BUFFER = 64 * 1024
#: The longest object key S3 takes, in UTF-8 bytes (the key prefix counts).
MAX_KEY_BYTES = 1024
#: What a multipart upload needs beyond its key: OpenStack Swift's s3api keeps the parts as
#: objects named ``<key>/<upload id>/<part>`` (48 + 4 bytes and two slashes) under the same
#: limit, and answers a longer one with a bare ``InternalError``. Measured on Swift 2.30.
MULTIPART_KEY_RESERVE = 54
_CREATE_REFUSED = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412"})
#: User metadata (``x-amz-meta-fs-create``) of an object made by a create-only save: a random
#: token, so that a save whose answer was lost, and whose retry was refused, knows the object
#: is its own.
CREATE_TOKEN = "fs-create"
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_MD5_ETAG = re.compile(r"[0-9a-f]{32}")
# Headers a multipart copy must carry over itself (CopyObject's MetadataDirective=COPY does).
_COPIED_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage")


def _stored_type(response: dict[str, Any]) -> str | None:
    """The Content-Type a HEAD or GET answered, without parameters; ``None`` if generic."""
    mime = str(response.get("ContentType") or "").split(";")[0].strip().lower()
    return None if mime in _GENERIC_TYPES else mime


def _is_multipart_etag(etag: str) -> bool:
    return "-" in etag.strip('"')


class S3Backend(BaseBackend):
    """An S3 bucket, or one storage's prefix in a shared bucket (Flask-FS's ``S3Backend``)."""

    #: ``FS_S3_KEY_PREFIX`` would give every storage in a shared bucket the same prefix, so they
    #: would list, overwrite and delete each other's files: only ``{NAME}_FS_KEY_PREFIX``.
    STORAGE_ONLY_KEYS = frozenset({"key_prefix"})

    def __init__(self, name: str, config: Any = None) -> None:
        super().__init__(name, config)
        #: The resolved configuration (see :class:`~fs_s3.settings.S3Settings`).
        self.settings = S3Settings.from_config(name, self.config)
        self.bucket = self.settings.bucket
        self.key_prefix = self.settings.key_prefix
        self._lock = threading.RLock()
        self._client: Any = None
        self._create_client: Any = None
        self._bucket_ready = False
        self._atomic: bool | None = self.settings.atomic_create
        # Destination keys of multipart copies running without CopySourceIfMatch (see _copy).
        self._lenient_copies: set[str] = set()
        self._multipart_if_match = True

    # -- clients --------------------------------------------------------------------------

    def _new_client(self) -> Any:
        try:
            return make_client(self.settings)
        except ValueError as exc:  # botocore: "Invalid endpoint: ..."
            raise ConfigurationError(f"Storage {self.name!r}: {exc} (check ENDPOINT)") from exc
        except SERVICE_ERRORS as exc:
            raise translate(exc, self.settings, "create the S3 client") from exc

    @property
    def client(self) -> Any:
        """The boto3 S3 client, built on first use (building it contacts nothing)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    client = self._new_client()
                    client.meta.events.register(
                        "before-parameter-build.s3.UploadPartCopy", self._drop_copy_if_match
                    )
                    self._client = client
        return self._client

    def _creator(self) -> Any:
        """A second client whose PutObject and CompleteMultipartUpload carry
        ``If-None-Match: *`` (boto3's transfer manager has no argument for it)."""
        if self._create_client is None:
            with self._lock:
                if self._create_client is None:
                    client = self._new_client()
                    for operation in ("PutObject", "CompleteMultipartUpload"):
                        client.meta.events.register(f"before-parameter-build.s3.{operation}", require_absent)
                    self._create_client = client
        return self._create_client

    def _ready(self) -> Any:
        """The client, once the bucket is known to exist (created if missing and allowed)."""
        client = self.client
        if not self._bucket_ready:
            with self._lock:
                if not self._bucket_ready:
                    if self.settings.create_bucket:
                        self._ensure_bucket(client)
                    self._bucket_ready = True
        return client

    def _ensure_bucket(self, client: Any) -> None:
        with translated(self.settings, f"check bucket {self.bucket!r}"):
            try:
                client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as exc:
                if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                    raise
            region = client.meta.region_name
            kwargs: dict[str, Any] = {"Bucket": self.bucket}
            if region and region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                client.create_bucket(**kwargs)
            except ClientError as exc:
                code = error_code(exc)
                if code == "BucketAlreadyOwnedByYou":
                    return
                if code == "BucketAlreadyExists":
                    raise BackendError(
                        f"Storage {self.name!r}: the bucket name {self.bucket!r} is taken by another "
                        f"account; set BUCKET ({self.name.upper()}_FS_BUCKET) to a name of your own",
                        exc,
                    ) from exc
                raise

    @property
    def max_name_bytes(self) -> int:
        """S3's 1,024-byte key limit, less the key prefix (Swift's s3api refuses longer keys
        with ``KeyTooLongError``, AWS too; moto takes them)."""
        return MAX_KEY_BYTES - len(self.key_prefix.encode("utf-8"))

    def _check_room(self, target: str, *, multipart: bool = False) -> None:
        """:class:`InvalidFilename` before any request if ``target``'s key would be too long
        (for a multipart upload, with the room its parts' names need)."""
        why = f" under the key prefix {self.key_prefix!r}"
        if multipart:
            why += f" and {MULTIPART_KEY_RESERVE} for the names of a multipart upload's parts"
        self.check_name_length(target, extra=MULTIPART_KEY_RESERVE if multipart else 0, why=why)

    def _key(self, filename: str) -> str:
        """The object key of ``filename``; the probe's folder is reserved (never a file of the
        storage: a leftover probe is removed by ``flask fs clean``)."""
        if filename.startswith(PROBE_PREFIX) or filename == PROBE_PREFIX.rstrip("/"):
            raise InvalidFilename(f"{filename!r}: names under {PROBE_PREFIX!r} are reserved for fs-s3")
        return self.key_prefix + filename

    # -- capabilities ---------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:  # type: ignore[override]
        """``SERVER_SIDE_COPY`` and ``SIGNED_URLS``, plus ``ATOMIC_CREATE`` if the service
        honours ``If-None-Match: *`` (asked once, unless ``ATOMIC_CREATE`` is configured)."""
        caps = {SERVER_SIDE_COPY, SIGNED_URLS}
        atomic = self._atomic
        if atomic is None:
            try:
                atomic = self._atomic_create()
            except BackendError:
                atomic = False  # unknown for now: asked again on the next create-only save
        if atomic:
            caps.add(ATOMIC_CREATE)
        return frozenset(caps)

    def _atomic_create(self) -> bool:
        if self._atomic is None:
            client = self._ready()
            with self._lock:
                if self._atomic is None:
                    self._atomic = self._probe_conditional_put(client)
        return self._atomic

    def _probe_conditional_put(self, client: Any) -> bool:
        """Whether a second ``PUT`` with ``If-None-Match: *`` over an object is refused.

        A service may implement it (412), refuse the header (Swift's s3api: 501), or ignore it
        (the PUT succeeds): only the first makes create-only saves atomic.
        """
        key = f"{self.key_prefix}{PROBE_PREFIX}{uuid.uuid4().hex}"
        args = {"Bucket": self.bucket, "Key": key, "Body": b"", **self.settings.write_args}
        with translated(self.settings, "check conditional writes"):
            client.put_object(**args)
            try:
                client.put_object(**args, IfNoneMatch="*")
            except ClientError as exc:
                if error_code(exc) in _CREATE_REFUSED:
                    return True
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (400, 501):
                    return False
                raise
            finally:
                client.delete_object(Bucket=self.bucket, Key=key)
        return False

    # -- reading --------------------------------------------------------------------------

    def _head(self, filename: str) -> dict[str, Any]:
        client = self._ready()
        with translated(self.settings, "read", filename):
            head: dict[str, Any] = client.head_object(Bucket=self.bucket, Key=self._key(filename))
            return head

    def exists(self, filename: str) -> bool:
        try:
            self._head(filename)
        except FileNotFound:
            return False
        return True

    def _fetch(self, filename: str, etag: str | None, start: int) -> Any:
        """The body of ``filename`` from byte ``start``, if its ETag is still ``etag``."""
        client = self._ready()
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self._key(filename),
            "Range": f"bytes={start}-",
        }
        if etag:
            kwargs["IfMatch"] = etag
        try:
            with translated(self.settings, "read", filename):
                try:
                    return client.get_object(**kwargs)["Body"]
                except ClientError as exc:
                    if error_code(exc) in ("PreconditionFailed", "412"):
                        raise BackendError(
                            f"Storage {self.name!r}: {filename!r} was replaced while it was being read", exc
                        ) from exc
                    raise
        except FileNotFound:
            raise BackendError(
                f"Storage {self.name!r}: {filename!r} was deleted while it was being read"
            ) from None

    def _reader(self, filename: str, size: int, etag: str | None, body: Any = None) -> RangedReader:
        return RangedReader(
            partial(self._fetch, filename, etag),
            size,
            body=body,
            on_error=lambda exc: translate(exc, self.settings, "read", filename),
        )

    def open_read(self, filename: str) -> BinaryIO:
        """A seekable, buffered stream of the file: one GET read as it goes; a seek outside
        the buffer starts a ``Range`` GET there. :class:`FileNotFound` at once if the key does
        not exist. (``.raw`` is the :class:`~fs_s3.readers.RangedReader`.)"""
        client = self._ready()
        with translated(self.settings, "read", filename):
            response = client.get_object(Bucket=self.bucket, Key=self._key(filename))
        reader = self._reader(filename, response["ContentLength"], response.get("ETag"), response["Body"])
        reader.content_type = _stored_type(response)
        return io.BufferedReader(reader, buffer_size=READ_BUFFER)

    def _checksum(self, etag: str) -> str:
        """``md5:<etag>`` where the ETag is the MD5 of the content (one part, not SSE-KMS),
        else ``etag:<etag>`` (a multipart upload's, or an encrypted object's)."""
        etag = etag.strip('"')
        encrypted = str(self.settings.sse or "").startswith("aws:kms")
        return f"md5:{etag}" if _MD5_ETAG.fullmatch(etag) and not encrypted else f"etag:{etag}"

    def get_metadata(self, filename: str) -> dict[str, Any]:
        """``checksum`` (``md5:`` where the ETag is the MD5 of the content, else ``etag:``),
        ``size``, ``mime`` (the stored Content-Type), ``modified`` (UTC) and ``etag``."""
        head = self._head(filename)
        etag = str(head.get("ETag") or "").strip('"')
        encrypted = str(head.get("ServerSideEncryption") or "").startswith("aws:kms")
        md5 = _MD5_ETAG.fullmatch(etag) and not encrypted and not head.get("SSECustomerAlgorithm")
        modified = head.get("LastModified")
        if isinstance(modified, dt.datetime):
            modified = modified.astimezone(dt.timezone.utc)
        return {
            "checksum": f"md5:{etag}" if md5 else f"etag:{etag}",
            "size": head["ContentLength"],
            "mime": _stored_type(head),
            "modified": modified,
            "etag": head.get("ETag"),
        }

    def _listing(self, prefix: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(name, listed object)`` under the folder ``prefix``, page by page."""
        folder = f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""
        start = len(self.key_prefix)
        client = self._ready()
        with translated(self.settings, f"list {prefix or 'the storage'!r}"):
            paginator = client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.key_prefix + folder):
                for item in page.get("Contents", ()):
                    name = item["Key"][start:]
                    if name and not name.endswith("/") and not name.startswith(PROBE_PREFIX):
                        yield name, item

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        """Names under the folder ``prefix`` (whole segments), page by page."""
        for name, _ in self._listing(prefix):
            yield name

    def scan(self, prefix: str | None = None) -> Iterator[FileInfo]:
        """Names with their size, date and ETag, from the listing itself (1,000 per request;
        the content type is not listed: ``mime`` is ``None``)."""
        for name, item in self._listing(prefix):
            modified = item["LastModified"]
            yield FileInfo(
                name,
                int(item["Size"]),
                modified.astimezone(dt.timezone.utc),
                self._checksum(str(item.get("ETag") or "")),
            )

    # -- writing --------------------------------------------------------------------------

    def save(
        self,
        file_or_wfs: Any,
        filename: str,
        overwrite: bool = False,
        content_type: str | None = None,
    ) -> str:
        """Upload from the stream's current position, with its Content-Type (given, else
        guessed from the name) and the storage's SSE and ACL.

        Below ``MULTIPART_THRESHOLD`` (known from a seekable stream, or found by reading the
        first part) the file goes in one ``PutObject``; above it, as a multipart upload of
        parts read into reused buffers (:mod:`fs_s3.uploads`), which a retry resends as they
        are.
        """
        self._check_room(filename)
        extra: dict[str, Any] = {
            "ContentType": content_type_for(filename, content_type),
            **self.settings.write_args,
        }
        client = self._ready()
        conditional = False
        if not overwrite:
            conditional = self._atomic_create()
            if not conditional and self.exists(filename):
                raise FileExists(filename)
        token = uuid.uuid4().hex if conditional else None
        if token:
            extra["Metadata"] = {CREATE_TOKEN: token}
        stream = streams.as_stream(file_or_wfs)
        threshold = self.settings.multipart_threshold
        size = remaining(stream)
        key = self._key(filename)
        condition = {"IfNoneMatch": "*"} if conditional else {}
        try:
            if size is not None and size < threshold:
                # A small stream not at offset 0 is read first: botocore rewinds the body of a
                # retried PutObject to 0.
                body = stream if stream.tell() == 0 else full_reads(stream).read()
                client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra, **condition)
                return filename
            plan = uploads.plan(
                size,
                self.settings.multipart_chunksize,
                self.settings.max_concurrency,
                # (unknown size: the first part tells whether the file reaches the threshold)
                at_least=threshold if size is None else 0,
            )
            pool = uploads.BufferPool(plan)
            first = pool.take()
            length = uploads.read_full(stream, first)
            # One PUT only if the stream ended within its first part (a full part may be
            # followed by more: with a threshold above the part size, it is not the file).
            if length < threshold and length < len(first):
                body = uploads.body(first, length)
                client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra, **condition)
                return filename
            self._check_room(filename, multipart=True)
            if conditional and self.exists(filename):
                # Fail fast: the service would refuse only at the end, once every part is
                # sent. The conditional CompleteMultipartUpload stays the real guard.
                raise FileExists(filename)
            self._multipart(client, key, extra, stream, pool, (first, length), conditional)
        except SERVICE_ERRORS as exc:
            if token and self._created_by(key, token):
                # The service stored it, its answer was lost, and botocore's retry was refused
                # (or failed) because the object now exists: the save did succeed.
                return filename
            if conditional and isinstance(exc, ClientError) and error_code(exc) in _CREATE_REFUSED:
                raise FileExists(filename) from None
            raise translate(exc, self.settings, "save", filename) from exc
        return filename

    def _multipart(
        self,
        client: Any,
        key: str,
        extra: dict[str, Any],
        stream: Any,
        pool: uploads.BufferPool,
        first: tuple[bytearray, int],
        conditional: bool,
    ) -> None:
        """A multipart upload of ``first`` and the rest of ``stream`` (see
        :mod:`fs_s3.uploads`), completed with ``If-None-Match: *`` if ``conditional``; aborted
        on any failure, the stream's included."""
        upload_id = client.create_multipart_upload(Bucket=self.bucket, Key=key, **extra)["UploadId"]

        def upload_part(number: int, data: bytes | bytearray) -> str:
            answer = client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
            )
            return str(answer["ETag"])

        try:
            try:
                parts = uploads.upload_parts(stream, pool, upload_part, first)
            except uploads.TooManyParts as exc:
                raise BackendError(str(exc), exc) from exc
            completer = self._creator() if conditional else client
            completer.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except SERVICE_ERRORS:  # the upload is a leftover: flask fs clean removes it
                pass
            raise

    def _created_by(self, key: str, token: str) -> bool:
        """Whether the object at ``key`` was made by the create-only save of ``token``."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except SERVICE_ERRORS:
            return False
        return (head.get("Metadata") or {}).get(CREATE_TOKEN) == token

    def delete(self, filename: str) -> None:
        """Delete the key ``filename`` and every key under ``filename/``, in batches."""
        client = self._ready()
        key = self._key(filename)
        with translated(self.settings, f"delete {filename!r}"):
            paginator = client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key + "/"):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
                if keys:
                    self._delete_batch(client, keys)
            client.delete_object(Bucket=self.bucket, Key=key)

    def _delete_batch(self, client: Any, keys: list[dict[str, str]]) -> None:
        response = client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
        errors = [e for e in response.get("Errors", ()) if e.get("Code") != "NoSuchKey"]
        if errors:
            first = errors[0]
            raise BackendError(
                f"Storage {self.name!r}: {len(errors)} of {len(keys)} keys could not be deleted "
                f"(first: {first.get('Key')!r}: {first.get('Code')}: {first.get('Message')})"
            )

    # -- copy and move --------------------------------------------------------------------

    def copy(self, filename: str, target: str, overwrite: bool = False) -> str:
        """Copy inside the service. Refusing an existing ``target`` is a HEAD check: S3's
        CopyObject has no create-only condition that services honour (moto ignores it)."""
        self._check_room(target)
        head = self._head(filename)
        if filename == target:
            return target
        if not overwrite and self.exists(target):
            raise FileExists(target)
        self._copy({"Bucket": self.bucket, "Key": self._key(filename)}, filename, head, target)
        return target

    def _same_service(self, other: S3Backend) -> bool:
        """Whether ``other`` is on this backend's service with the same credentials (so a
        copy request signed by this one may read ``other``'s bucket)."""
        mine, theirs = self.settings, other.settings
        fields = ("endpoint", "region", "access_key", "secret_key", "session_token", "client_options")
        return all(getattr(mine, f) == getattr(theirs, f) for f in fields)

    def place(self) -> tuple[str, str]:
        """The bucket on its endpoint (AWS's of the region where none is set), and the key
        prefix: two storages sharing a bucket, one's prefix inside the other's, overlap."""
        settings = self.settings
        service = settings.endpoint or f"aws:{settings.region or ''}"
        return f"s3 {service.rstrip('/')} {self.bucket}", self.key_prefix.strip("/")

    def copy_from(self, source: BaseBackend, filename: str, target: str, overwrite: bool = False) -> bool:
        """A copy inside the service from another S3 storage on the same endpoint, with the
        same credentials (another bucket, or another prefix of a shared one)."""
        if not isinstance(source, S3Backend) or not self._same_service(source):
            return False
        self._check_room(target)
        head = source._head(filename)
        if not overwrite and self.exists(target):
            raise FileExists(target)
        self._copy({"Bucket": source.bucket, "Key": source._key(filename)}, filename, head, target)
        return True

    def _copy(self, source: dict[str, str], filename: str, head: dict[str, Any], target: str) -> None:
        client = self._ready()
        key = self._key(target)
        size = head["ContentLength"]
        with translated(self.settings, f"copy {filename!r} to {target!r}"):
            if size <= self.settings.multipart_copy_threshold:
                client.copy_object(
                    CopySource=source,
                    Bucket=self.bucket,
                    Key=key,
                    MetadataDirective="COPY",
                    **self.settings.write_args,
                )
                return
            self._check_room(target, multipart=True)
            extra = {h: head[h] for h in _COPIED_HEADERS if head.get(h)}
            extra.update(Metadata=head.get("Metadata") or {}, **self.settings.write_args)
            config = copy_transfer_config(self.settings, size)
            multipart_source = _is_multipart_etag(str(head.get("ETag") or ""))
            lenient = multipart_source and not self._multipart_if_match
            try:
                self._managed_copy(client, source, key, extra, config, lenient)
            except S3CopyFailedError:
                if lenient or not multipart_source:
                    raise
                # OpenStack Swift's s3api cannot match the ETag of a multipart object in
                # UploadPartCopy (412): copy without the condition, then check the source.
                self._multipart_if_match = False
                lenient = True
                self._managed_copy(client, source, key, extra, config, lenient)
            if lenient and client.head_object(**source).get("ETag") != head.get("ETag"):
                client.delete_object(Bucket=self.bucket, Key=key)
                raise BackendError(f"Storage {self.name!r}: {filename!r} changed while it was being copied")

    def _managed_copy(
        self, client: Any, source: dict[str, str], key: str, extra: dict[str, Any], config: Any, lenient: bool
    ) -> None:
        if lenient:
            self._lenient_copies.add(key)
        try:
            client.copy(source, self.bucket, key, ExtraArgs=extra, Config=config)
        finally:
            self._lenient_copies.discard(key)

    def _drop_copy_if_match(self, params: dict[str, Any], **_: Any) -> None:
        if params.get("Bucket") == self.bucket and params.get("Key") in self._lenient_copies:
            params.pop("CopySourceIfMatch", None)

    def move(self, filename: str, target: str, overwrite: bool = False) -> str:
        """A server-side copy, then deleting the source key (only that key: ``delete`` would
        also remove the folder ``filename/``)."""
        self.copy(filename, target, overwrite=overwrite)
        if filename != target:
            with translated(self.settings, f"delete {filename!r}"):
                self._ready().delete_object(Bucket=self.bucket, Key=self._key(filename))
        return target

    # -- leftovers -------------------------------------------------------------------------

    def leftovers(self, older_than: float = 0) -> Iterator[Leftover]:
        """Multipart uploads under the storage's prefix that were started more than
        ``older_than`` seconds ago and never completed nor aborted (a killed process leaves
        them; the service keeps their parts, and bills them, until they are aborted), and
        probe objects a killed probe left."""
        client = self._ready()
        start = len(self.key_prefix)
        with translated(self.settings, "list unfinished uploads"):
            pages = client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.key_prefix
            )
            for page in pages:
                for upload in page.get("Uploads", ()):
                    initiated = upload["Initiated"].astimezone(dt.timezone.utc)
                    if not is_older(initiated, older_than):
                        continue
                    key, upload_id = upload["Key"], upload["UploadId"]
                    yield Leftover(
                        f"unfinished multipart upload of {key[start:]!r} ({upload_id})",
                        initiated,
                        self._uploaded_size(client, key, upload_id),
                        ref=("upload", key, upload_id),
                    )
            probes = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.key_prefix + PROBE_PREFIX
            )
            for page in probes:
                for item in page.get("Contents", ()):
                    modified = item["LastModified"].astimezone(dt.timezone.utc)
                    if is_older(modified, older_than):
                        yield Leftover(
                            f"probe object {item['Key'][start:]!r}",
                            modified,
                            item["Size"],
                            ref=("key", item["Key"]),
                        )

    def _uploaded_size(self, client: Any, key: str, upload_id: str) -> int | None:
        """Bytes the upload's parts hold; ``None`` if it was aborted or completed meanwhile."""
        total = 0
        try:
            for page in client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            ):
                total += sum(part["Size"] for part in page.get("Parts", ()))
        except ClientError as exc:
            if error_code(exc) in ("NoSuchUpload", "404"):
                return None
            raise
        return total

    def remove_leftover(self, leftover: Leftover) -> None:
        """Abort the upload (its parts are deleted) or delete the probe object."""
        kind, key, *rest = leftover.ref
        client = self._ready()
        with translated(self.settings, f"remove {leftover.what}"):
            try:
                if kind == "upload":
                    client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=rest[0])
                else:
                    client.delete_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if error_code(exc) not in ("NoSuchUpload", "404", "NoSuchKey"):
                    raise

    # -- serving and URLs -----------------------------------------------------------------

    def serve(
        self,
        filename: str,
        *,
        environ: WSGIEnvironment | None = None,
        as_attachment: bool = False,
        download_name: str | None = None,
    ) -> Response:
        """Stream the object through the app (one HEAD, then one GET, ranged if the request
        asks for a range), or redirect to a presigned URL with ``SERVE = 'redirect'``, which
        makes S3 send the type and the ``Content-Disposition`` the app would have sent."""
        meta = self.metadata(filename)
        if self.settings.serve == "redirect":
            url = self._presign(
                "get_object",
                filename,
                self.settings.redirect_expires,
                **self._response_headers(filename, meta["mime"], as_attachment, download_name),
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

    def _response_headers(
        self, filename: str, mime: str, as_attachment: bool, download_name: str | None
    ) -> dict[str, str]:
        """What S3 is to send for a presigned GET or HEAD, by the core's rules: one
        well-formed type, and a disposition that is ``attachment`` unless the type is on the
        storage's inline allow-list. (S3 cannot send a Content-Security-Policy: the bucket's
        origin, not the app's, is what a mistake would expose.)"""
        mimetype = response_type(filename, mime)
        return {
            "ResponseContentType": mimetype,
            "ResponseContentDisposition": disposition_for(
                filename, mimetype, self.config, as_attachment=as_attachment, download_name=download_name
            ),
        }

    def _presign(self, operation: str, filename: str, expires: int, **params: Any) -> str:
        with translated(self.settings, f"sign a URL for {filename!r}"):
            url: str = self.client.generate_presigned_url(
                operation,
                Params={"Bucket": self.bucket, "Key": self._key(filename), **params},
                ExpiresIn=expires,
            )
        return url

    def signed_url(
        self,
        filename: str,
        expires: int,
        *,
        method: str = "GET",
        download_name: str | None = None,
        as_attachment: bool = False,
    ) -> str | None:
        """A presigned URL of the object (no request is made to sign it, but a PUT URL is made
        only once the bucket is known to exist, as for any first write).

        GET and HEAD URLs make S3 send the type of the name (not whatever the object was
        stored with) and a ``Content-Disposition`` by the core's rules (``attachment`` if
        asked or if the type is not on the storage's inline allow-list); a PUT URL is signed with
        the Content-Type of the name and the storage's SSE and ACL headers, which the uploader
        must send (they are what gets stored). Other methods: ``None``.
        """
        method = method.upper()
        if not 0 < expires <= MAX_PRESIGN_EXPIRES:
            raise OperationNotSupported(
                f"S3 presigned URLs last from 1 second to 7 days ({MAX_PRESIGN_EXPIRES} s), not {expires} s"
            )
        params: dict[str, Any] = {}
        if method in ("GET", "HEAD"):
            operation = "get_object" if method == "GET" else "head_object"
            # Signed without a request: the type is the name's, whatever the object carries.
            params.update(
                self._response_headers(filename, content_type_for(filename), as_attachment, download_name)
            )
        elif method == "PUT":
            operation = "put_object"
            params.update(ContentType=content_type_for(filename), **self.settings.write_args)
            self._ready()  # the upload may be the storage's first use: its bucket must exist
        elif method == "DELETE":
            operation = "delete_object"
        else:
            return None
        return self._presign(operation, filename, expires, **params)

    def __repr__(self) -> str:
        return f"<S3Backend {self.name!r} s3://{self.bucket}/{self.key_prefix}>"
