"""``FileField`` and ``ImageField``: mongoengine fields whose values are files of an fs-core
storage (Flask-FS's ``flask_fs.mongo``).

A field's value is always a reference (:class:`~fs_mongoengine.references.FileReference`,
:class:`~fs_mongoengine.references.ImageReference`), empty when there is no file, so
``doc.file.save(upload)`` works on a new document. An empty value is not stored (the key is
left out), and a missing or ``None`` key loads as an empty value.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from mongoengine import Document, EmbeddedDocument
from mongoengine.base import BaseField
from mongoengine.errors import InvalidDocumentError
from mongoengine.fields import DictField, ListField, StringField

from fs_core import ConfigurationError, Storage

from . import cleanup
from .references import FileReference, ImageReference, PerDocument

__all__ = ["FileField", "ImageField"]


class FileField(BaseField):
    """A file of the storage ``fs`` (Flask-FS's ``FileField``), stored as
    ``{'filename': name}``.

    :param fs: the :class:`fs_core.Storage` the files are in.
    :param upload_to: a folder for the files, or a function of the document returning one.
    :param basename: a name (without extension) for saved files, or a function of the
        document returning one; the upload's extension is added.
    :param delete_files: delete the file when the document is deleted, or once the document
        is saved with another file (or none) in this field; never a file another document
        still references through a FileField or ImageField of the same storage. Only for
        fields of a ``Document`` (not of an ``EmbeddedDocument``, nor inside a list).

    Other arguments are mongoengine's (``required``, ``db_field``…).
    """

    proxy_class: type[FileReference] = FileReference
    #: The keys of the stored shape (others are ignored when loading).
    stored_keys: tuple[str, ...] = ("filename",)

    def __init__(
        self,
        fs: Storage | None = None,
        upload_to: PerDocument = None,
        basename: PerDocument = None,
        *args: Any,
        delete_files: bool = False,
        **kwargs: Any,
    ) -> None:
        if not isinstance(fs, Storage):
            raise ConfigurationError(
                f"{type(self).__name__} needs the storage its files are in: "
                f"{type(self).__name__}(fs=fs_core.Storage('name')), not {fs!r}"
            )
        self.fs = fs
        self.upload_to = upload_to
        self.basename = basename
        self.delete_files = bool(delete_files)
        super().__init__(*args, **kwargs)

    # -- values --------------------------------------------------------------------------------

    def proxy(self, filename: str | None = None, instance: Any = None, **kwargs: Any) -> FileReference:
        """A value of this field (Flask-FS's ``proxy``)."""
        return self.proxy_class(
            fs=self.fs,
            filename=filename,
            upload_to=self.upload_to,
            basename=self.basename,
            instance=instance,
            name=self.name,
            **kwargs,
        )

    def _reference(self, value: Any, instance: Any) -> Any:
        """``value`` as a reference of this field bound to ``instance`` (values of another
        field or document are copied); values that cannot be one are returned as they are,
        for :meth:`validate` to refuse."""
        if type(value) is self.proxy_class and value.fs is self.fs:
            if value.instance is instance and value.name == self.name:
                return value
            if value.instance is None and value.name in (None, self.name):
                value.instance, value.name = instance, self.name
                return value
            value = value.to_mongo()
        elif isinstance(value, FileReference):
            value = value.to_mongo()
        if value is None:
            return self.proxy(instance=instance)
        if isinstance(value, str):
            return self.proxy(filename=value or None, instance=instance)
        if isinstance(value, dict):
            known = {key: value[key] for key in self.stored_keys if value.get(key) is not None}
            return self.proxy(instance=instance, **known)
        return value

    def to_python(self, value: Any) -> Any:
        return self._reference(value, None)

    def to_mongo(self, value: Any) -> Any:
        reference = self._reference(value, None) if not isinstance(value, FileReference) else value
        if not isinstance(reference, FileReference):
            return reference
        return reference.to_mongo() if reference else None

    def prepare_query_value(self, op: str, value: Any) -> Any:
        if isinstance(value, FileReference):
            return value.to_mongo()
        return super().prepare_query_value(op, value)

    def validate(self, value: Any, clean: bool = True) -> None:
        if not isinstance(value, FileReference):
            self.error(
                f"{type(value).__name__} is not a file of storage {self.fs.name!r}: assign a stored "
                f"name, None, or save an upload with doc.{self.name}.save(file)"
            )
        if value.filename is not None and not isinstance(value.filename, str):
            self.error(f"the file name must be a string, not {type(value.filename).__name__}")
        if self.required and not value:
            self.error("Field is required")

    def lookup_member(self, member_name: str) -> BaseField | None:
        """``Doc.objects(file__filename=name)``."""
        return StringField(db_field=member_name) if member_name == "filename" else None

    # -- descriptor ------------------------------------------------------------------------------

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        value = instance._data.get(self.name)
        reference = self._reference(value, instance)
        if reference is not value:
            instance._data[self.name] = reference
        return reference

    def __set__(self, instance: Any, value: Any) -> None:
        reference = self._reference(value, instance)
        previous = instance._data.get(self.name)
        if (
            isinstance(previous, FileReference)
            and isinstance(reference, FileReference)
            and previous is not reference
        ):
            # What the replaced value named (or had replaced) may have to be deleted.
            for main, derived in (*previous.stale.items(), *previous.files().items()):
                reference.stale.setdefault(main, set()).update(derived)
        if self.delete_files:
            cleanup.watch(type(instance))
        super().__set__(instance, reference)

    def _set_owner_document(self, owner_document: type[Any]) -> None:
        super()._set_owner_document(owner_document)
        if not self.delete_files:
            return
        if issubclass(owner_document, EmbeddedDocument) or owner_document._fields.get(self.name) is not self:
            where = (
                "an EmbeddedDocument" if issubclass(owner_document, EmbeddedDocument) else "a list or dict"
            )
            raise InvalidDocumentError(
                f"{owner_document.__name__}: delete_files=True is for fields of a Document, and this "
                f"{type(self).__name__} is in {where}: its files are never deleted with the document"
            )
        if issubclass(owner_document, Document):
            cleanup.watch(owner_document)
            cleanup.watch_subclasses(owner_document)

    def __deepcopy__(self, memo: dict[int, Any]) -> FileField:
        # mongoengine copies fields (QuerySet.no_dereference): share the storage, not copy it.
        clone = copy.copy(self)
        memo[id(self)] = clone
        return clone


class ImageField(FileField):
    """An image of the storage ``fs`` and its variants (Flask-FS's ``ImageField``), made by
    fs-images: stored as ``{'filename', 'original', 'thumbnails', 'bbox'}``.

    :param max_size: shrink the image to fit this square (the upload is kept as
        ``-original``).
    :param thumbnails: thumbnail sizes in pixels (``[100, 32]``: ``name-100.ext``…).
    :param optimize: re-encode the image smaller (default: ``FS_IMAGES_OPTIMIZE``).

    Other arguments as for :class:`FileField`. Saving needs fs-images
    (``pip install fs-mongoengine[images]``); reading values and URLs does not.
    """

    proxy_class = ImageReference
    stored_keys = ("filename", "original", "thumbnails", "bbox")

    def __init__(
        self,
        fs: Storage | None = None,
        upload_to: PerDocument = None,
        basename: PerDocument = None,
        *args: Any,
        max_size: int | None = None,
        thumbnails: Sequence[int] | None = None,
        optimize: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ConfigurationError(
                f"ImageField max_size must be a positive number of pixels, not {max_size!r}"
            )
        sizes = tuple(thumbnails or ())
        if not all(isinstance(s, int) and s >= 1 for s in sizes):
            raise ConfigurationError(
                f"ImageField thumbnails must be positive sizes in pixels, not {thumbnails!r}"
            )
        self.max_size = max_size
        #: The thumbnail sizes, as given (a tuple: nothing sorts it in place).
        self.thumbnail_sizes = sizes
        self.optimize = optimize
        super().__init__(fs, upload_to, basename, *args, **kwargs)

    def proxy(self, filename: str | None = None, instance: Any = None, **kwargs: Any) -> ImageReference:
        kwargs.setdefault("max_size", self.max_size)
        kwargs.setdefault("thumbnail_sizes", self.thumbnail_sizes)
        kwargs.setdefault("optimize", self.optimize)
        reference = super().proxy(filename, instance, **kwargs)
        assert isinstance(reference, ImageReference)
        return reference

    def lookup_member(self, member_name: str) -> BaseField | None:
        """``Doc.objects(image__filename=name)``, ``image__original``, ``image__thumbnails__64``."""
        if member_name == "thumbnails":
            return DictField(db_field=member_name)
        if member_name == "bbox":
            return ListField(db_field=member_name)
        if member_name == "original":
            return StringField(db_field=member_name)
        return super().lookup_member(member_name)
