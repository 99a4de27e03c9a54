"""What fs-core keeps on each Flask application, and ``init_app``/``by_name``.

``app.extensions['fs']`` is an :class:`FSState`: a dict of storage name to
:class:`~fs_core.storage.Storage` (the shape Flask-FS had), which also holds the app's
plugins and, per storage, the resolved configuration and backend instance. A ``Storage``
object holds no app state, so one storage can serve two apps configured differently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context

from .backend import DEFAULT_BACKEND, BaseBackend
from .config import Config
from .content_types import check_config
from .errors import ConfigurationError
from .plugins import Plugins

if TYPE_CHECKING:  # pragma: no cover
    from .storage import Storage

__all__ = ["FSState", "StorageState", "by_name", "get_state", "init_app"]

EXTENSION = "fs"


@dataclass
class StorageState:
    """One storage as configured for one application."""

    backend_name: str
    config: Config
    backend: BaseBackend


class FSState(dict):
    """``app.extensions['fs']``: storages by name, plus the app's plugins and storage states."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app_name = app.name
        self.plugins = Plugins(app.config.get("FS_PLUGINS"), app.config.get("FS_BLOCKED_PLUGINS"))
        self.states: dict[str, StorageState] = {}

    def configure(self, app: Flask, storage: Storage, backend: BaseBackend | None = None) -> StorageState:
        """Resolve ``storage``'s configuration for ``app`` and build its backend.

        ``backend``, if given, is used as it is (the contract suite binds prebuilt backends).
        """
        from . import config as config_module

        existing = self.get(storage.name)
        if existing is not None and existing is not storage:
            raise ConfigurationError(
                f"Two different storages are named {storage.name!r} in app {app.name!r}; "
                f"storage names must be unique per app"
            )
        prefix = config_module.storage_prefix(storage.name)
        for name in self:
            if name != storage.name and config_module.storage_prefix(name) == prefix:
                raise ConfigurationError(
                    f"Storages {name!r} and {storage.name!r} in app {app.name!r} would share the "
                    f"configuration keys {prefix}*; rename one of them"
                )
        backend_name = str(app.config.get(f"{prefix}BACKEND") or app.config["FS_BACKEND"])
        if backend is None:
            cls = self.plugins.backend_class(backend_name, storage=storage.name)
            cfg = config_module.resolve(app.config, storage.name, backend_name)
            backend = cls(storage.name, cfg)
        else:
            backend_name = backend.backend_name or backend_name
        backend.backend_name = backend_name
        check_config(backend.config, storage.name)
        state = StorageState(backend_name, backend.config, backend)
        self.states[storage.name] = state
        self[storage.name] = storage
        return state


def get_state(app: Flask | None = None) -> FSState:
    """The app's :class:`FSState` (``current_app`` by default); an error if never initialised."""
    app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions.get(EXTENSION)
    if state is None:
        raise ConfigurationError(f"fs_core.init_app(app) was never called for app {app.name!r}")
    return state


def _set_defaults(app: Flask) -> None:
    app.config.setdefault("FS_SERVE", True)
    app.config.setdefault("FS_ROOT", os.path.join(app.instance_path, "fs"))
    app.config.setdefault("FS_PREFIX", None)
    app.config.setdefault("FS_URL", None)
    app.config.setdefault("FS_BACKEND", DEFAULT_BACKEND)


def init_app(app: Flask, *storages: Storage) -> FSState:
    """Set up fs-core on ``app`` and configure ``storages`` for it.

    Safe to call again: the first call loads the plugins, registers the ``fs`` blueprint
    (under ``FS_PREFIX``) and the ``flask fs`` commands; later calls only configure the
    storages they are given that this app does not know yet. Configuration is read now,
    so set ``app.config`` first.
    """
    state = app.extensions.get(EXTENSION)
    if state is None:
        _set_defaults(app)
        state = FSState(app)
        app.extensions[EXTENSION] = state
        from .cli import make_cli
        from .views import bp

        if bp.name not in app.blueprints:
            app.register_blueprint(bp, url_prefix=app.config["FS_PREFIX"])
        app.cli.add_command(make_cli(state))
        state.plugins.hook.init_app(app=app)
    for storage in storages:
        if state.get(storage.name) is not storage:
            storage.configure(app)
    return state


def by_name(name: str) -> Storage | None:
    """The storage called ``name`` in the current app, or ``None``."""
    if not has_app_context():
        raise RuntimeError("fs_core.by_name() needs an application context")
    return get_state().get(name)
