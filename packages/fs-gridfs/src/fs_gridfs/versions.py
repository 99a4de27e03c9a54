"""Writing, copying and removing GridFS versions (``<bucket>.files`` + ``<bucket>.chunks``).

A version is written as the GridFS specification lays it out, chunk documents first and the
file document last (so a GridFS reader never sees a file whose chunks are not all there),
with fs-gridfs's additions in ``metadata``: ``contentType``, ``checksum`` (SHA-256 of the
content, computed while it streams: pymongo 4 computes no MD5) and ``savedBy``.

pymongo's ``GridIn`` is not used for writing: it keeps up to 48 MB of chunks in memory before
sending them (``insert_many`` batches of a whole message), and leaves its chunks behind when
the upload stream fails. :func:`upload` sends ``WRITE_BUFFER`` worth at a time and removes
what it wrote if anything fails before the file document is in. A process killed in the
middle leaves chunks without a file document, which :mod:`fs_gridfs.leftovers` finds.

Nothing here decides which version a name shows: that is :mod:`fs_gridfs.names`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, BinaryIO

from bson import Int64, ObjectId

from .bucket import SAVED_BY, Bucket, Version, now

__all__ = ["copy_on_server", "remove", "remove_quietly", "server_copies", "upload"]

logger = logging.getLogger("fs_gridfs")


def _read_full(read: Callable[[int], Any], size: int) -> bytes:
    """``size`` bytes from ``read``, fewer only at the end (raw streams return short reads)."""
    data = read(size) or b""
    if len(data) >= size or not data:
        return bytes(data)
    parts, got = [data], len(data)
    while got < size:
        more = read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _file_document(
    version_id: Any,
    filename: str,
    length: int,
    chunk_size: int,
    content_type: str | None,
    checksum: str | None,
) -> dict[str, Any]:
    return {
        "_id": version_id,
        "filename": filename,
        "length": Int64(length),
        "chunkSize": chunk_size,
        "uploadDate": now(),
        "metadata": {"contentType": content_type, "checksum": checksum, "savedBy": SAVED_BY},
    }


def _version(doc: dict[str, Any]) -> Version:
    meta = doc["metadata"]
    return Version(
        id=doc["_id"],
        length=int(doc["length"]),
        chunk_size=doc["chunkSize"],
        upload_date=doc["uploadDate"],
        content_type=meta["contentType"],
        checksum=meta["checksum"],
    )


def upload(
    bucket: Bucket,
    stream: BinaryIO,
    filename: str,
    content_type: str | None,
    *,
    before_large_write: Callable[[], None] | None = None,
) -> Version:
    """Write ``stream`` (from its position to its end) as a new version named ``filename``.

    ``before_large_write`` runs once before the first batch of chunks is sent, if the file
    fills more than one batch: a create-only save refuses there, before sending a large file
    for nothing. Whatever fails, the stream included, removes what was written, then raises.
    """
    chunk_size = bucket.settings.chunk_size
    per_write = bucket.settings.chunks_per_write
    version_id = ObjectId()
    hasher = hashlib.sha256()
    batch: list[dict[str, Any]] = []
    n = length = 0
    sent = False  # whether anything may have reached the server (then removed on failure)
    try:
        while True:
            data = _read_full(stream.read, chunk_size)
            if data:
                hasher.update(data)
                batch.append({"files_id": version_id, "n": n, "data": data})
                n, length = n + 1, length + len(data)
            last = len(data) < chunk_size
            del data
            if batch and (last or len(batch) >= per_write):
                if not sent and not last and before_large_write is not None:
                    before_large_write()
                sent = True
                bucket.chunks.insert_many(batch, ordered=True)
                batch = []
            if last:
                break
        doc = _file_document(
            version_id, filename, length, chunk_size, content_type, f"sha256:{hasher.hexdigest()}"
        )
        sent = True
        bucket.files.insert_one(doc)
    except BaseException:
        batch = []
        if sent:
            remove_quietly(bucket, version_id)
        raise
    return _version(doc)


def remove(bucket: Bucket, version_id: Any) -> None:
    """Delete a version: its file document first (GridFS readers stop finding it), then its
    chunks. Removing a version that is gone already is not an error."""
    bucket.files.delete_one({"_id": version_id})
    bucket.chunks.delete_many({"files_id": version_id})


def remove_quietly(bucket: Bucket, version_id: Any) -> None:
    """:func:`remove`, for clean-up after a failure: an error is logged, not raised (the
    caller raises the failure itself; what stays behind is a leftover)."""
    try:
        remove(bucket, version_id)
    except Exception as exc:
        logger.warning(
            "fs-gridfs: could not remove version %s of bucket %r (%s); `flask fs clean` will find it",
            version_id,
            bucket.settings.bucket,
            exc,
        )


def _merge_pipeline(bucket: Bucket, source_id: Any, target_id: Any) -> list[dict[str, Any]]:
    return [
        {"$match": {"files_id": source_id}},
        {"$project": {"_id": 0, "files_id": {"$literal": target_id}, "n": 1, "data": 1}},
        {"$merge": {"into": bucket.chunks.name, "whenMatched": "fail", "whenNotMatched": "insert"}},
    ]


def server_copies(bucket: Bucket) -> bool:
    """Whether the server can copy chunks itself (``$merge`` into the collection it reads,
    MongoDB >= 4.4), asked with a pipeline that matches nothing. A server that refuses the
    stage, or a stand-in without it (mongomock), makes copies stream through the app."""
    from pymongo.errors import OperationFailure

    try:
        bucket.chunks.aggregate(_merge_pipeline(bucket, ObjectId(), ObjectId()))
    except (OperationFailure, NotImplementedError):
        return False
    return True


def copy_on_server(bucket: Bucket, source: Version, filename: str) -> Version:
    """A new version named ``filename`` with the chunks of ``source``, copied by the server
    (no byte reaches the app). A source removed meanwhile leaves nothing and raises
    :class:`LookupError`."""
    version_id = ObjectId()
    expected = -(-source.length // source.chunk_size) if source.length else 0
    try:
        bucket.chunks.aggregate(_merge_pipeline(bucket, source.id, version_id))
        copied = bucket.chunks.count_documents({"files_id": version_id})
        if copied != expected:
            raise LookupError(f"the source lost chunks while it was copied ({copied} of {expected})")
        doc = _file_document(
            version_id, filename, source.length, source.chunk_size, source.content_type, source.checksum
        )
        bucket.files.insert_one(doc)
    except BaseException:
        remove_quietly(bucket, version_id)
        raise
    return _version(doc)
