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

Each version is pointed to by at most one name, and only the operation that unlinked it
removes it, so two operations never remove a version the other one still shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from fs_core.errors import FileExists

from .bucket import Bucket, Version

__all__ = ["ADOPTED", "create", "folder", "lookup", "names_under", "points_to", "replace", "unlink"]

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


def unlink(bucket: Bucket, name: str) -> Version | None:
    """Remove ``name``; the version it showed (now the caller's to remove), if any."""
    doc = bucket.names.find_one_and_delete({"_id": name})
    return None if doc is None else Version.from_document(doc)


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
