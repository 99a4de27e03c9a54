"""One storage's collections in MongoDB, and what fs-gridfs writes in them.

A storage is a GridFS bucket (``BUCKET``, the storage name by default) of ``MONGO_DB``:

* ``<bucket>.files`` and ``<bucket>.chunks`` hold *versions*, as the GridFS specification
  lays them out, so ``mongofiles``, ``GridFSBucket`` and other GridFS readers can read them.
  A version is immutable: saving a name writes a new version, never over an old one.
* ``<bucket>.names`` is fs-gridfs's own: one document per stored name, whose ``_id`` is the
  name and whose ``file`` is the ``_id`` of its live version (with the version's size, type,
  checksum and date, so that reading or serving a file needs no other document). Every
  change of which version a name shows is one write of one document there, which MongoDB
  applies atomically: an overwrite appears all at once, and of two creators of a new name
  the second insert fails on the ``_id`` (see :mod:`fs_gridfs.names`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .settings import GridFSSettings

__all__ = ["SAVED_BY", "Bucket", "Version", "now"]

#: ``metadata.savedBy`` of the versions fs-gridfs writes (others are adopted, never reported
#: as leftovers).
SAVED_BY = "fs-gridfs"


def now() -> dt.datetime:
    """The current UTC time at BSON's precision (milliseconds), as stored and read back."""
    moment = dt.datetime.now(dt.timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Version:
    """What a name's document says about its live version."""

    id: Any
    length: int
    chunk_size: int
    upload_date: dt.datetime
    content_type: str | None
    #: ``'sha256:<hex>'`` (``'md5:<hex>'`` for a file adopted from pymongo 3), ``None`` until
    #: computed for an adopted file that has none.
    checksum: str | None
    #: Adopted from a bucket written before fs-gridfs: older versions of the name (Flask-FS
    #: kept every one) go when this one is replaced or deleted.
    legacy: bool = False

    def document(self, name: str) -> dict[str, Any]:
        """The ``<bucket>.names`` document that makes this the live version of ``name``."""
        doc = {
            "_id": name,
            "file": self.id,
            "length": self.length,
            "chunkSize": self.chunk_size,
            "uploadDate": self.upload_date,
            "contentType": self.content_type,
            "checksum": self.checksum,
        }
        if self.legacy:
            doc["legacy"] = True
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Version:
        """The version a ``<bucket>.names`` document points to."""
        uploaded = doc.get("uploadDate")
        if isinstance(uploaded, dt.datetime):
            if uploaded.tzinfo is None:
                uploaded = uploaded.replace(tzinfo=dt.timezone.utc)
            uploaded = uploaded.astimezone(dt.timezone.utc)
        else:  # a server that stores dates as strings (not MongoDB): "now" rather than fail
            uploaded = now()
        return cls(
            id=doc["file"],
            length=int(doc.get("length") or 0),
            chunk_size=int(doc.get("chunkSize") or 1),
            upload_date=uploaded,
            content_type=doc.get("contentType"),
            checksum=doc.get("checksum"),
            legacy=bool(doc.get("legacy")),
        )


class Bucket:
    """The three collections of one storage, with the settings that shape what is written."""

    def __init__(self, database: Any, settings: GridFSSettings) -> None:
        self.settings = settings
        self.database = database
        self.files = database[f"{settings.bucket}.files"]
        self.chunks = database[f"{settings.bucket}.chunks"]
        self.names = database[f"{settings.bucket}.names"]

    def ensure_indexes(self) -> None:
        """The indexes of the GridFS specification, and ``names.file`` (leftovers ask which
        versions a name points to), each made unless an index on the same keys exists (one
        made by another GridFS client may have other options; it serves as well)."""
        wanted = (
            (self.files, [("filename", 1), ("uploadDate", 1)], False),
            (self.chunks, [("files_id", 1), ("n", 1)], True),
            (self.names, [("file", 1)], False),
        )
        for collection, keys, unique in wanted:
            existing = {_keys(index["key"]) for index in collection.list_indexes()}
            if tuple(keys) not in existing:
                collection.create_index(keys, unique=unique)


def _keys(spec: Any) -> tuple[tuple[str, Any], ...]:
    return tuple(
        (str(field), int(order) if isinstance(order, (int, float)) else order)
        for field, order in spec.items()
    )
