"""Serving content-addressed files under ``HASHFS_PATH_PREFIX``.

The route matches the addresses of the app's layout only (``a/b/c/d/<rest of the digest>``
and an extension), so it can sit at the root of the site without catching other URLs. It
answers through ``Storage.serve``, with the core's HTTP semantics (``304``, ``206`` ranges,
one safe ``Content-Type``, ``nosniff``, a sandboxing policy, a backend's redirect or
offload), and, since a name is its content:

* ``Cache-Control: public, max-age=<a year>, immutable`` (the storage's ``MAX_AGE``, which
  ``FlaskHashFS.init_app`` sets to a year unless configured);
* a strong ``ETag`` that is the content's id, the same on every backend and every server
  (a CDN in front of several replicas sees one ETag per file), answered with ``304``.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request
from werkzeug.http import quote_etag
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from fs_core.config import serve_enabled

from .address import Layout

__all__ = ["CONVERTERS", "ENDPOINT", "register"]

#: The endpoint of the route.
ENDPOINT = "hashfs.file"
#: The URL converters of the app's layout: a folder (``width`` hex characters), a base name.
CONVERTERS = ("hashfs_folder", "hashfs_base")


def register(app: Flask, layout: Layout, prefix: str) -> None:
    """Add the route to ``app``, under ``prefix`` (``''``: the root), for ``layout``'s names.

    One converter per path segment, lighter than werkzeug's own: under a prefix, the
    prefix's static segment is matched first; at the site's root, an address is tried before
    the ``fs`` blueprint's ``/<storage>/<path>``, and anything else falls through to it."""
    if ENDPOINT in app.view_functions:
        return
    rest = layout.id_length - layout.depth * layout.width

    class Folder(BaseConverter):
        regex = f"[0-9a-f]{{{layout.width}}}"
        weight = 50

    class Base(BaseConverter):
        regex = f"[0-9a-f]{{{rest}}}(?:\\.[^/]+)?"
        weight = 50

    app.url_map.converters.update(dict(zip(CONVERTERS, (Folder, Base), strict=True)))
    folders = "".join(f"/<{CONVERTERS[0]}:f{i}>" for i in range(layout.depth))
    app.add_url_rule(f"{prefix}{folders}/<{CONVERTERS[1]}:base>", ENDPOINT, _file, methods=["GET"])


def _file(base: str, **folders: str) -> Response:
    relpath = "/".join([*(folders[f"f{i}"] for i in range(len(folders))), base])
    client = current_app.extensions["hashfs"]["client"]
    storage = client.storage
    if not serve_enabled(storage.config.get("serve", True)):
        abort(404)
    if storage.private:  # reached through signed URLs of the fs view only
        abort(403)
    etag = client.layout.unshard(relpath)
    environ = request.environ
    if request.if_none_match.contains(etag):
        if not storage.exists(relpath):
            abort(404)
        rv = Response(status=304)
    else:
        # A range of this ETag is a range of this content, whatever the backend's own tag.
        if request.if_range.etag == etag:
            environ.pop("HTTP_IF_RANGE", None)
        rv = storage.serve(relpath)
    if rv.status_code in (200, 206, 304):
        rv.headers["ETag"] = quote_etag(etag)
        rv.cache_control.public = True
        rv.cache_control.immutable = True
        max_age = storage.config.get_int("max_age")
        if max_age is not None:
            rv.cache_control.max_age = max_age
            rv.cache_control.no_cache = None
    return rv
