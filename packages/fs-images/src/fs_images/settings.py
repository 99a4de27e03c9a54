"""The image settings of one storage, read from the Flask config.

Every key exists at two levels: ``{NAME}_FS_IMAGES_{KEY}`` for one storage (or, through
fs-core's cascade, ``FS_{BACKEND}_IMAGES_{KEY}`` for every storage on a backend), and
``FS_IMAGES_{KEY}``, the application-wide default used where a storage does not say.

Processing is **off** for a storage unless the storage itself turns it on: with
``{NAME}_FS_IMAGES = True``, or by setting one of its own processors (``THUMBNAILS``,
``MAX_SIZE``, ``OPTIMIZE``, ``WEBP``, ``AVIF``). Application-wide ``FS_IMAGES_*`` values never
switch a storage on by themselves (a storage of PDFs is never touched), they only fill in
what an enabled storage leaves unset. ``{NAME}_FS_IMAGES = False`` turns a storage off
whatever else it sets.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context

from fs_core import Config
from fs_core.config import as_bool
from fs_core.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from fs_core import Storage

__all__ = [
    "ANIMATION_MODES",
    "DEFAULTS",
    "MAX_METADATA",
    "MAX_PIXELS",
    "THUMBNAIL_MODES",
    "ImageSettings",
    "avif_supported",
    "settings_for",
    "webp_supported",
]

#: How a thumbnail fills its ``size`` x ``size`` square.
THUMBNAIL_MODES = ("crop", "fit", "pad")
#: What happens to animated GIF/WebP: keep every frame, keep the first only, or refuse.
ANIMATION_MODES = ("keep", "first", "refuse")

#: The default pixel limit, checked before decoding: 64 megapixels (a 61 MP camera's photos
#: pass). Processing holds one decoded copy of the image, 4 bytes a pixel for RGB and RGBA,
#: plus some 30 MiB: about 275 MiB at this limit (see the README's "Memory").
MAX_PIXELS = 64_000_000
#: The default limit on a file's metadata (PNG chunks other than the pixels, JPEG header
#: segments, WebP chunks), checked before Pillow reads them into memory: 16 MiB.
MAX_METADATA = 16 << 20

#: Built-in defaults, as the ``FS_IMAGES_*`` keys that override them (``init_app`` sets them
#: with ``setdefault``, so ``app.config`` shows every value in force).
DEFAULTS: dict[str, Any] = {
    "FS_IMAGES_OPTIMIZE": False,
    "FS_IMAGES_THUMBNAILS": [],
    "FS_IMAGES_THUMBNAIL_MODE": "crop",
    "FS_IMAGES_MAX_SIZE": None,
    "FS_IMAGES_KEEP_ORIGINAL": True,
    "FS_IMAGES_UPSCALE": False,
    "FS_IMAGES_QUALITY": 85,
    "FS_IMAGES_WEBP": False,
    "FS_IMAGES_WEBP_QUALITY": 80,
    "FS_IMAGES_AVIF": False,
    "FS_IMAGES_AVIF_QUALITY": 60,
    "FS_IMAGES_KEEP_EXIF": False,
    "FS_IMAGES_KEEP_GPS": False,
    "FS_IMAGES_MAX_PIXELS": MAX_PIXELS,
    "FS_IMAGES_MAX_FRAMES": 1000,
    "FS_IMAGES_MAX_METADATA": MAX_METADATA,
    "FS_IMAGES_ANIMATION": "keep",
    "FS_IMAGES_BACKGROUND": "#ffffff",
}

# Storage-level keys that switch processing on for a storage.
_PROCESSORS = ("thumbnails", "max_size", "optimize", "webp", "avif")


def webp_supported() -> bool:
    """Whether this Pillow can write WebP."""
    from PIL import features  # Pillow is imported when images are processed, not with the plugin

    return bool(features.check("webp"))


def avif_supported() -> bool:
    """Whether this Pillow can write AVIF (built in since Pillow 11.2, or a plugin)."""
    try:
        from PIL import features

        return bool(features.check("avif"))
    except ValueError:  # Pillow < 11.2 does not know the feature name
        return False


@dataclasses.dataclass(frozen=True)
class ImageSettings:
    """Everything the pipeline needs to know for one storage; see the README for each key.

    Built by :func:`settings_for` from the Flask config, or directly, to call
    :func:`fs_images.process` with values of one's own.
    """

    thumbnails: tuple[int, ...] = ()
    thumbnail_mode: str = "crop"
    max_size: int | None = None
    keep_original: bool = True
    upscale: bool = False
    optimize: bool = False
    quality: int = 85
    webp: bool = False
    webp_quality: int = 80
    avif: bool = False
    avif_quality: int = 60
    keep_exif: bool = False
    keep_gps: bool = False
    max_pixels: int = MAX_PIXELS
    max_frames: int = 1000
    max_metadata: int = MAX_METADATA
    animation: str = "keep"
    background: str = "#ffffff"

    def __post_init__(self) -> None:
        if self.thumbnail_mode not in THUMBNAIL_MODES:
            raise ConfigurationError(
                f"IMAGES_THUMBNAIL_MODE must be one of {', '.join(THUMBNAIL_MODES)}, "
                f"not {self.thumbnail_mode!r}"
            )
        if self.animation not in ANIMATION_MODES:
            raise ConfigurationError(
                f"IMAGES_ANIMATION must be one of {', '.join(ANIMATION_MODES)}, not {self.animation!r}"
            )
        for key in ("quality", "webp_quality", "avif_quality"):
            value = getattr(self, key)
            if not 1 <= value <= 100:
                raise ConfigurationError(f"IMAGES_{key.upper()} must be between 1 and 100, not {value}")
        if any(s < 1 for s in self.thumbnails):
            raise ConfigurationError(f"IMAGES_THUMBNAILS must be positive sizes, not {list(self.thumbnails)}")
        if self.max_size is not None and self.max_size < 1:
            raise ConfigurationError(f"IMAGES_MAX_SIZE must be a positive size, not {self.max_size}")
        if self.max_pixels < 1 or self.max_frames < 1 or self.max_metadata < 1:
            raise ConfigurationError(
                "IMAGES_MAX_PIXELS, IMAGES_MAX_FRAMES and IMAGES_MAX_METADATA must be positive"
            )
        from PIL import ImageColor  # settings are only built where images are processed

        try:
            ImageColor.getrgb(self.background)
        except ValueError:
            raise ConfigurationError(
                f"IMAGES_BACKGROUND must be a colour ('#ffffff', 'white', 'rgb(…)'), not {self.background!r}"
            ) from None

    def quality_for(self, fmt: str) -> int:
        """The quality to encode ``fmt`` at: ``webp_quality``, ``avif_quality``, else ``quality``."""
        fmt = fmt.upper()
        if fmt == "WEBP":
            return self.webp_quality
        if fmt == "AVIF":
            return self.avif_quality
        return self.quality

    @property
    def fingerprint(self) -> str:
        """A short hash of every setting that changes what is produced (for ``rerender``)."""
        data = dataclasses.asdict(self)
        for key in ("max_pixels", "max_frames", "max_metadata"):  # checks, not outputs
            data.pop(key)
        raw = json.dumps(data, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]


def _int_list(value: Any, key: str) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    if isinstance(value, int):
        value = [value]
    try:
        sizes = {int(v) for v in value}
    except (TypeError, ValueError):
        raise ConfigurationError(f"{key} must be a list of sizes in pixels, not {value!r}") from None
    return tuple(sorted(sizes, reverse=True))


def _format_flag(value: Any, key: str, supported: bool, name: str) -> bool:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return supported
    wanted = as_bool(value, key)
    if wanted and not supported:
        raise ConfigurationError(
            f"{key} is on, but this Pillow cannot write {name}: install a Pillow built with "
            f"{name} support, or set {key} = 'auto' to make {name} variants only where it can."
        )
    return wanted


def enabled(config: Mapping[str, Any]) -> bool:
    """Whether a storage's own configuration turns image processing on (see the module doc)."""
    switch = config.get("images")
    if switch is not None and switch != "":
        return as_bool(switch, "IMAGES")
    for key in _PROCESSORS:
        value = config.get(f"images_{key}")
        if value in (None, "", [], ()):
            continue
        is_auto = isinstance(value, str) and value.strip().lower() == "auto"
        is_flag = key in ("optimize", "webp", "avif")
        if is_flag and not is_auto and not as_bool(value, f"IMAGES_{key.upper()}"):
            continue
        return True
    return False


def build(storage_config: Mapping[str, Any], app_config: Mapping[str, Any], name: str = "") -> ImageSettings:
    """Resolve every key: the storage's ``images_*`` value, else ``FS_IMAGES_*``, else the default."""
    prefix = f"{name.upper()}_FS_" if name else "FS_"

    def get(key: str) -> tuple[Any, str]:
        short = f"images_{key}"
        if storage_config.get(short) not in (None, ""):
            return storage_config[short], f"{prefix}{short.upper()}"
        glob = f"FS_IMAGES_{key.upper()}"
        return app_config.get(glob, DEFAULTS[glob]), glob

    def get_int(key: str) -> int | None:
        value, where = get(key)
        if value is None or value == "":
            default: int | None = DEFAULTS[f"FS_IMAGES_{key.upper()}"]
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{where} must be an integer, not {value!r}") from None

    def get_bool(key: str) -> bool:
        value, where = get(key)
        return as_bool(value, where)

    def get_str(key: str) -> str:
        value, _ = get(key)
        return str(value).strip().lower()

    thumbs, thumbs_key = get("thumbnails")
    webp, webp_key = get("webp")
    avif, avif_key = get("avif")
    return ImageSettings(
        thumbnails=_int_list(thumbs, thumbs_key),
        thumbnail_mode=get_str("thumbnail_mode"),
        max_size=get_int("max_size"),
        keep_original=get_bool("keep_original"),
        upscale=get_bool("upscale"),
        optimize=get_bool("optimize"),
        quality=get_int("quality") or 0,
        webp=_format_flag(webp, webp_key, webp_supported(), "WebP"),
        webp_quality=get_int("webp_quality") or 0,
        avif=_format_flag(avif, avif_key, avif_supported(), "AVIF"),
        avif_quality=get_int("avif_quality") or 0,
        keep_exif=get_bool("keep_exif"),
        keep_gps=get_bool("keep_gps"),
        max_pixels=get_int("max_pixels") or 0,
        max_frames=get_int("max_frames") or 0,
        max_metadata=get_int("max_metadata") or 0,
        animation=get_str("animation"),
        background=str(get("background")[0]),
    )


def settings_for(storage: Storage) -> ImageSettings | None:
    """The image settings of ``storage`` in the current app, or ``None`` where processing is off.

    Worked out once per storage configuration (the hooks ask on every save, copy and delete):
    like fs-core, which reads a storage's configuration when the storage is configured, this
    reads the ``FS_IMAGES_*`` application defaults when the storage first needs them.
    """
    config: Config = storage.config
    key = id(config)
    known = _settings.get(key)
    if known is not None and known[0]() is config:
        return known[1]
    settings = None
    if enabled(config):
        settings = build(config, current_app.config if has_app_context() else {}, storage.name)

    def forget(_: object, key: int = key) -> None:
        _settings.pop(key, None)

    _settings[key] = (weakref.ref(config, forget), settings)
    return settings


# The settings of each storage configuration in use, by its id (a Config is a dict: it has no
# hash), with a weak reference to it: an entry goes when its configuration (its app) does.
_settings: dict[int, tuple[weakref.ref[Config], ImageSettings | None]] = {}
