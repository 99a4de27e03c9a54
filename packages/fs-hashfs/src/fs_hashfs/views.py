"""Serving content-addressed files under ``HASHFS_PATH_PREFIX``.

The route matches the addresses of the app's layout only (``a/b/c/d/<rest of the digest>``
and an extension), so it can sit at the root of the site without catching other URLs. It
answers through ``Storage.serve``, with the core's HTTP semantics (a strong ``ETag``,
``304``, ``206`` ranges, one safe ``Content-Type``, ``nosniff``, a sandboxing policy, a
backend's redirect or offload), and marks what it serves ``immutable``: a name is its content.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from .address import Layout

__all__ = ["CONVERTER", "ENDPOINT", "bp", "register"]

#: The endpoint of the route (``flask.url_for(ENDPOINT, relpath=...)``).
ENDPOINT = "hashfs.file"
#: The name of the URL converter of the app's layout.
CONVERTER = "hashfs_address"

bp = Blueprint("hashfs", __name__)


def register(app: Flask, layout: Layout, prefix: str) -> None:
    """Add the route to ``app``, under ``prefix`` (``''``: the root), for ``layout``'s names."""
    if bp.name in app.blueprints:
        return

    class AddressConverter(BaseConverter):
        """The names of this app's layout: ``depth`` folders, the rest of the digest, an extension."""

        regex = layout.route_pattern()
        part_isolating = False  # the pattern spans several path segments

    app.url_map.converters[CONVERTER] = AddressConverter
    app.register_blueprint(bp, url_prefix=prefix or None)


def _serve_enabled(value: object) -> bool:
    """The storage's ``SERVE`` key: on unless set to a false value (a mode such as
    ``'redirect'`` means on)."""
    if value is None or value is True:
        return True
    return str(value).strip().lower() not in ("", "0", "false", "no", "off")


@bp.get(f"/<{CONVERTER}:relpath>")
def file(relpath: str) -> Response:
    client = current_app.extensions["hashfs"]["client"]
    storage = client.storage
    if not _serve_enabled(storage.config.get("serve", True)):
        abort(404)
    if storage.private:  # reached through signed URLs of the fs view only
        abort(403)
    rv = storage.serve(relpath)
    if rv.status_code in (200, 206, 304):
        rv.cache_control.public = True
        rv.cache_control.immutable = True
    return rv
