"""``STORE_*`` configuration: which provider ``STORE_PROVIDER`` names, and the fs keys the
Flask-Store keys become.

``STORE_PROVIDER`` takes Flask-Store's dotted class names (every name its releases used,
``flask_store.stores.s3.S3Store`` as ``flask_store.providers.s3.S3Provider``), an fs
backend name (``'local'``, ``'s3'``, ``'memory'``, ``'swift'``, ``'gridfs'``…), or the dotted
path of a provider class of your own (a subclass of :class:`fs_store.stores.BaseStore`).

The store's files live in the fs storage ``store``, configured as every fs storage
(``STORE_FS_<KEY>``, ``FS_<BACKEND>_<KEY>``): the Flask-Store keys are translated into
``STORE_FS_*`` keys with ``setdefault``, so a ``STORE_FS_*`` key set by the app wins.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from .exceptions import NotConfiguredError
from .stores import BaseStore, FSStore

__all__ = ["DEFAULT_PROVIDER", "FLASK_STORE_PROVIDERS", "fs_keys", "provider_class"]

#: Flask-Store's default.
DEFAULT_PROVIDER = "flask_store.stores.local.LocalStore"
#: Flask-Store's provider classes, by every dotted name its releases gave them.
FLASK_STORE_PROVIDERS = {
    "flask_store.stores.local.LocalStore": "fs_store.stores.local.LocalStore",
    "flask_store.providers.local.LocalProvider": "fs_store.stores.local.LocalStore",
    "flask_store.stores.s3.S3Store": "fs_store.stores.s3.S3Store",
    "flask_store.providers.s3.S3Provider": "fs_store.stores.s3.S3Store",
    "flask_store.stores.s3.S3GeventStore": "fs_store.stores.s3.S3GeventStore",
    "flask_store.stores.s3.S3GreenStore": "fs_store.stores.s3.S3GeventStore",
    "flask_store.providers.s3.S3GeventProvider": "fs_store.stores.s3.S3GeventStore",
}
#: fs backend names that have a Flask-Store provider of their own.
_BY_BACKEND = {"local": "fs_store.stores.local.LocalStore"}


def provider_class(value: Any) -> tuple[type[BaseStore], str]:
    """The provider class ``STORE_PROVIDER`` names, and the fs backend it stores on."""
    if isinstance(value, type) and issubclass(value, BaseStore):
        cls: type[BaseStore] = value
        return cls, cls.backend or "local"
    text = str(value or DEFAULT_PROVIDER).strip()
    if "." not in text and ":" not in text:  # an fs backend name
        if text in _BY_BACKEND:
            return _import(_BY_BACKEND[text]), text
        return FSStore, text
    cls = _import(FLASK_STORE_PROVIDERS.get(text, text))
    return cls, cls.backend or "local"


def _import(path: str) -> type[BaseStore]:
    module_name, _, attribute = path.replace(":", ".").rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise NotConfiguredError(
            f"STORE_PROVIDER {path!r}: cannot import {module_name!r} ({exc}). Use one of Flask-Store's "
            f"provider names, an fs backend name ('local', 's3', 'memory'…), or a subclass of "
            f"fs_store.stores.BaseStore"
        ) from exc
    found = getattr(module, attribute, None)
    if not (isinstance(found, type) and issubclass(found, BaseStore)):
        raise NotConfiguredError(
            f"STORE_PROVIDER {path!r} is not a provider: it must name a subclass of fs_store.stores.BaseStore"
        )
    return found


def fs_keys(config: Mapping[str, Any], backend: str, prefix: str, served: bool) -> dict[str, Any]:
    """The fs keys (``{prefix}KEY``) the ``STORE_*`` keys stand for on ``backend``. A
    provider without a route (``served`` false: Flask-Store's S3 stores, whose files the
    bucket serves) is not served by the app at all, the ``fs`` view included."""
    keys: dict[str, Any] = {f"{prefix}BACKEND": backend, f"{prefix}ON_CONFLICT": "rename"}
    if not served:
        keys[f"{prefix}SERVE"] = False
    path = config.get("STORE_PATH")
    if backend == "local" and path:
        keys[f"{prefix}ROOT"] = path
    if backend == "s3":
        if path is not None:
            keys[f"{prefix}KEY_PREFIX"] = str(path).strip("/")
        for store_key, fs_key in (
            ("STORE_S3_BUCKET", "BUCKET"),
            ("STORE_S3_REGION", "REGION"),
            ("STORE_S3_ACCESS_KEY", "ACCESS_KEY"),
            ("STORE_S3_SECRET_KEY", "SECRET_KEY"),
            ("STORE_S3_ACL", "ACL"),
        ):
            if config.get(store_key):
                keys[f"{prefix}{fs_key}"] = config[store_key]
    return keys
