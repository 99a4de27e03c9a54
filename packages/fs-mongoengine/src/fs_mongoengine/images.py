"""ImageField's image processing, on fs-images' public API only.

An ``ImageField`` declares its own processing (``max_size``, ``thumbnails``, ``optimize``), as
Flask-FS's did, on a storage that need not process images itself. Its settings are the
storage's fs-images settings where the storage turns fs-images on (``{NAME}_FS_IMAGES_*``),
else fs-images' defaults (with Flask-FS's ``FS_IMAGES_OPTIMIZE``), with the field's own values
on top.

The upload is stored with :meth:`fs_core.Storage.save` while an :class:`ImageSave` is active
in this context: fs-mongoengine's plugin (``plugin.py``) then takes part in that save as
fs-images' own plugin does in a storage that processes images, with the field's settings:

- ``check_target``: a new image whose variant names (``-original``, thumbnails, ``.webp``…)
  are other files' is refused with ``FileExists`` (``ON_CONFLICT = 'rename'`` picks the next
  name), so that its thumbnails never overwrite another document's file;
- ``will_process``: a replaced image is set aside by fs-core, and put back if the new one is
  refused;
- ``after_save``: :func:`fs_images.process` makes the variants; a file that is not a sound
  image raises ``fs_images.InvalidImage``, fs-core removes it again and ``after_delete``
  removes what was derived from it. Nothing is left.

Where an app does not load the plugin (``FS_PLUGINS`` leaves it out), the image is processed
right after it is stored, and removed with its variants if that fails (without the name check,
nor the old file put back after a refused overwrite).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context

from fs_core import FileExists, Storage

if TYPE_CHECKING:  # pragma: no cover
    from fs_images import ImageSettings, Processed

__all__ = [
    "INSTALL_HINT",
    "ImageSave",
    "Rendered",
    "after_delete",
    "after_save",
    "check_target",
    "delete_variants",
    "field_settings",
    "rerender",
    "require_fs_images",
    "store",
    "will_process",
]

INSTALL_HINT = (
    "ImageField processes images with fs-images, which is not installed: "
    "pip install fs-mongoengine[images] (or pip install fs-images)"
)


def require_fs_images() -> ModuleType:
    """The ``fs_images`` module, or an ``ImportError`` that says what to install."""
    try:
        import fs_images
    except ImportError as exc:
        raise ImportError(INSTALL_HINT, name="fs_images") from exc
    return fs_images


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def field_settings(
    storage: Storage,
    *,
    max_size: int | None,
    thumbnails: Sequence[int] | None,
    optimize: bool | None,
) -> tuple[ImageSettings, ImageSettings | None]:
    """(the settings an ImageField processes with, the storage's own or ``None`` where the
    storage does not process images itself)."""
    fs_images = require_fs_images()
    own = fs_images.settings_for(storage)
    base = own
    if base is None:
        app_optimize = current_app.config.get("FS_IMAGES_OPTIMIZE", False) if has_app_context() else False
        base = fs_images.ImageSettings(optimize=_flag(app_optimize))
    overrides: dict[str, Any] = {}
    if max_size is not None:
        overrides["max_size"] = max_size
    if thumbnails is not None:
        overrides["thumbnails"] = tuple(sorted(set(thumbnails), reverse=True))
    if optimize is not None:
        overrides["optimize"] = optimize
    return dataclasses.replace(base, **overrides), own


@dataclass
class ImageSave:
    """One ImageField save in progress, for the plugin's hooks."""

    storage: Storage
    settings: ImageSettings
    bbox: tuple[float, ...] | None
    #: The storage processes images itself (fs-images' plugin, before this one): start from
    #: the ``-original`` it kept, not from the image it may have resized already.
    after_storage: bool
    #: Whether a hook of fs-mongoengine's plugin ran (the app loads the plugin).
    hooked: bool = False
    processed: Processed | None = None


_active: ContextVar[ImageSave | None] = ContextVar("fs_mongoengine_image_save", default=None)


def _current(storage: Storage) -> ImageSave | None:
    state = _active.get()
    if state is None or state.storage is not storage:
        return None
    state.hooked = True
    return state


def check_target(storage: Storage, filename: str, replace: bool) -> None:
    """The plugin's ``check_target``: refuse a new image whose variant names are taken."""
    state = _current(storage)
    if state is None:
        return
    if replace and storage.exists(filename):
        return  # an image replaced: its own variants are replaced with it
    fs_images = require_fs_images()
    for name in fs_images.variant_names(filename, state.settings):
        if storage.exists(name):
            raise FileExists(
                name,
                message=f"{name!r} exists in storage {storage.name!r}, and it is the name a variant of "
                f"the new image {filename!r} would get: store the image under another name",
            )


def will_process(storage: Storage, filename: str) -> bool | None:
    """The plugin's ``will_process``: an ImageField save processes what it stores."""
    return True if _current(storage) is not None else None


def after_save(storage: Storage, filename: str) -> None:
    """The plugin's ``after_save``: make the variants with the field's settings."""
    state = _current(storage)
    if state is not None:
        state.processed = _process(state, filename)


def after_delete(storage: Storage, filename: str) -> None:
    """The plugin's ``after_delete``: a refused image leaves none of its variants."""
    state = _current(storage)
    if state is not None:
        require_fs_images().delete_variants(storage, filename, state.settings)


def _process(state: ImageSave, filename: str) -> Processed:
    fs_images = require_fs_images()
    processed = fs_images.process(
        state.storage, filename, state.settings, bbox=state.bbox, rerender=state.after_storage
    )
    if processed is None:
        raise fs_images.InvalidImage(
            f"{filename!r} is not an image: an ImageField stores JPEG, PNG, GIF, WebP, AVIF, TIFF or BMP files"
        )
    return processed


@dataclass(frozen=True)
class Rendered:
    """What an ImageField records of a processed image (Flask-FS's stored shape)."""

    filename: str
    original: str | None
    #: ``str(size)`` → name, as Flask-FS stored them.
    thumbnails: dict[str, str]


def _rendered(processed: Processed) -> Rendered:
    thumbnails = {str(size): name for size, name in sorted(processed.thumbnails.items())}
    return Rendered(processed.name, processed.original, thumbnails)


def store(
    storage: Storage,
    file: Any,
    filename: str | None,
    *,
    prefix: str | None,
    overwrite: bool | None,
    bbox: tuple[float, ...] | None,
    settings: ImageSettings,
    storage_settings: ImageSettings | None,
) -> Rendered:
    """Store ``file`` as an image of a field with ``settings`` (see the module doc)."""
    fs_images = require_fs_images()
    if storage_settings == settings:
        # The storage processes images itself, as the field would: fs-images' plugin does it.
        with fs_images.options(bbox=bbox):
            name = storage.save(file, filename, prefix=prefix, overwrite=overwrite)
        return _as_stored(storage, name, settings)
    state = ImageSave(storage, settings, bbox, after_storage=storage_settings is not None)
    token = _active.set(state)
    try:
        with fs_images.options(bbox=bbox):
            name = storage.save(file, filename, prefix=prefix, overwrite=overwrite)
    finally:
        _active.reset(token)
    if state.processed is not None:
        return _rendered(state.processed)
    if state.hooked:  # stored without processing: content already stored (NAMING = 'hash')
        return _as_stored(storage, name, settings)
    # fs-mongoengine's plugin is not loaded in this app: process here, and undo on failure.
    try:
        return _rendered(_process(state, name))
    except BaseException:
        storage.delete(name)
        fs_images.delete_variants(storage, name, settings)
        raise


def _as_stored(storage: Storage, name: str, settings: ImageSettings) -> Rendered:
    """The record of an image processed by someone else with ``settings``."""
    fs_images = require_fs_images()
    original = fs_images.original_name(name)
    thumbnails = {str(size): fs_images.thumbnail_name(name, size) for size in sorted(settings.thumbnails)}
    return Rendered(name, original if storage.exists(original) else None, thumbnails)


def rerender(storage: Storage, filename: str, settings: ImageSettings, bbox: Sequence[float] | None) -> Rendered:
    """Remake the variants of a stored image from its ``-original`` (where one was kept),
    with ``settings``; the image keeps its name."""
    state = ImageSave(storage, settings, tuple(bbox) if bbox else None, after_storage=True)
    return _rendered(_process(state, filename))


def delete_variants(storage: Storage, filename: str, settings: ImageSettings, sizes: Sequence[int] = ()) -> None:
    """Delete what fs-images derives from ``filename`` under ``settings``, and the thumbnails
    of ``sizes`` too (sizes an older configuration made)."""
    fs_images = require_fs_images()
    if sizes:
        wanted = tuple(sorted(set(settings.thumbnails) | set(sizes), reverse=True))
        settings = dataclasses.replace(settings, thumbnails=wanted)
    fs_images.delete_variants(storage, filename, settings)
