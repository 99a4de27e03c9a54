"""Serving files in a request: the ``fs`` blueprint (``fs.get_file(fs, filename)``, under
``FS_PREFIX``) and :func:`serve`, what ``Storage.serve`` does in any view.

A storage is served unless ``SERVE`` is false for it (``FS_SERVE`` or ``{NAME}_FS_SERVE``);
``SERVE`` may also name a serving mode a backend understands (``'stream'``, ``'redirect'``),
which means served. Private storages answer only signed URLs (see
:meth:`Storage.signed_url`); an expired or forged signature gets ``403``. The backend answers
conditional and range requests for the request it is given (its WSGI ``environ``); the core
adds what it decides for every backend (:func:`fs_core.serving.finish_response`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from werkzeug.wrappers import Response

from . import naming, signals, signing
from .config import serve_enabled
from .content_types import DEFAULT_CONTENT_SECURITY_POLICY, content_security_policy
from .errors import FileNotFound, InvalidFilename
from .serving import finish_response, normalize_range
from .state import BoundStorage, get_state
from .writes import replaced

__all__ = ["bp", "get_file", "serve"]

bp = Blueprint("fs", __name__)


def serve(
    bound: BoundStorage, filename: str, *, as_attachment: bool = False, download_name: str | None = None
) -> Response:
    """:meth:`Storage.serve <fs_core.storage.Storage.serve>`: the file as the answer to the
    current request; ``404`` if it does not exist or cannot exist."""
    try:
        name = naming.validate_name(filename)
    except InvalidFilename:
        abort(404)
    return _serve(bound, name, as_attachment=as_attachment, download_name=download_name)


def _serve(
    bound: BoundStorage,
    name: str,
    *,
    as_attachment: bool,
    download_name: str | None,
    environ: dict[str, Any] | None = None,
    private: bool | None = None,
) -> Response:
    """:func:`serve` of a validated name (``environ``: the request's, ``private``: the
    storage's ``PRIVATE``, where the caller has them already)."""
    if download_name is not None:
        naming.check_chars(download_name)  # it becomes a header value, or part of a URL
    if signals.before_display.receivers:
        signals.before_display.send(bound.storage, filename=name)
    # werkzeug refuses with 416 what RFC 9110 says to ignore: what cannot be parsed, another
    # unit, several ranges (what depends on the size is the backend's, see send_stream).
    environ = normalize_range(request.environ if environ is None else environ)
    try:
        rv = bound.backend.serve(
            name, environ=environ, as_attachment=as_attachment, download_name=download_name
        )
    except (FileNotFound, InvalidFilename):  # a name this backend cannot store
        abort(404)
    config = bound.config
    response_class = bound.app.response_class
    if not isinstance(rv, response_class):
        # What Flask's make_response does with a werkzeug response (its class changed in
        # place), without the checks for the other kinds of return value it takes.
        rv = response_class.force_type(rv) if isinstance(rv, Response) else bound.app.make_response(rv)
    return finish_response(
        rv,
        name,
        config,
        as_attachment=as_attachment,
        download_name=download_name,
        private=config.get_bool("private") if private is None else private,
        max_age=config.get_int("max_age"),
    )


@bp.after_request
def _every_answer_is_inert(rv: Response) -> Response:
    """Error answers too (403, 404, 416…) are never sniffed nor run: ``nosniff``, and the
    storage's policy (the default one where the storage is unknown or turns it off: an
    error page is never a file that needs it off). Files got theirs from
    :func:`~fs_core.serving.finish_response`."""
    rv.headers.setdefault("X-Content-Type-Options", "nosniff")
    if rv.status_code >= 400 and "Content-Security-Policy" not in rv.headers:
        bound = get_state().bound.get((request.view_args or {}).get("fs", ""))
        policy = content_security_policy(bound.config) if bound is not None else None
        rv.headers["Content-Security-Policy"] = policy or DEFAULT_CONTENT_SECURITY_POLICY
    return rv


@bp.route("/<string:fs>/<path:filename>")
def get_file(fs: str, filename: str) -> Response:
    bound = get_state().bound.get(fs)
    if bound is None:
        abort(404)
    config = bound.config
    if not serve_enabled(config.get("serve", True)):
        abort(404)
    try:
        filename = naming.validate_name(filename)
    except InvalidFilename:
        abort(404)
    environ = request.environ
    # Without a query string there is no signature: nothing to parse (most requests).
    signed = bool(environ.get("QUERY_STRING")) and signing.verify(
        bound.app, bound.name, filename, request.args
    )
    private = config.get_bool("private")
    if private and not signed:
        abort(403)
    as_attachment = signed and request.args.get("download") == "1"
    download_name = request.args.get("name") if signed else None
    try:  # through the Storage, whose serve() an application may override
        if replaced(bound.storage, "serve"):
            return bound.storage.serve(filename, as_attachment=as_attachment, download_name=download_name)
        return _serve(
            bound,
            filename,
            as_attachment=as_attachment,
            download_name=download_name,
            environ=environ,
            private=private,
        )
    except FileNotFound:
        abort(404)
