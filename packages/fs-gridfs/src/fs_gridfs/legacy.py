"""Files written before fs-gridfs (Flask-FS, ``mongofiles``, any GridFS client): adopted.

Flask-FS's ``gridfs`` backend used the storage name as its GridFS collection prefix, as
fs-gridfs does by default, and kept a new version for every write, reading the newest by
``uploadDate``. When fs-gridfs first uses a bucket it gives each file name that has no entry
in ``<bucket>.names`` its newest version, as Flask-FS showed it (:func:`adopt`), then records
that it did: a storage moved from Flask-FS shows the same files. Names that fs-core would
refuse (``../x``, ``/abs``) stay where they are, unadopted.

An adopted name whose file had older versions is marked ``legacy``: those versions go when
the name is replaced or deleted (:func:`older_versions`). Adopted files stored by pymongo 3
keep their MD5 as checksum (``md5:<hex>``); files without one get a SHA-256 computed on their
first metadata read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, cast

from fs_core.errors import InvalidFilename
from fs_core.naming import validate_name

from .bucket import SAVED_BY, Bucket, Version, now
from .names import ADOPTED

__all__ = ["adopt", "adopted", "older_versions"]

logger = logging.getLogger("fs_gridfs")
_NOT_OURS = {"metadata.savedBy": {"$ne": SAVED_BY}}


def adopted(bucket: Bucket) -> bool:
    """Whether the bucket's earlier files were adopted already."""
    return bucket.names.find_one({"_id": ADOPTED}, {"_id": 1}) is not None


def _newest_versions(bucket: Bucket) -> Iterator[tuple[dict[str, Any], int]]:
    """``(newest file document, number of versions)`` per file name, in name order, from
    one pass over the GridFS index (``filename``, ``uploadDate``)."""
    projection = {"filename": 1, "length": 1, "chunkSize": 1, "uploadDate": 1}
    projection.update({"contentType": 1, "md5": 1, "metadata.contentType": 1})
    cursor = bucket.files.find(_NOT_OURS, projection).sort([("filename", 1), ("uploadDate", 1)])
    current: dict[str, Any] | None = None
    count = 0
    for doc in cursor:
        if current is not None and doc.get("filename") != current.get("filename"):
            yield current, count
            count = 0
        current, count = doc, count + 1
    if current is not None:
        yield current, count


def _version(doc: dict[str, Any], versions: int) -> Version:
    raw_meta = doc.get("metadata")
    meta = raw_meta if isinstance(raw_meta, dict) else {}
    md5 = doc.get("md5")
    return Version.from_document(
        {
            "file": doc["_id"],
            "length": doc.get("length") or 0,
            "chunkSize": doc.get("chunkSize") or 1,
            "uploadDate": doc.get("uploadDate") or now(),
            "contentType": meta.get("contentType") or doc.get("contentType"),
            "checksum": f"md5:{md5}" if isinstance(md5, str) and md5 else None,
            "legacy": versions > 1,
        }
    )


def adopt(bucket: Bucket) -> int:
    """Give every file name of the bucket that has no entry its newest version (never
    replacing an entry: a concurrent save wins); how many names were added."""
    added = skipped = 0
    for doc, versions in _newest_versions(bucket):
        name = doc.get("filename")
        try:
            valid = isinstance(name, str) and validate_name(name) == name
        except InvalidFilename:
            valid = False
        if not valid:
            skipped += 1
            continue
        entry = _version(doc, versions).document(cast(str, name))  # valid: a str
        result = bucket.names.update_one({"_id": name}, {"$setOnInsert": entry}, upsert=True)
        added += 1 if result.upserted_id is not None else 0
    bucket.names.update_one({"_id": ADOPTED}, {"$set": {"at": now()}}, upsert=True)
    if added or skipped:
        logger.info(
            "fs-gridfs: bucket %r: adopted %d file(s) written before fs-gridfs; %d name(s) that "
            "fs-core refuses were left as they are",
            bucket.settings.bucket,
            added,
            skipped,
        )
    return added


def older_versions(bucket: Bucket, name: str, version: Version) -> list[Any]:
    """The ids of the versions of an adopted ``name`` older than ``version`` (Flask-FS kept
    one per write), written before fs-gridfs."""
    query = {"filename": name, "uploadDate": {"$lte": version.upload_date}, "_id": {"$ne": version.id}}
    query.update(_NOT_OURS)
    return [doc["_id"] for doc in bucket.files.find(query, {"_id": 1})]
