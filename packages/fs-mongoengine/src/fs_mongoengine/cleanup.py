"""Deleting the files of fields with ``delete_files=True``, once no document needs them.

Files are deleted after the database says the document no longer names them:

- after ``doc.save()`` (mongoengine's ``post_save``): the files the field named before (a
  replaced upload, a value set to ``None``, thumbnails of sizes a ``rerender`` dropped);
- after ``doc.delete()`` (``post_delete``; ``Doc.objects(...).delete()`` then deletes
  document by document): the files it names, and those it named before.

A file is kept if any document still references it through a ``FileField`` or ``ImageField``
of the same storage (:mod:`fs_mongoengine.referrers`), or if that cannot be known. An image
goes with what was derived from it: its ``-original``, thumbnails and WebP/AVIF variants.
A failure to delete is logged (logger ``fs_mongoengine``), never raised: the document's
change is already stored.

Signals are connected per document class (mongoengine sends them with the class as sender):
for the class that declares the field and its subclasses, when they are defined; and for any
class whose document sets the field (a field from a mixin).
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from mongoengine import signals

from fs_core import FSError, Storage
from fs_core.naming import validate_name

from . import images, referrers
from .references import FileReference

__all__ = ["watch", "watch_subclasses"]

log = logging.getLogger("fs_mongoengine")

_watched: weakref.WeakSet[type] = weakref.WeakSet()
_watching_subclasses: weakref.WeakSet[type] = weakref.WeakSet()


def watch(document: type[Any]) -> None:
    """Delete files for ``document``'s fields with ``delete_files`` (idempotent)."""
    if document in _watched:
        return
    _watched.add(document)
    signals.post_save.connect(_saved, sender=document)
    signals.post_delete.connect(_deleted, sender=document)


def watch_subclasses(document: type[Any]) -> None:
    """Also :func:`watch` every subclass of ``document`` as it is defined."""
    if document in _watching_subclasses:
        return
    _watching_subclasses.add(document)
    previous = document.__dict__.get("__init_subclass__")

    def __init_subclass__(cls: type[Any], /, **kwargs: Any) -> None:
        if previous is not None:
            previous.__get__(None, cls)(**kwargs)
        else:
            super(document, cls).__init_subclass__(**kwargs)
        watch(cls)

    document.__init_subclass__ = classmethod(__init_subclass__)  # type: ignore[assignment]


def _fields(document: type[Any]) -> list[Any]:
    from .fields import FileField

    return [f for f in document._fields.values() if isinstance(f, FileField) and f.delete_files]


def _saved(sender: type, document: Any, **kwargs: Any) -> None:
    for field in _fields(sender):
        reference = document._data.get(field.name)
        if isinstance(reference, FileReference):
            stale, reference.stale = reference.stale, {}
            _delete(field, stale, keep=reference.files())


def _deleted(sender: type, document: Any, **kwargs: Any) -> None:
    for field in _fields(sender):
        reference = document._data.get(field.name)
        if isinstance(reference, FileReference):
            files = {main: set(derived) for main, derived in reference.stale.items()}
            for main, derived in reference.files().items():
                files.setdefault(main, set()).update(derived)
            reference.stale = {}
            _delete(field, files, keep={})


def _delete(field: Any, files: dict[str, set[str]], keep: dict[str, set[str]]) -> None:
    """Delete ``files`` ({image: names derived from it}) that no document references, but
    not what the field still names (``keep``)."""
    for main, derived in files.items():
        try:
            _delete_one(field, main, derived, keep)
        except Exception:  # the document's change is stored: report, do not undo it
            log.exception("fs_mongoengine: deleting %r from storage %r failed; kept", main, field.fs.name)


def _delete_one(field: Any, main: str, derived: set[str], keep: dict[str, set[str]]) -> None:
    storage: Storage = field.fs
    kept = set(keep).union(*keep.values())
    names = set(derived)
    if main not in keep:  # the file itself, and everything derived from it
        names |= {main, *_variants(field, main)}
    names -= kept
    if not names:
        return
    try:
        still = referrers.referenced(storage.name, names)
    except referrers.Unsearchable as exc:
        log.warning("fs_mongoengine: %s; keeping %s in storage %r", exc, sorted(names), storage.name)
        return
    if main in still:
        return  # another document names the file: what is derived from it stays too
    for name in sorted(names - still - {main}):
        _remove(storage, name, derived=True)
    if main in names:
        _remove(storage, main, derived=False)


def _variants(field: Any, name: str) -> list[str]:
    """What fs-images derives from the image ``name`` with the field's settings."""
    sizes = getattr(field, "thumbnail_sizes", None)
    if sizes is None:  # a FileField: the storage's own processors clean up after a delete
        return []
    try:
        settings = images.field_settings(
            field.fs, max_size=field.max_size, thumbnails=sizes or None, optimize=field.optimize
        )
    except (ImportError, FSError):  # without fs-images: the names the document recorded
        return []
    return images.variant_names(name, settings.field)


def _remove(storage: Storage, name: str, *, derived: bool) -> None:
    try:
        if derived:  # straight through the backend, as fs-images removes variants
            storage.backend.delete(validate_name(name))
        else:  # the file itself: the storage's processors and signals run
            storage.delete(name)
    except FSError as exc:
        log.warning("fs_mongoengine: could not delete %r from storage %r: %s", name, storage.name, exc)
