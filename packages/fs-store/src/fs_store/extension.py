"""``Store``: Flask-Store's extension, its files kept in an fs storage.

``Store(app)`` or ``store.init_app(app)`` reads the ``STORE_*`` keys, finds the provider
class ``STORE_PROVIDER`` names, sets its defaults, checks its required keys (naming every
missing one), configures the fs storage ``store`` on the provider's backend, registers the
route that serves the files when the provider asks for it, and sets up background saves.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, current_app, has_app_context
from werkzeug.local import LocalProxy

import fs_core
from fs_core.config import as_bool

from . import views
from .background import BackgroundUploads
from .exceptions import NotConfiguredError
from .settings import DEFAULT_PROVIDER, fs_keys, provider_class
from .stores import BaseStore, StoreStorage

__all__ = ["STORAGE_NAME", "Provider", "Store", "StoreState", "store_provider"]

#: The fs storage of the store: its fs keys are ``STORE_FS_*``.
STORAGE_NAME = "store"


class StoreState:
    """The state of Flask-Store in one app (``app.extensions['store']``)."""

    def __init__(self, store: Store, app: Flask) -> None:
        self.store = store
        self.app = app
        self.provider_class: type[BaseStore] = BaseStore
        self.backend_name = "local"
        self.background_enabled = False
        self.background: BackgroundUploads | None = None

    @property
    def storage(self) -> fs_core.Storage:
        """The fs storage the files are kept in."""
        return self.store.storage

    def provider(self, destination: str | None = None) -> BaseStore:
        """A provider of this app (call it in an app context)."""
        return self.provider_class(destination=destination)


class Store:
    """Flask-Store integration into Flask applications (Flask-Store's ``Store``).

    Bind it to an app, ``store = Store(app)``, or use an application factory:
    ``store = Store()`` then ``store.init_app(app)`` in the factory.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.storage = StoreStorage(STORAGE_NAME, fs_core.ALL)
        self.app = app
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Set the configuration defaults, find the provider, check its configuration,
        configure the storage, register the route and set up background saves."""
        app.config.setdefault("STORE_DOMAIN", None)
        app.config.setdefault("STORE_PROVIDER", DEFAULT_PROVIDER)
        state = StoreState(self, app)
        app.extensions["store"] = state
        state.provider_class, state.backend_name = provider_class(app.config["STORE_PROVIDER"])
        self.set_provider_defaults(app)
        self.check_config(app)
        served = state.provider_class.register_route
        prefix = f"{STORAGE_NAME.upper()}_FS_"
        for key, value in fs_keys(app.config, state.backend_name, prefix, served).items():
            app.config.setdefault(key, value)
        fs_core.init_app(app, self.storage)
        state.background_enabled = state.provider_class.background or as_bool(
            app.config.get("STORE_BACKGROUND", False), "STORE_BACKGROUND"
        )
        state.background = _background(app, self.storage)
        self.register_route(app)
        from .cli import commands

        app.cli.add_command(commands)

    def _state(self, app: Flask | None = None) -> StoreState:
        if app is None:
            if has_app_context():
                app = current_app._get_current_object()  # type: ignore[attr-defined]
            elif self.app is not None:
                app = self.app
            else:
                raise RuntimeError(
                    "Store is used outside an application context: use `with app.app_context():`"
                )
        state = app.extensions.get("store")
        if not isinstance(state, StoreState):
            raise NotConfiguredError(f"Store.init_app(app) was never called for app {app.name!r}")
        return state

    @property
    def Provider(self) -> type[BaseStore]:
        """The current app's provider class: ``store.Provider(destination=None)``."""
        return self._state().provider_class

    @property
    def background(self) -> BackgroundUploads:
        """The current app's background saves: list, retry, discard, wait."""
        state = self._state()
        assert state.background is not None
        return state.background

    def provider(self, app: Flask) -> type[BaseStore]:
        """The provider class ``app``'s configuration names (``NotConfiguredError`` if it
        names nothing usable)."""
        return provider_class(app.config.get("STORE_PROVIDER"))[0]

    def set_provider_defaults(self, app: Flask) -> None:
        """The provider's configuration defaults (its ``app_defaults``)."""
        self._state(app).provider_class.app_defaults(app)

    def check_config(self, app: Flask) -> None:
        """Raise :class:`NotConfiguredError` naming every required key that is not set."""
        provider = self._state(app).provider_class
        missing = [key for key in provider.REQUIRED_CONFIGURATION if not app.config.get(key)]
        if missing:
            raise NotConfiguredError(
                f"{', '.join(missing)} must be configured in your flask application configuration "
                f"(required by STORE_PROVIDER {app.config.get('STORE_PROVIDER')!r})"
            )

    def register_route(self, app: Flask) -> None:
        """Serve the files under ``STORE_URL_PREFIX``, if the provider asks for it."""
        if self._state(app).provider_class.register_route:
            views.register(app, app.config.get("STORE_URL_PREFIX") or "/flaskstore")


def _background(app: Flask, storage: fs_core.Storage) -> BackgroundUploads:
    config = app.config
    spool = config.get("STORE_BACKGROUND_SPOOL") or os.path.join(app.instance_path, "fs-store-spool")
    return BackgroundUploads(
        app,
        storage,
        spool,
        concurrency=_positive(config, "STORE_BACKGROUND_CONCURRENCY", 4),
        retries=_positive(config, "STORE_BACKGROUND_RETRIES", 3, minimum=0),
        retry_delay=float(config.get("STORE_BACKGROUND_RETRY_DELAY", 1.0)),
        unique_names=as_bool(
            config.get("STORE_BACKGROUND_UNIQUE_NAMES", False), "STORE_BACKGROUND_UNIQUE_NAMES"
        ),
    )


def _positive(config: Any, key: str, default: int, minimum: int = 1) -> int:
    value = config.get(key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = minimum - 1
    if number < minimum:
        raise NotConfiguredError(f"{key} must be an integer of at least {minimum}, not {value!r}")
    return number


def store_provider() -> type[BaseStore]:
    """The current app's provider class (Flask-Store's ``store_provider``)."""
    state = current_app.extensions.get("store")
    if not isinstance(state, StoreState):
        raise NotConfiguredError(f"Store.init_app(app) was never called for app {current_app.name!r}")
    return state.provider_class


#: The current app's provider class, as a proxy: ``Provider()``, ``Provider(destination=…)``.
Provider: Any = LocalProxy(store_provider)
