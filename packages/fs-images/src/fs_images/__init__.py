"""fs-images: the image pipeline of fs-core, as post-save processors.

Not a PyFilesystem2 plugin: it plugs into ``fs_core`` (entry point ``images``).

Storages that turn it on (``{NAME}_FS_IMAGES_THUMBNAILS = [256, 64]`` and the other
``IMAGES_*`` keys, see the README) get thumbnails, a maximum size, optimisation, WebP/AVIF
variants and metadata cleaning on every save, and refuse files that are not sound images
before anything is stored. The Flask-FS helpers (:func:`make_thumbnail`, :func:`resize`,
:func:`optimize`) work on any file object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ImageTooLarge, InvalidBBox, InvalidImage, ReservedName
from .settings import ImageSettings, settings_for

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import (
        Processed,
        check_upload,
        delete_variants,
        is_variant,
        options,
        original_name,
        prepare_upload,
        process,
        thumbnail_name,
        variant_names,
    )
    from .processing import center_thumbnail, crop_thumbnail, make_thumbnail, optimize, resize

# Pillow is imported on first use of these names, so loading the plugin stays cheap for apps
# (and CLI commands) that process no image.
_LAZY = {
    **dict.fromkeys(
        (
            "Processed",
            "check_upload",
            "delete_variants",
            "is_variant",
            "options",
            "original_name",
            "prepare_upload",
            "process",
            "thumbnail_name",
            "variant_names",
        ),
        "pipeline",
    ),
    **dict.fromkeys(
        ("center_thumbnail", "crop_thumbnail", "make_thumbnail", "optimize", "resize"), "processing"
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fs_images' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "ImageSettings",
    "ImageTooLarge",
    "InvalidBBox",
    "InvalidImage",
    "Processed",
    "ReservedName",
    "center_thumbnail",
    "check_upload",
    "crop_thumbnail",
    "delete_variants",
    "is_variant",
    "make_thumbnail",
    "optimize",
    "options",
    "original_name",
    "prepare_upload",
    "process",
    "resize",
    "settings_for",
    "thumbnail_name",
    "variant_names",
]
