"""fs-images: the image pipeline of fs-core, as post-save processors.

Not a PyFilesystem2 plugin: it plugs into ``fs_core`` (entry point ``images``).

Storages that turn it on (``{NAME}_FS_IMAGES_THUMBNAILS = [256, 64]`` and the other
``IMAGES_*`` keys, see the README) get thumbnails, a maximum size, optimisation, WebP/AVIF
variants and metadata cleaning on every save, and refuse files that are not sound images
before anything is stored. The Flask-FS helpers (:func:`make_thumbnail`, :func:`resize`,
:func:`optimize`) work on any file object.
"""

from __future__ import annotations

from .errors import ImageTooLarge, InvalidBBox, InvalidImage
from .pipeline import (
    Processed,
    delete_variants,
    is_variant,
    options,
    original_name,
    process,
    thumbnail_name,
    variant_names,
)
from .processing import center_thumbnail, crop_thumbnail, make_thumbnail, optimize, resize
from .settings import ImageSettings, settings_for

__version__ = "0.1.0"

__all__ = [
    "ImageSettings",
    "ImageTooLarge",
    "InvalidBBox",
    "InvalidImage",
    "Processed",
    "center_thumbnail",
    "crop_thumbnail",
    "delete_variants",
    "is_variant",
    "make_thumbnail",
    "optimize",
    "options",
    "original_name",
    "process",
    "resize",
    "settings_for",
    "thumbnail_name",
    "variant_names",
]
