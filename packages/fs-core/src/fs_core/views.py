"""The ``fs`` blueprint: ``fs.get_file(fs, filename)`` serves stored files.

Mounted under ``FS_PREFIX``. A storage is served unless ``SERVE`` is false for it
(``FS_SERVE`` or ``{NAME}_FS_SERVE``); ``SERVE`` may also name a serving mode a backend
understands (``'stream'``, ``'redirect'``), which means served. Private storages answer only signed URLs (see
:meth:`Storage.signed_url`); an expired or forged signature gets ``403``.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response

from . import signing
from .config import serve_enabled
from .content_types import DEFAULT_CONTENT_SECURITY_POLICY, content_security_policy
from .errors import FileNotFound, InvalidFilename
from .naming import validate_name
from .state import get_state

__all__ = ["bp", "get_file"]

bp = Blueprint("fs", __name__)


@bp.after_request
def _every_answer_is_inert(rv: Response) -> Response:
    """Error answers too (403, 404, 416…) are never sniffed nor run: ``nosniff``, and the
    storage's policy (the default one where the storage is unknown or turns it off: an
    error page is never a file that needs it off). Files got theirs from
    :func:`~fs_core.serving.finish_response`."""
    rv.headers.setdefault("X-Content-Type-Options", "nosniff")
    if rv.status_code >= 400 and "Content-Security-Policy" not in rv.headers:
        state = get_state()
        storage = state.get((request.view_args or {}).get("fs", ""))
        policy = content_security_policy(storage.config) if storage is not None else None
        rv.headers["Content-Security-Policy"] = policy or DEFAULT_CONTENT_SECURITY_POLICY
    return rv


@bp.route("/<string:fs>/<path:filename>")
def get_file(fs: str, filename: str) -> Response:
    storage = get_state().get(fs)
    if storage is None:
        abort(404)
    cfg = storage.config
    if not serve_enabled(cfg.get("serve", True)):
        abort(404)
    try:
        filename = validate_name(filename)
    except InvalidFilename:
        abort(404)
    args = request.args
    signed = signing.verify(current_app, storage.name, filename, args)
    if cfg.get_bool("private") and not signed:
        abort(403)
    try:
        return storage.serve(
            filename,
            as_attachment=signed and args.get("download") == "1",
            download_name=args.get("name") if signed else None,
        )
    except FileNotFound:
        abort(404)
