"""Which version each name shows: the ``<bucket>.names`` collection.

Every operation that changes what a name shows is one single-document write, which MongoDB
applies atomically:

* **create** (a create-only save): ``insert_one({_id: name, ...})``. ``_id`` is unique in
  every collection, so of concurrent creators exactly one insert succeeds; the others get
  ``DuplicateKeyError`` (``E11000``) and raise :class:`~fs_core.errors.FileExists`. No
  unique index on ``<bucket>.files`` is involved: GridFS keeps several versions of a name
  there during an overwrite, which such an index would refuse.
* **replace** (an overwrite): ``find_one_and_replace`` with ``upsert``, returning the
  document it replaced. Readers see the old version or the new one, never neither, and the
  old version is removed only once the new one is live (by the caller: it alone holds it).
* **unlink** (delete, the source of a move): ``find_one_and_delete``; the version it returns
  is the caller's to remove.

A version is removed only by the operation that unlinked or replaced it from a name, and only
if no other name shows it. Two names show one version only during a move (the target is
linked before the source is unlinked, so a process killed in between leaves the file under
both names rather than none); a move whose source changed under it (another operation
unlinked it, and may be removing the version) puts its target back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from fs_core.errors import FileExists

from .bucket import Bucket, Version

__all__ = [
    "ADOPTED",
    "create",
    "folder",
    "lookup",
    "names_under",
    "points_to",
    "put_back",
    "replace",
    "shown",
    "unlink",
]

#: ``_id`` of the document that says the bucket's files written before fs-gridfs were adopted
#: (a document, not a string: it never matches a name or a range of names).
ADOPTED = {"fs_gridfs": "adopted"}
#: Upserts that race for a new name may fail with E11000 (servers before 4.2 do not retry).
_UPSERT_ATTEMPTS = 3


def folder(prefix: str) -> dict[str, str]:
    """A query on ``_id`` for the names under the folder ``prefix`` (whole segments).

    A range rather than a regular expression: nothing in a name is a pattern, and the
    ``_id`` index answers it. Names sort by their UTF-8 bytes, and ``'0'`` follows ``'/'``, so
    ``[prefix/, prefix0)`` is exactly the names that start with ``prefix/``.
    """
    base = prefix.strip("/")
    return {"$gte": f"{base}/", "$lt": f"{base}0"}


def lookup(bucket: Bucket, name: str) -> Version | None:
    """The live version of ``name``, or ``None``."""
    doc = bucket.names.find_one({"_id": name})
    return None if doc is None else Version.from_document(doc)


def create(bucket: Bucket, name: str, version: Version) -> None:
    """Make ``version`` the first version of ``name``; :class:`FileExists` if it has one."""
    try:
        bucket.names.insert_one(version.document(name))
    except DuplicateKeyError:
        raise FileExists(name) from None


def replace(bucket: Bucket, name: str, version: Version) -> Version | None:
    """Make ``version`` the live version of ``name``; the version it replaced, if any."""
    doc = version.document(name)
    body = {k: v for k, v in doc.items() if k != "_id"}
    for attempt in range(_UPSERT_ATTEMPTS):
        try:
            old = bucket.names.find_one_and_replace(
                {"_id": name}, body, upsert=True, return_document=ReturnDocument.BEFORE
            )
            break
        except DuplicateKeyError:
            if attempt == _UPSERT_ATTEMPTS - 1:
                raise
    return None if old is None else Version.from_document(old)


def unlink(bucket: Bucket, name: str, version_id: Any = None) -> Version | None:
    """Remove ``name`` (only while it shows ``version_id``, if given); the version it
    showed, if any, which the caller removes unless another name shows it."""
    query = {"_id": name} if version_id is None else {"_id": name, "file": version_id}
    doc = bucket.names.find_one_and_delete(query)
    return None if doc is None else Version.from_document(doc)


def put_back(bucket: Bucket, name: str, version: Version, previous: Version | None) -> None:
    """Undo pointing ``name`` at ``version``: show ``previous`` again, or nothing (only while
    ``name`` still shows ``version``: a later write to it stays)."""
    query = {"_id": name, "file": version.id}
    if previous is None:
        bucket.names.delete_one(query)
    else:
        body = {k: v for k, v in previous.document(name).items() if k != "_id"}
        bucket.names.replace_one(query, body)


def shown(bucket: Bucket, version_id: Any) -> bool:
    """Whether any name shows the version ``version_id`` (on the index of ``names.file``)."""
    return bucket.names.find_one({"file": version_id}, {"_id": 1}) is not None


def points_to(bucket: Bucket, name: str, version_id: Any) -> bool:
    """Whether ``name`` shows the version ``version_id`` (after a write whose answer was lost)."""
    return bucket.names.find_one({"_id": name, "file": version_id}, {"_id": 1}) is not None


def names_under(bucket: Bucket, prefix: str | None, page: int = 1000) -> Iterator[str]:
    """Every name, or those under the folder ``prefix``, in ``_id`` order, one query per
    ``page`` names (each page resumes after the last name of the one before, so the caller
    may delete what it was given while it goes on)."""
    bounds: dict[str, Any] = folder(prefix) if prefix and prefix.strip("/") else {"$type": "string"}
    after: str | None = None
    while True:
        query = dict(bounds)
        if after is not None:
            query["$gt"] = after
            query.pop("$gte", None)
        found = bucket.names.find({"_id": query}, {"_id": 1}).sort("_id", 1).limit(page)
        batch = [doc["_id"] for doc in found]
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1]
