"""fs-core as a Flask extension: :func:`init_app`, and how a storage is bound to an app.

:func:`init_app` loads the app's plugins, creates its :class:`~fs_core.state.FSState`,
registers the ``fs`` blueprint and the ``flask fs`` commands, and binds the storages it is
given: their configuration is read through the cascade (:mod:`fs_core.config`) and their
backend built, once. :func:`storages` and :func:`by_name` are how applications and plugins
find an app's storages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, has_app_context

from . import config
from . import state as state_module
from .backend import DEFAULT_BACKEND, BaseBackend
from .content_types import check_config
from .errors import ConfigurationError, FSError, PluginError
from .legacy import adapt_instance
from .plugins import Plugins
from .state import EXTENSION, BoundStorage, FSState, StorageLike, get_state
from .storage import Storage
from .views import bp

__all__ = ["by_name", "init_app", "storage_named", "storages"]


def _set_defaults(app: Flask) -> None:
    app.config.setdefault("FS_SERVE", True)
    app.config.setdefault("FS_ROOT", os.path.join(app.instance_path, "fs"))
    app.config.setdefault("FS_PREFIX", None)
    app.config.setdefault("FS_URL", None)
    app.config.setdefault("FS_BACKEND", DEFAULT_BACKEND)


def _binder(app: Flask, state: FSState) -> Callable[[StorageLike, BaseBackend | None], BoundStorage]:
    """How ``state`` binds a storage to ``app``: resolve its configuration, build its backend
    (or take the one given: the contract suite binds prebuilt backends), check the serving keys."""

    def bind(storage: StorageLike, backend: BaseBackend | None = None) -> BoundStorage:
        existing = state.get(storage.name)
        if existing is not None and existing is not storage:
            raise ConfigurationError(
                f"Two different storages are named {storage.name!r} in app {app.name!r}; "
                f"storage names must be unique per app"
            )
        prefix = config.storage_prefix(storage.name)
        for name in state:
            if name != storage.name and config.storage_prefix(name) == prefix:
                raise ConfigurationError(
                    f"Storages {name!r} and {storage.name!r} in app {app.name!r} would share the "
                    f"configuration keys {prefix}*; rename one of them"
                )
        backend_name = config.backend_name(app.config, storage.name, DEFAULT_BACKEND)
        if backend is None:
            cls = state.plugins.backend_class(backend_name, storage=storage.name)
            resolved = config.resolve(
                app.config, storage.name, backend_name, storage_only=cls.STORAGE_ONLY_KEYS
            )
            try:
                backend = cls(storage.name, resolved)
            except FSError:
                raise
            except Exception as exc:
                plugin = state.plugins.backend_plugin(backend_name)
                raise PluginError(
                    f"Backend {backend_name!r} (plugin {plugin!r}) failed to start for storage "
                    f"{storage.name!r}: {exc!r}. A backend's constructor reads its configuration "
                    f"only: it must not contact its service (the app must start while it is down)."
                ) from exc
        else:
            backend_name = backend.backend_name or backend_name
            adapt_instance(backend)
        backend.backend_name = backend_name
        check_config(backend.config, storage.name)
        return BoundStorage(app, storage, backend_name, backend.config, backend, state.hook, state.plugins)

    return bind


def init_app(app: Flask, *storages: Storage, plugins: Iterable[Any] = ()) -> FSState:
    """Set up fs-core on ``app`` and configure ``storages`` for it.

    Safe to call again: the first call loads the plugins, registers the ``fs`` blueprint
    (under ``FS_PREFIX``) and the ``flask fs`` commands; later calls only configure the
    storages they are given that this app does not know yet. Configuration is read now,
    so set ``app.config`` first. ``plugins`` are plugin objects (modules, instances) to
    register for this app on the first call, beside the installed ones, before any hook runs.
    """
    state: FSState | None = app.extensions.get(EXTENSION)
    if state is None:
        _set_defaults(app)
        loaded = Plugins(app.config.get("FS_PLUGINS"), app.config.get("FS_BLOCKED_PLUGINS"), plugins)
        state = FSState(app, loaded)
        state.binder = _binder(app, state)
        app.extensions[EXTENSION] = state
        if bp.name not in app.blueprints:
            app.register_blueprint(bp, url_prefix=app.config["FS_PREFIX"])
        from .cli import make_cli  # the commands import the rest of fs-core

        app.cli.add_command(make_cli(state))
        loaded.hook.init_app(app=app)
    elif plugins:
        raise ConfigurationError(
            f"fs-core is already set up on app {app.name!r}: pass plugins= to its first init_app"
        )
    for storage in storages:
        if state.get(storage.name) is not storage:
            storage.configure(app)
    return state


state_module.initializer = init_app


def storages(app: Flask | None = None) -> Mapping[str, Storage]:
    """The storages configured for ``app`` (``current_app`` by default), by name: the public
    way for applications and plugins to find them."""
    return dict(get_state(app))


def storage_named(name: str, app: Flask | None = None) -> Storage:
    """The storage ``name`` of ``app`` (``current_app`` by default); a
    :class:`~fs_core.errors.ConfigurationError` that lists the configured ones if there is
    none (for commands and plugins that take a storage's name from a user)."""
    return get_state(app).lookup(name)  # type: ignore[no-any-return]


def by_name(name: str) -> Storage | None:
    """The storage called ``name`` in the current app, or ``None`` (Flask-FS's ``by_name``)."""
    if not has_app_context():
        raise RuntimeError("fs_core.by_name() needs an application context")
    return get_state().get(name)
