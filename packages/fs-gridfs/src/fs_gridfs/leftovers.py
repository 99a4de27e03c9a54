"""What interrupted writes leave in a bucket: found, described, removed.

A save never shows a partial file (a name points to a version only once the version is
complete), but a process killed in the middle of one (``kill -9``, a worker timeout) leaves:

* **unfinished uploads**: chunks whose file document was never written. Found with one pass
  over the distinct ``files_id`` of ``<bucket>.chunks`` (the ``files_id_1_n_1`` index), each
  checked against ``<bucket>.files``. Their age is that of their newest chunk (the time in
  its ObjectId, made when it was sent), so an upload still sending is never old.
* **unpublished versions**: complete versions written by fs-gridfs that no name points to (a
  save killed between writing its version and publishing it, or an old version whose
  removal failed after an overwrite). Versions that fs-gridfs did not write are never
  reported: they are the files of other GridFS clients, or adopted ones.

:func:`remove` checks again before deleting (the upload may have finished, the version may
have been published since), so removing a stale report deletes nothing that is in use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import Any

from fs_core.leftovers import Leftover, is_older

from . import versions
from .bucket import SAVED_BY, Bucket

__all__ = ["find", "remove"]

_BATCH = 500


def _batches(items: Iterator[Any], size: int = _BATCH) -> Iterator[list[Any]]:
    while batch := list(islice(items, size)):
        yield batch


def _aware(moment: Any) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        return dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    aware: dt.datetime = moment.astimezone(dt.timezone.utc)
    return aware


def _upload_ids(bucket: Bucket) -> Iterator[Any]:
    """Each ``files_id`` of the chunks, once (a DISTINCT_SCAN of the index on MongoDB)."""
    pipeline = [{"$sort": {"files_id": 1, "n": 1}}, {"$group": {"_id": "$files_id"}}]
    for doc in bucket.chunks.aggregate(pipeline):
        yield doc["_id"]


def _unfinished(bucket: Bucket, older_than: float) -> Iterator[Leftover]:
    for ids in _batches(_upload_ids(bucket)):
        finished = {doc["_id"] for doc in bucket.files.find({"_id": {"$in": ids}}, {"_id": 1})}
        for upload_id in ids:
            if upload_id in finished:
                continue
            query = {"files_id": upload_id}
            first = bucket.chunks.find_one(query, sort=[("n", 1)])
            last = bucket.chunks.find_one(query, sort=[("n", -1)])
            if first is None or last is None:
                continue  # removed meanwhile
            count = bucket.chunks.count_documents(query)
            size = (count - 1) * len(first["data"]) + len(last["data"])
            modified = _aware(getattr(last["_id"], "generation_time", None))
            if is_older(modified, older_than):
                yield Leftover(
                    f"unfinished upload {upload_id} ({count} chunk(s), no file document)",
                    modified,
                    size,
                    ref=("upload", upload_id),
                )


def _unpublished(bucket: Bucket, older_than: float) -> Iterator[Leftover]:
    query = {"metadata.savedBy": SAVED_BY}
    docs = bucket.files.find(query, {"filename": 1, "length": 1, "uploadDate": 1})
    for batch in _batches(iter(docs)):
        ids = [doc["_id"] for doc in batch]
        shown = {doc["file"] for doc in bucket.names.find({"file": {"$in": ids}}, {"file": 1})}
        for doc in batch:
            modified = _aware(doc.get("uploadDate"))
            if doc["_id"] not in shown and is_older(modified, older_than):
                yield Leftover(
                    f"version {doc['_id']} of {doc.get('filename')!r} that no name shows "
                    f"(an interrupted save, or a replaced version not removed)",
                    modified,
                    int(doc.get("length") or 0),
                    ref=("version", doc["_id"]),
                )


def find(bucket: Bucket, older_than: float) -> Iterator[Leftover]:
    """The bucket's leftovers last written more than ``older_than`` seconds ago."""
    yield from _unfinished(bucket, older_than)
    yield from _unpublished(bucket, older_than)


def remove(bucket: Bucket, leftover: Leftover) -> None:
    """Remove one leftover, unless it is in use now (finished upload, published version)."""
    kind, ident = leftover.ref
    if kind == "upload":
        if bucket.files.find_one({"_id": ident}, {"_id": 1}) is None:
            bucket.chunks.delete_many({"files_id": ident})
    elif bucket.names.find_one({"file": ident}, {"_id": 1}) is None:
        versions.remove(bucket, ident)
