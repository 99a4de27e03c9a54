"""The route that serves a store's files under ``STORE_URL_PREFIX`` (Flask-Store's
``flask.store.file`` endpoint), through ``Storage.serve``: the core's HTTP semantics (ETag,
``304``, ``206`` ranges, a safe ``Content-Type`` and ``Content-Disposition``, ``nosniff``, a
sandboxing policy) on every backend, instead of ``send_from_directory`` on local disk only.
A name outside the store is a ``404`` (the core validates it before a backend sees it)."""

from __future__ import annotations

from flask import Flask, abort, current_app
from werkzeug.wrappers import Response

from fs_core.config import serve_enabled

__all__ = ["ENDPOINT", "register"]

#: Flask-Store's endpoint: ``url_for('flask.store.file', filename=...)``.
ENDPOINT = "flask.store.file"


def register(app: Flask, prefix: str) -> None:
    """Add the route under ``prefix`` (once per app)."""
    if ENDPOINT in app.view_functions:
        return
    rule = "/" + "/".join(p for p in (prefix.strip("/"), "<path:filename>") if p)
    app.add_url_rule(rule, ENDPOINT, serve, methods=["GET"])


def serve(filename: str) -> Response:
    storage = current_app.extensions["store"].storage
    if not serve_enabled(storage.config.get("serve", True)):
        abort(404)
    if storage.private:  # reached through the fs view's signed URLs only
        abort(403)
    served: Response = storage.serve(filename)
    return served
