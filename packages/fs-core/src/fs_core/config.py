"""Configuration of one storage, read from the Flask config through the documented cascade.

For a storage ``avatars`` on backend ``s3``, a key ``K`` is looked up, last one winning:

1. the core default, or the backend plugin's default;
2. ``FS_K``, for the storage-policy keys listed in :data:`GLOBAL_KEYS` only (a generic
   ``FS_*`` level would turn ``FS_URL`` or ``FS_ROOT`` into every storage's own value);
3. ``FS_S3_K``: every storage on the backend (``FS_S3_BACKEND``, ``_URL`` and ``_ROOT``
   excepted, as in Flask-FS: they are parents, joined with the storage name);
4. ``AVATARS_FS_K``: this storage.

Keys reach the backend lowercased, without their prefix: ``AVATARS_FS_ROOT`` is ``root``.
Three keys are not plain values: ``BACKEND`` (:func:`backend_name`), and ``ROOT`` and ``URL``,
whose backend-level and global values are parents joined with the storage name
(:func:`resolve`, :func:`public_url`). A backend may declare keys that only make sense for
one storage (``STORAGE_ONLY_KEYS``: fs-s3's ``KEY_PREFIX``): set at the backend level, they
are refused. This module is the only place the cascade is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .errors import ConfigurationError

__all__ = [
    "GLOBAL_KEYS",
    "SERVE_MODES",
    "Config",
    "as_bool",
    "backend_name",
    "backend_prefix",
    "parse_size",
    "public_url",
    "resolve",
    "serve_enabled",
    "serve_mode",
    "shared_key_prefix",
    "storage_prefix",
]

#: Keys that may be set for every storage at once as ``FS_{KEY}``.
GLOBAL_KEYS = frozenset(
    {
        "ALLOW",
        "DENY",
        "OVERWRITE",
        "ON_CONFLICT",
        "MAX_SIZE",
        "PRIVATE",
        "SERVE",
        "OFFLOAD",
        "MAX_AGE",
        "INLINE_ACTIVE_CONTENT",
        "INLINE_TYPES",
        "CONTENT_SECURITY_POLICY",
        "SIGNED_URL_EXPIRES",
        "ASCII_NAMES",
    }
)

#: ``SERVE`` values that name how a backend serves (``'redirect'``: to a presigned URL of the
#: service); each means the storage is served, as ``True`` does.
SERVE_MODES = frozenset({"stream", "redirect"})

_SIZE = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*")
_SIZE_UNITS = {"": 1, "b": 1}
_SIZE_UNITS.update({f"{p}{s}": 1 << (10 * (i + 1)) for i, p in enumerate("kmg") for s in ("", "b", "ib")})

# Backend-level keys that are not passed through (Flask-FS's BACKEND_EXCLUDED_CONFIG).
_BACKEND_EXCLUDED = frozenset({"BACKEND", "URL", "ROOT"})


class Config(dict[str, Any]):
    """A dict with attribute access, handed to every backend (Flask-FS's ``Config``).

    ``Config({'root': '/x'})`` and ``Config(root='/x')`` both work; ``cfg.root`` is
    ``cfg['root']``, and a missing attribute raises ``AttributeError('Unknown attribute: …')``.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: {name}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: {name}") from None

    def get_bool(self, key: str, default: bool = False) -> bool:
        """``key`` as a boolean; strings such as ``'false'`` or ``'0'`` from the environment count."""
        return as_bool(self.get(key, default), key)

    def get_int(self, key: str, default: int | None = None) -> int | None:
        """``key`` as an integer (``None`` stays ``None``); a bad value names the key."""
        value = self.get(key, default)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{key.upper()} must be an integer, not {value!r}") from None

    def get_str(self, key: str, default: str | None = None) -> str | None:
        """``key`` as text without surrounding spaces; unset or blank is ``default``."""
        value = self.get(key)
        text = str(value).strip() if value is not None else ""
        return text or default

    def get_positive_int(self, key: str, default: int) -> int:
        """``key`` as an integer of 1 or more (a count, a number of seconds)."""
        value = self.get_int(key, default)
        if value is None or value < 1:
            raise ConfigurationError(f"{key.upper()} must be a positive integer, not {value!r}")
        return value

    def get_float(self, key: str, default: float, what: str = "a number") -> float:
        """``key`` as a positive, finite number (seconds, a ratio…); a bad value names the key."""
        value = self.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{key.upper()} must be {what}, not {value!r}") from None
        if not number > 0 or number == float("inf"):
            raise ConfigurationError(f"{key.upper()} must be positive, not {value!r}")
        return number

    def get_seconds(self, key: str, default: float) -> float:
        """``key`` as a positive number of seconds (``10``, ``0.5``, ``'2.5'``); a bad value
        names the key."""
        return self.get_float(key, default, "a number of seconds")

    def get_size(self, key: str, default: int) -> int:
        """``key`` as a positive byte size: an integer, or a string such as ``'16MiB'``,
        ``'4 MB'`` or ``'1g'`` (K, M and G are 1024-based whatever the spelling, as sizes come
        from environment variables), see :func:`parse_size`. A bad value names the key."""
        return parse_size(self.get(key, default), key)

    def get_mapping(self, key: str) -> dict[str, Any]:
        """``key`` as a dict (of keyword arguments for a client library); unset is ``{}``."""
        value = self.get(key) or {}
        if not isinstance(value, Mapping):
            raise ConfigurationError(f"{key.upper()} must be a dict of keyword arguments, not {value!r}")
        return dict(value)

    def require(self, *keys: str, prefix: str = "") -> None:
        """Raise :class:`ConfigurationError` naming every missing key, as ``{prefix}{KEY}``."""
        missing = [k for k in keys if self.get(k) in (None, "")]
        if missing:
            names = ", ".join(f"{prefix}{k.upper()}" for k in missing)
            raise ConfigurationError(f"Missing configuration: {names}")


def as_bool(value: Any, key: str = "value") -> bool:
    """Interpret booleans written in Python or in an environment variable."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
    raise ConfigurationError(f"{key.upper()} must be a boolean, not {value!r}")


def parse_size(value: Any, key: str = "size") -> int:
    """A positive byte size from an integer or a string such as ``'16MiB'``, ``'64 MB'`` or
    ``'1g'`` (binary units, as configuration values from the environment are written)."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = _SIZE.fullmatch(str(value))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _SIZE_UNITS:
            raise ConfigurationError(f"{key.upper()} must be a size in bytes (or like '4MiB'), not {value!r}")
        size = int(match.group(1)) * _SIZE_UNITS[unit]
    if size < 1:
        raise ConfigurationError(f"{key.upper()} must be positive, not {value!r}")
    return size


def serve_enabled(value: Any) -> bool:
    """Whether a ``SERVE`` value lets the ``fs`` view serve the storage: a boolean, or one of
    :data:`SERVE_MODES` (which a backend reads to choose how it serves)."""
    if isinstance(value, str) and value.strip().lower() in SERVE_MODES:
        return True
    return as_bool(value, "serve")


def serve_mode(value: Any) -> str:
    """How a backend that can stream or redirect serves a storage whose ``SERVE`` is ``value``:
    ``'redirect'`` or ``'stream'``. ``True``/``False`` are the core's switch (a storage that is
    not served is never asked), so they mean ``'stream'``; anything else is an error."""
    if isinstance(value, str) and value.strip().lower() in SERVE_MODES:
        return value.strip().lower()
    as_bool(value, "serve")
    return "stream"


def shared_key_prefix(config: Config, storage: str) -> str:
    """The prefix of a storage's names in a bucket or container shared with other storages:
    its ``KEY_PREFIX`` if set (``''``: the root), else the storage name; as ``'a/b/'``, or
    ``''``. Backends declare ``KEY_PREFIX`` storage-only, so two storages never share one."""
    value = config.get("key_prefix")
    prefix = (storage if value is None else str(value)).strip().strip("/")
    return f"{prefix}/" if prefix else ""


def storage_prefix(name: str) -> str:
    """``'avatars'`` → ``'AVATARS_FS_'``."""
    return f"{name.upper()}_FS_"


def backend_prefix(backend: str) -> str:
    """``'s3'`` → ``'FS_S3_'``."""
    return f"FS_{backend.upper()}_"


def backend_name(app_config: Mapping[str, Any], name: str, default: str) -> str:
    """The backend of storage ``name``: ``{NAME}_FS_BACKEND``, else ``FS_BACKEND``, else
    ``default``."""
    return str(app_config.get(f"{storage_prefix(name)}BACKEND") or app_config.get("FS_BACKEND") or default)


def resolve(
    app_config: Mapping[str, Any],
    name: str,
    backend: str,
    defaults: Mapping[str, Any] | None = None,
    *,
    storage_only: frozenset[str] = frozenset(),
) -> Config:
    """The configuration of storage ``name`` on ``backend``, through the cascade above.

    ``root`` is always set: ``{NAME}_FS_ROOT`` as is, else ``FS_{BACKEND}_ROOT`` or
    ``FS_ROOT`` joined with the storage name. Backends that keep no local files ignore it.
    A key of ``storage_only`` (lowercased) set as ``FS_{BACKEND}_{KEY}`` is a
    :class:`~fs_core.errors.ConfigurationError`: every storage would get that one value.
    """
    bprefix = backend_prefix(backend)
    for key in sorted(storage_only):
        if app_config.get(f"{bprefix}{key.upper()}") is not None:
            raise ConfigurationError(
                f"{bprefix}{key.upper()} would give every storage on the {backend!r} backend the same "
                f"{key.upper()}; set {storage_prefix(name)}{key.upper()} (one storage) instead"
            )
    cfg = Config(defaults or {})
    for key in GLOBAL_KEYS:
        if f"FS_{key}" in app_config:
            cfg[key.lower()] = app_config[f"FS_{key}"]
    for key, value in app_config.items():
        if key.startswith(bprefix):
            short = key[len(bprefix) :]
            if short and short not in _BACKEND_EXCLUDED:
                cfg[short.lower()] = value
    sprefix = storage_prefix(name)
    for key, value in app_config.items():
        if key.startswith(sprefix) and len(key) > len(sprefix):
            cfg[key[len(sprefix) :].lower()] = value
    if not cfg.get("root"):
        parent = app_config.get(f"{bprefix}ROOT") or app_config.get("FS_ROOT")
        cfg["root"] = os.path.join(parent, name) if parent else None
    return cfg


def public_url(
    app_config: Mapping[str, Any], config: Mapping[str, Any], name: str, backend: str
) -> str | None:
    """The public URL of a storage's root as configured, or ``None`` (private, or none set):
    its own ``URL`` as is, else ``FS_{BACKEND}_URL`` or ``FS_URL`` joined with the storage
    name (keeping their last path segment, which Flask-FS's ``urljoin`` dropped). Not yet
    absolute: a URL without a scheme gets the request's."""
    if as_bool(config.get("private"), "private"):
        return None
    if config.get("url"):
        return str(config["url"])
    parent = app_config.get(f"{backend_prefix(backend)}URL") or app_config.get("FS_URL")
    if not parent:
        return None
    parent = str(parent)
    return (parent if parent.endswith("/") else parent + "/") + quote(name)
