"""Which stored files documents still reference: the check before a field deletes a file.

A file of a storage is referenced wherever a ``FileField`` or ``ImageField`` of that storage
(the same storage name) names it, in any document class mongoengine knows in this process
(its registry of the classes defined so far): as a field of a ``Document``, of an
``EmbeddedDocument`` in one (at any depth), or in a list of either. Each collection is asked
with one query per batch of names, on the stored shape (``filename``, ``original``, the
field's ``thumbnails`` sizes, or a bare string).

A place that cannot be searched makes the answer unknown (:class:`Unsearchable`), and then no
file is deleted: fields inside a ``DictField``/``MapField`` (keys cannot be queried), an
embedded document that contains itself, a collection whose database is not connected.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mongoengine import Document, EmbeddedDocument
from mongoengine.base import _document_registry
from mongoengine.connection import ConnectionFailure
from mongoengine.fields import (
    ComplexBaseField,
    DictField,
    EmbeddedDocumentField,
    GenericEmbeddedDocumentField,
)
from pymongo.errors import PyMongoError

from fs_core.errors import OperationNotSupported

__all__ = ["BATCH", "Location", "Unsearchable", "locations", "referenced", "referenced_files"]

#: Names asked about in one query, for ``flask fs orphans`` (a query is one BSON document:
#: 16 MB at most).
BATCH = 1000


class Unsearchable(Exception):
    """Some place where the storage's files can be referenced cannot be searched."""


@dataclass(frozen=True)
class Location:
    """Where a field of the storage sits in a collection: ``path`` of db field names."""

    document: type[Document]
    path: tuple[str, ...]
    thumbnail_sizes: tuple[int, ...]

    def query(self, names: list[str]) -> dict[str, Any]:
        """Documents that name one of ``names`` here."""
        dotted = ".".join(self.path)
        wanted = {"$in": names}
        keys = [dotted, f"{dotted}.filename", f"{dotted}.original"]
        keys += [f"{dotted}.thumbnails.{size}" for size in self.thumbnail_sizes]
        return {"$or": [{key: wanted} for key in keys]}

    def names(self, document: Any) -> set[str]:
        """Every file name a stored document holds at this location."""
        found: set[str] = set()
        for value in _values(document, self.path):
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, dict):
                found.update(v for v in (value.get("filename"), value.get("original")) if isinstance(v, str))
                thumbnails = value.get("thumbnails")
                if isinstance(thumbnails, dict):
                    found.update(v for v in thumbnails.values() if isinstance(v, str))
        return found


def _values(value: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if isinstance(value, list):  # MongoDB's dotted paths go through arrays
        for item in value:
            yield from _values(item, path)
    elif not path:
        yield value
    elif isinstance(value, dict) and path[0] in value:
        yield from _values(value[path[0]], path[1:])


def referenced(storage: str, names: Iterable[str]) -> set[str]:
    """The ``names`` that some document references through a field of the storage named
    ``storage``. Raises :class:`Unsearchable` where that cannot be known."""
    wanted = sorted(set(names))
    found: set[str] = set()
    if not wanted:
        return found
    for location in locations(storage):
        try:
            # The collection as it is: _get_collection() would create the class's indexes.
            collection = location.document._get_db()[location.document._get_collection_name()]
            cursor = collection.find(location.query(wanted), {".".join(location.path): 1})
            for stored in cursor:
                found |= location.names(stored) & set(wanted)
                if len(found) == len(wanted):
                    return found
        except (PyMongoError, ConnectionFailure) as exc:
            raise Unsearchable(
                f"{location.document.__name__} ({'.'.join(location.path)}) could not be searched: {exc}"
            ) from exc
    return found


def referenced_files(storage: str, names: Iterable[str]) -> set[str] | None:
    """The ``names`` documents refer to through fields of the storage named ``storage``,
    asked :data:`BATCH` names at a time (fs-core's ``referenced_files`` hook, for ``flask fs
    orphans``); ``None`` if no document class defined so far has a field of that storage.

    Where a place cannot be searched, an :class:`~fs_core.errors.OperationNotSupported`
    says so: no file may be reported unreferenced then.
    """
    if not locations(storage):
        return None
    wanted = sorted(set(names))
    found: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        try:
            found |= referenced(storage, wanted[start : start + BATCH])
        except Unsearchable as exc:
            raise OperationNotSupported(
                f"fs-mongoengine cannot tell which files of storage {storage!r} documents refer to, "
                f"so it reports none as unreferenced: {exc}"
            ) from exc
    return found


def locations(storage: str) -> list[Location]:
    """Every place a field of ``storage`` sits, in the document classes defined so far."""
    found: dict[tuple[str, str, tuple[str, ...]], Location] = {}
    for document in list(_document_registry.values()):
        if not issubclass(document, Document) or document._meta.get("abstract"):
            continue
        alias = document._meta.get("db_alias", "default")
        collection = document._get_collection_name()
        for path, sizes in _paths(document, storage, (), ()):
            key = (alias, collection, path)
            previous = found.get(key)
            if previous is not None:
                sizes = tuple(sorted(set(previous.thumbnail_sizes) | set(sizes)))
            found[key] = Location(document, path, sizes)
    return list(found.values())


def _paths(
    document: type[Any], storage: str, prefix: tuple[str, ...], stack: tuple[type, ...]
) -> Iterator[tuple[tuple[str, ...], tuple[int, ...]]]:
    for field in document._fields.values():
        yield from _field_paths(field, storage, (*prefix, field.db_field), (*stack, document))


def _field_paths(
    field: Any, storage: str, path: tuple[str, ...], stack: tuple[type, ...]
) -> Iterator[tuple[tuple[str, ...], tuple[int, ...]]]:
    from .fields import FileField

    if isinstance(field, FileField):
        if field.fs.name == storage:
            yield path, tuple(getattr(field, "thumbnail_sizes", ()))
    elif isinstance(field, (EmbeddedDocumentField, GenericEmbeddedDocumentField)):
        for embedded in _embedded_classes(field):
            if embedded in stack:
                if _contains(embedded, storage, set()):
                    raise Unsearchable(f"{embedded.__name__} contains itself: its files cannot be searched")
                continue
            yield from _paths(embedded, storage, path, stack)
    elif isinstance(field, DictField):
        if field.field is not None and _contains_field(field.field, storage, set()):
            raise Unsearchable(f"{'.'.join(path)} is a dict of files, whose keys cannot be searched")
    elif isinstance(field, ComplexBaseField) and field.field is not None:  # lists
        yield from _field_paths(field.field, storage, path, stack)


def _embedded_classes(field: Any) -> list[type]:
    if isinstance(field, EmbeddedDocumentField):
        return [field.document_type]
    choices = [c for c in (field.choices or ()) if isinstance(c, type)]
    if choices:
        return choices
    return [c for c in _document_registry.values() if issubclass(c, EmbeddedDocument)]


def _contains(document: type[Any], storage: str, seen: set[type]) -> bool:
    if document in seen:
        return False
    seen.add(document)
    return any(_contains_field(field, storage, seen) for field in document._fields.values())


def _contains_field(field: Any, storage: str, seen: set[type]) -> bool:
    from .fields import FileField

    if isinstance(field, FileField):
        return bool(field.fs.name == storage)
    if isinstance(field, (EmbeddedDocumentField, GenericEmbeddedDocumentField)):
        return any(_contains(c, storage, seen) for c in _embedded_classes(field))
    if isinstance(field, ComplexBaseField) and field.field is not None:
        return _contains_field(field.field, storage, seen)
    return False
