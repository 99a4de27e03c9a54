"""ImageField's image processing, on fs-images' public API only.

An ``ImageField`` declares its own processing (``max_size``, ``thumbnails``, ``optimize``), as
Flask-FS's did, on a storage that need not process images itself. Its settings are the
storage's fs-images settings where the storage turns fs-images on (``{NAME}_FS_IMAGES_*``),
else fs-images' defaults (with Flask-FS's ``FS_IMAGES_OPTIMIZE``), with the field's own values
on top.

The upload is stored with :meth:`fs_core.Storage.save` while an :class:`ImageSave` is active
in this context: fs-mongoengine's plugin (``plugin.py``) then takes part in that save as
fs-images' own plugin does in a storage that processes images, with the field's settings:

- ``file_allowed``: a file that is not a sound image is refused before anything is stored;
- ``prepare_upload``: the image is stored with its metadata removed (a photo's GPS position
  is never stored, not even while the image is processed);
- ``check_target``: a new image whose variant names (``-original``, thumbnails, ``.webp``…)
  are other files' is refused with ``FileExists`` (``ON_CONFLICT = 'rename'`` picks the next
  name), so that its thumbnails never overwrite another document's file;
- ``will_process``: a replaced image is set aside by fs-core, and put back if the new one is
  refused;
- ``after_save``: :func:`fs_images.process` makes the variants; a file that is not a sound
  image raises ``fs_images.InvalidImage``, fs-core removes it again and ``after_delete``
  removes what was derived from it. Nothing is left.

Saving an image therefore needs the plugin loaded in the app (it is, unless ``FS_PLUGINS``
leaves it out or ``FS_BLOCKED_PLUGINS`` blocks it): call :func:`require_plugin` before
:func:`store`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context

import fs_core
from fs_core import ConfigurationError, FileExists, Storage
from fs_core.config import as_bool

if TYPE_CHECKING:  # pragma: no cover
    from fs_images import ImageSettings, Processed

__all__ = [
    "INSTALL_HINT",
    "FieldSettings",
    "ImageSave",
    "Rendered",
    "after_delete",
    "after_save",
    "bbox_errors",
    "check_target",
    "field_settings",
    "file_allowed",
    "prepare_upload",
    "require_fs_images",
    "require_plugin",
    "rerender",
    "store",
    "variant_names",
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


def bbox_errors() -> tuple[type[Exception], ...]:
    """The errors of a bad crop box (a refusal of the value given to the field)."""
    return (require_fs_images().InvalidBBox,)


@dataclass(frozen=True)
class FieldSettings:
    """What an ImageField processes with (``field``), and the storage's own fs-images
    settings (``storage``: ``None`` where the storage does not process images itself)."""

    field: ImageSettings
    storage: ImageSettings | None


def field_settings(
    storage: Storage,
    *,
    max_size: int | None,
    thumbnails: Sequence[int] | None,
    optimize: bool | None,
) -> FieldSettings:
    """The settings of an ImageField with these values on ``storage`` (see the module doc)."""
    fs_images = require_fs_images()
    own = fs_images.settings_for(storage)
    base = own
    if base is None:
        app_optimize = current_app.config.get("FS_IMAGES_OPTIMIZE", False) if has_app_context() else False
        base = fs_images.ImageSettings(optimize=as_bool(app_optimize, "FS_IMAGES_OPTIMIZE"))
    overrides: dict[str, Any] = {}
    if max_size is not None:
        overrides["max_size"] = max_size
    if thumbnails is not None:
        overrides["thumbnails"] = tuple(sorted(set(thumbnails), reverse=True))
    if optimize is not None:
        overrides["optimize"] = optimize
    return FieldSettings(dataclasses.replace(base, **overrides), own)


def variant_names(name: str, settings: ImageSettings) -> list[str]:
    """Every name fs-images derives from the image ``name`` under ``settings``."""
    return list(require_fs_images().variant_names(name, settings))


@dataclass
class ImageSave:
    """One ImageField save in progress, for the plugin's hooks."""

    storage: Storage
    settings: ImageSettings
    bbox: tuple[float, ...] | None
    #: The storage processes images itself (fs-images' plugin, before this one): start from
    #: the ``-original`` it kept, not from the image it may have resized already.
    after_storage: bool
    processed: Processed | None = None


_active: ContextVar[ImageSave | None] = ContextVar("fs_mongoengine_image_save", default=None)


def _current(storage: Storage) -> ImageSave | None:
    state = _active.get()
    return state if state is not None and state.storage is storage else None


def file_allowed(storage: Storage, file: Any, filename: str) -> None:
    """The plugin's ``file_allowed``: refuse a file that is not a sound image before anything
    is stored (``fs_images.InvalidImage``); otherwise abstain."""
    state = _current(storage)
    if state is not None:
        require_fs_images().check_upload(file, filename, state.settings)


def prepare_upload(storage: Storage, filename: str, file: Any) -> Any:
    """The plugin's ``prepare_upload``: what is first stored is the image with its metadata
    removed (a photo's GPS position), as fs-images does in a storage that processes images;
    ``None`` where there is nothing to clean."""
    state = _current(storage)
    if state is None:
        return None
    return require_fs_images().prepare_upload(file, filename, state.settings)


def check_target(storage: Storage, filename: str, replace: bool) -> None:
    """The plugin's ``check_target``: refuse a new image whose variant names are taken."""
    state = _current(storage)
    if state is None:
        return
    if replace and storage.exists(filename):
        return  # an image replaced: its own variants are replaced with it
    for name in variant_names(filename, state.settings):
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
    processed: Processed | None = fs_images.process(
        state.storage, filename, state.settings, bbox=state.bbox, rerender=state.after_storage
    )
    if processed is None:
        raise fs_images.InvalidImage(
            f"{filename!r} is not an image: an ImageField stores JPEG, PNG, GIF, WebP, AVIF, TIFF "
            f"or BMP files"
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


def fs_images_plugin() -> ModuleType:
    """fs-images' plugin module (the one its ``fs_core`` entry point names)."""
    require_fs_images()
    import fs_images.plugin

    return fs_images.plugin


def _loaded(plugin: ModuleType) -> bool:
    """Whether the current app loads ``plugin`` (``FS_PLUGINS``, ``FS_BLOCKED_PLUGINS``)."""
    return bool(fs_core.init_app(current_app).plugins.pm.is_registered(plugin))


def require_plugin(storage: Storage) -> None:
    """Refuse to store an image where fs-mongoengine's plugin cannot take part in the save."""
    from . import plugin

    if not has_app_context():
        raise RuntimeError(
            "An ImageField saves inside an application context (`with app.app_context():`), "
            "as Flask-FS's did: the image settings come from the app's configuration"
        )
    storage.config  # noqa: B018  (NotConfigured, that says how, if the app does not know it)
    if not _loaded(plugin):
        raise ConfigurationError(
            f"ImageField needs fs-mongoengine's fs-core plugin, which app {current_app.name!r} does "
            f"not load: add 'mongoengine' to FS_PLUGINS (or take it out of FS_BLOCKED_PLUGINS)"
        )


def store(
    storage: Storage,
    file: Any,
    filename: str | None,
    *,
    prefix: str | None,
    overwrite: bool | None,
    bbox: tuple[float, ...] | None,
    settings: FieldSettings,
) -> Rendered:
    """Store ``file`` as an image of a field with ``settings`` (see the module doc)."""
    fs_images = require_fs_images()
    storage_processes = settings.storage is not None and _loaded(fs_images_plugin())
    if storage_processes and settings.storage == settings.field:
        # The storage processes images itself, as the field would: fs-images' plugin does it.
        with fs_images.options(bbox=bbox):
            name = storage.save(file, filename, prefix=prefix, overwrite=overwrite)
        return _as_stored(storage, name, settings.field)
    state = ImageSave(storage, settings.field, bbox, after_storage=storage_processes)
    token = _active.set(state)
    try:
        with fs_images.options(bbox=bbox):
            name = storage.save(file, filename, prefix=prefix, overwrite=overwrite)
    finally:
        _active.reset(token)
    if state.processed is None:  # stored without processing: that content was stored already
        return _as_stored(storage, name, settings.field)  # (NAMING = 'hash')
    return _rendered(state.processed)


def _as_stored(storage: Storage, name: str, settings: ImageSettings) -> Rendered:
    """The record of an image processed by someone else with ``settings``."""
    fs_images = require_fs_images()
    original = fs_images.original_name(name)
    thumbnails = {str(size): fs_images.thumbnail_name(name, size) for size in sorted(settings.thumbnails)}
    return Rendered(name, original if storage.exists(original) else None, thumbnails)


def rerender(
    storage: Storage, filename: str, settings: ImageSettings, bbox: Sequence[float] | None
) -> Rendered:
    """Remake the variants of a stored image from its ``-original`` (where one was kept),
    with ``settings``; the image keeps its name."""
    state = ImageSave(storage, settings, tuple(bbox) if bbox else None, after_storage=True)
    return _rendered(_process(state, filename))
