"""Flask-Store's local provider (``flask_store.stores.local``), on fs-local."""

from __future__ import annotations

from flask import Flask

from . import BaseStore

__all__ = ["LocalStore"]


class LocalStore(BaseStore):
    """Files on this machine's disk, in ``STORE_PATH`` (the default provider), served under
    ``STORE_URL_PREFIX``.

    Unlike Flask-Store, ``STORE_PATH`` does not default to the working directory (whose
    every file the route would then serve, the application's code and secrets included):
    unset, the files go to fs-local's default, ``<instance folder>/fs/store``."""

    register_route = True
    backend = "local"

    @staticmethod
    def app_defaults(app: Flask) -> None:
        app.config.setdefault("STORE_URL_PREFIX", "/flaskstore")
