"""fs-mongoengine: mongoengine fields for files of fs-core storages (Flask-FS's ``flask_fs.mongo``).

Not a PyFilesystem2 plugin: it plugs into ``fs_core``. A Flask-FS application's
``from flask_fs.mongo import FileField, ImageField`` becomes
``from fs_mongoengine import FileField, ImageField``; documents Flask-FS stored load unchanged.
``ImageField`` processes images with fs-images (``pip install fs-mongoengine[images]``).

The names below are imported on first use, so that fs-core loading this package's plugin
(which only takes part in ``ImageField`` saves) does not import mongoengine and pymongo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .fields import FileField, ImageField
    from .references import FileReference, ImageReference

__version__ = "0.1.0"

__all__ = ["FileField", "FileReference", "ImageField", "ImageReference", "__version__"]

_LAZY = {
    "FileField": "fields",
    "ImageField": "fields",
    "FileReference": "references",
    "ImageReference": "references",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fs_mongoengine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
