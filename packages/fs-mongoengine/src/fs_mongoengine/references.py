"""The values of the fields: what ``doc.file`` and ``doc.image`` are (Flask-FS's proxies).

A :class:`FileReference` names one file of a storage and stores as
``{'filename': 'folder/name.ext'}``; an :class:`ImageReference` adds the names of what was
derived from the image (``original``, ``thumbnails``) and the crop box of its thumbnails
(``bbox``), in the shape Flask-FS stored, so documents Flask-FS wrote load unchanged.

A reference is bound to its document (``instance``) and field (``name``): changing it marks
the field changed, and it remembers the files it named before (``stale``), which a field with
``delete_files=True`` deletes once the document no longer needs them (see
:mod:`fs_mongoengine.cleanup`).
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Sequence
from typing import Any

from fs_core import FileNotFound, InvalidFilename, Storage, extension, lower_extension, secure_filename

from . import images
from .validation import refusals_as_validation_errors

__all__ = ["FileReference", "ImageReference"]

#: ``upload_to`` and ``basename``: a value, or a function of the document.
PerDocument = str | Callable[[Any], str] | None


def _per_document(value: PerDocument, instance: Any) -> str | None:
    return value(instance) if callable(value) else value


class FileReference:
    """One file of a storage, as a field's value (Flask-FS's ``FileReference``).

    ``bool(ref)`` says whether there is a file; ``ref.filename`` is its name in the storage
    (folders included), ``ref.url`` and ``str(ref)`` its URL (``None`` and ``''`` when empty).
    """

    def __init__(
        self,
        fs: Storage | None = None,
        filename: str | None = None,
        upload_to: PerDocument = None,
        basename: PerDocument = None,
        instance: Any = None,
        name: str | None = None,
    ) -> None:
        self.fs = fs
        self.upload_to = upload_to
        self.basename = basename
        #: The document this value belongs to, and the field's name in it.
        self.instance = instance
        self.name = name
        self._filename = filename
        #: Files this reference named before (main name → names derived from it): candidates
        #: for deletion once the document is saved (``delete_files=True``).
        self.stale: dict[str, set[str]] = {}

    # -- the value ----------------------------------------------------------------------------

    @property
    def filename(self) -> str | None:
        """The file's name in the storage (``None``: no file)."""
        return self._filename

    @filename.setter
    def filename(self, value: str | None) -> None:
        self._mark_changed()
        self._filename = value

    def _mark_changed(self) -> None:
        mark = getattr(self.instance, "_mark_as_changed", None)
        if mark is not None and self.name:
            mark(self.name)

    def to_mongo(self) -> dict[str, Any]:
        """The stored shape: ``{'filename': name}``."""
        return {"filename": self._filename}

    def files(self) -> dict[str, set[str]]:
        """The file this value names, with the names derived from it (none for a plain
        file): ``{main: {derived…}}``, empty when there is no file."""
        return {self._filename: set()} if self._filename else {}

    def _forget_current(self) -> None:
        """What this value names becomes stale: it is about to name something else."""
        for main, derived in self.files().items():
            self.stale.setdefault(main, set()).update(derived)

    def __bool__(self) -> bool:
        return bool(self._filename)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileReference) or type(other) is not type(self):
            return NotImplemented
        return _storage_name(self.fs) == _storage_name(other.fs) and self.to_mongo() == other.to_mongo()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {_storage_name(self.fs)!r}: {self._filename!r}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> FileReference:
        # The storage and the callables are shared, not copied (a Storage knows its apps).
        clone = copy.copy(self)
        memo[id(self)] = clone
        clone.instance = copy.deepcopy(self.instance, memo) if self.instance is not None else None
        clone.stale = {main: set(derived) for main, derived in self.stale.items()}
        return clone

    # -- URLs -----------------------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        """The file's URL (``Storage.url``), ``None`` without a file."""
        return self._storage().url(self._filename) if self._filename else None

    def __str__(self) -> str:
        return self.url or ""

    def signed_url(self, expires: int | None = None, **options: Any) -> str | None:
        """A signed, expiring URL of the file (``Storage.signed_url``: the way to a file of a
        private storage), ``None`` without a file."""
        return self._storage().signed_url(self._filename, expires, **options) if self._filename else None

    # -- saving ---------------------------------------------------------------------------------

    def save(self, file_or_wfs: Any, filename: str | None = None, overwrite: bool | None = None) -> str:
        """Store ``file_or_wfs`` (a werkzeug ``FileStorage`` or a file object) in the field's
        storage and point this value at it; returns the stored name.

        The name: ``filename`` if given (validated by fs-core: no ``..``, no absolute path);
        else ``basename(document)`` with the upload's extension if the field has a
        ``basename``; else the upload's own name made safe. It is stored under
        ``upload_to`` (a folder, or a function of the document). A file the storage refuses
        (type not allowed, over ``MAX_SIZE``, a bad name) raises a mongoengine
        ``ValidationError`` for this field, and nothing is stored.
        """
        storage = self._storage()
        with refusals_as_validation_errors(self.name):
            target = self._target_name(file_or_wfs, filename, storage)
            stored = storage.save(
                file_or_wfs, target, prefix=_per_document(self.upload_to, self.instance), overwrite=overwrite
            )
        self._forget_current()
        self.filename = stored
        return stored

    def _target_name(self, file: Any, filename: str | None, storage: Storage) -> str | None:
        """The name to store under (before ``upload_to``), or ``None`` to let fs-core make one
        from the upload's name."""
        if filename:
            return filename
        if self.basename is None:
            return None
        base = _per_document(self.basename, self.instance)
        if not isinstance(base, str) or not base:
            raise InvalidFilename(f"the basename of field {self.name!r} gave {base!r}, not a name")
        client = getattr(file, "filename", None)
        ascii_only = storage.config.get_bool("ascii_names")
        ext = extension(secure_filename(client, ascii_only=ascii_only)) if isinstance(client, str) else ""
        return f"{base}.{ext}" if ext else base

    def _storage(self) -> Storage:
        if self.fs is None:
            field = f"field {self.name!r}" if self.name else "this reference"
            raise TypeError(f"{field} has no storage: declare the field with fs=Storage(...)")
        return self.fs


def _box(bbox: Sequence[float] | None) -> tuple[float, ...] | None:
    if bbox is None:
        return None
    try:
        return tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        raise images.bbox_errors()[0](f"bbox must be (left, upper, right, lower), not {bbox!r}") from None


def _storage_name(storage: Storage | None) -> str | None:
    return storage.name if storage is not None else None


class ImageReference(FileReference):
    """An image and what was derived from it (Flask-FS's ``ImageReference``): its
    ``original`` (the upload as it was, kept when the image was resized or optimised), its
    ``thumbnails`` (``{'64': 'photo-64.jpg'}``) and the ``bbox`` they were cut from."""

    def __init__(
        self,
        original: str | None = None,
        max_size: int | None = None,
        thumbnail_sizes: Sequence[int] | None = None,
        thumbnails: dict[str, str] | None = None,
        bbox: Sequence[float] | None = None,
        optimize: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._original = original
        self.max_size = max_size
        #: The field's sizes (a tuple: never sorted in place, unlike Flask-FS's shared list).
        self.thumbnail_sizes: tuple[int, ...] = tuple(thumbnail_sizes or ())
        self.thumbnails: dict[str, str] = {str(k): v for k, v in (thumbnails or {}).items()}
        self.bbox: list[float] | None = list(bbox) if bbox else None
        self.optimize = optimize

    @property
    def original(self) -> str | None:
        """The unmodified upload's name: the ``-original`` kept beside a resized or
        optimised image, else the image itself."""
        return self._original or self._filename

    @original.setter
    def original(self, value: str | None) -> None:
        self._mark_changed()
        self._original = value

    def to_mongo(self) -> dict[str, Any]:
        """Flask-FS's shape: ``filename``, and ``original``, ``thumbnails``, ``bbox`` when set."""
        data = super().to_mongo()
        if self._original:
            data["original"] = self._original
        if self.thumbnails:
            data["thumbnails"] = dict(self.thumbnails)
        if self.bbox:
            data["bbox"] = list(self.bbox)
        return data

    def files(self) -> dict[str, set[str]]:
        if not self._filename:
            return {}
        derived = {name for name in (self._original, *self.thumbnails.values()) if name}
        derived.discard(self._filename)
        return {self._filename: derived}

    def __deepcopy__(self, memo: dict[int, Any]) -> ImageReference:
        clone = super().__deepcopy__(memo)
        assert isinstance(clone, ImageReference)
        clone.thumbnails = dict(self.thumbnails)
        clone.bbox = list(self.bbox) if self.bbox else None
        return clone

    # -- URLs -----------------------------------------------------------------------------------

    def thumbnail(self, size: int) -> str | None:
        """The name of the thumbnail of ``size`` (``None`` if it was not made, as for an
        image stored before the size was added); ``ValueError`` for a size that is neither
        the field's nor recorded for this image."""
        key = str(size)
        if key in self.thumbnails:
            return self.thumbnails[key]
        if int(size) in self.thumbnail_sizes:
            return None
        raise ValueError(f"Unregistered thumbnail size {size}")

    def full(self, external: bool = False) -> str | None:
        """The URL of the image itself (``None`` without an image)."""
        return self._storage().url(self._filename, external) if self._filename else None

    def best_url(self, size: int | None = None, external: bool = False) -> str | None:
        """The URL that best fits ``size`` pixels: the smallest thumbnail at least that large,
        else the image itself (also without ``size``), as Flask-FS's documentation says.
        Only thumbnails this image has are considered."""
        if not self._filename:
            return None
        if size is not None:
            sizes = sorted(int(k) for k in self.thumbnails if k.isdigit())  # a copy: nothing shared
            index = bisect.bisect_left(sizes, size)
            if index < len(sizes):
                return self._storage().url(self.thumbnails[str(sizes[index])], external)
        return self.full(external)

    __call__ = best_url

    # -- saving ---------------------------------------------------------------------------------

    def save(  # type: ignore[override]
        self,
        file_or_wfs: Any,
        filename: str | None = None,
        bbox: Sequence[float] | None = None,
        overwrite: bool | None = None,
    ) -> str:
        """Store an image and make its variants with the field's settings (``max_size``,
        ``thumbnails``, ``optimize``; fs-images does the work); returns the image's name.

        Names as for :meth:`FileReference.save`. ``bbox`` = ``(left, upper, right, lower)``
        crops the thumbnails (and is stored, for :meth:`rerender`). A file that is not a
        sound image, of a type the storage refuses, too large, or a bad ``bbox`` raises a
        mongoengine ``ValidationError`` and nothing is stored (an image it would have
        replaced stays as it was). Needs an application context and fs-images.
        """
        storage = self._storage()
        images.require_plugin(storage)
        settings = self._settings(storage)
        with refusals_as_validation_errors(self.name, also=images.bbox_errors()):
            target = self._target_name(file_or_wfs, filename, storage)
            if target and filename:
                target = lower_extension(target)  # as Flask-FS named images
            box = _box(bbox)
            rendered = images.store(
                storage,
                file_or_wfs,
                target,
                prefix=_per_document(self.upload_to, self.instance),
                overwrite=overwrite,
                bbox=box,
                settings=settings,
            )
        self._forget_current()
        self._record(rendered)
        self.bbox = list(box) if box else None
        return rendered.filename

    def rerender(self) -> str:
        """Make the image's variants again with the field's current settings, from its
        ``-original`` where one was kept, with the stored ``bbox``; the image keeps its name.
        Thumbnails of sizes the field no longer has become stale (deleted with
        ``delete_files=True`` once the document is saved)."""
        if not self._filename:
            raise FileNotFound("", message=f"field {self.name!r} has no image to render")
        storage = self._storage()
        settings = self._settings(storage)
        with refusals_as_validation_errors(self.name, also=images.bbox_errors()):
            rendered = images.rerender(storage, self._filename, settings.field, self.bbox)
        self._forget_current()
        self._record(rendered)
        return self._filename

    #: Flask-FS's documentation called it ``render`` (its code had only ``rerender``).
    render = rerender

    def _settings(self, storage: Storage) -> images.FieldSettings:
        return images.field_settings(
            storage, max_size=self.max_size, thumbnails=self.thumbnail_sizes or None, optimize=self.optimize
        )

    def _record(self, rendered: images.Rendered) -> None:
        self.filename = rendered.filename
        self._original = rendered.original if rendered.original != rendered.filename else None
        self.thumbnails = dict(rendered.thumbnails)
