"""The demo application: a photo and file sharing site on fs-core, fs-images and a backend
chosen by configuration (local disk unless told otherwise).

``create_app(config)`` is all there is: the backend is a matter of ``FS_BACKEND`` and its
keys (``run.py`` starts a local S3 server and passes them), never of the code below.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request, session
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

import fs_core as fs

from . import profiles
from .api import api, error_answer
from .pages import area_pages, refuse
from .profiles import avatars
from .storages import MAX_FILES_PER_UPLOAD, MAX_UPLOAD, private, shared, storage_config
from .text import human_duration, human_size
from .uploads import Refusal
from .visitors import csrf_token

__all__ = ["create_app"]

# The pages' own policy: scripts and styles from the demo only. Images may come from the
# storage's service (a presigned S3 URL in the private area); files themselves are served
# with fs-core's sandboxing policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: http: https:; media-src 'self' http: https:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _secret_key(app: Flask) -> str:
    """``SECRET_KEY`` from the environment, else one kept in the instance folder: sessions
    (the visitor's private folder) and signed links survive a restart of the demo."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: two demos starting at once agree on one key.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """The demo, configured by ``config`` (see the README); ``instance_path`` is where it keeps
    its secret key and, on local disk, its files (default: ``examples/demo/instance``)."""
    app = Flask(__name__, instance_path=instance_path)
    config = dict(config or {})
    app.config.update(storage_config(config.get("FS_MAX_SIZE", MAX_UPLOAD)))
    app.config.update(
        DEMO_LINK_EXPIRES=600,  # seconds a private file's link works
        DEMO_BACKEND_NOTE="",
        DEMO_MONGO_URL=None,  # the profiles' MongoDB; None: mongomock, in the demo's process
        TEMPLATES_AUTO_RELOAD=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if os.environ.get("FS_ROOT"):
        app.config["FS_ROOT"] = os.environ["FS_ROOT"]
    app.config.update(config)
    # One request carries at most MAX_FILES_PER_UPLOAD files of the largest size: beyond, the
    # request is refused as a whole (and says so), below, each file gets its own verdict.
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_FILES_PER_UPLOAD * app.config["FS_MAX_SIZE"] + 1_000_000
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    fs.init_app(app, shared, private, avatars)
    profiles.connect(app)

    app.register_blueprint(area_pages, name="shared")
    app.register_blueprint(area_pages, name="private", url_prefix="/private")
    app.register_blueprint(api)
    # Browsers ask for it whatever the page says.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))

    @app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        return {
            "csrf_token": csrf_token,
            "human_size": human_size,
            "link_lifetime": human_duration(app.config["DEMO_LINK_EXPIRES"]),
            "max_upload": app.config["FS_MAX_SIZE"],
            "backend": shared.backend_name,
            "profile_shown": profiles.shown_profile(session.get("visitor")),
            "backend_note": app.config["DEMO_BACKEND_NOTE"],
            "local_root": _where(shared),
        }

    @app.after_request
    def page_headers(response):
        # Files (and the answers of fs-core's view) carry fs-core's own policy already.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc):
        limit = app.config["MAX_CONTENT_LENGTH"]
        sent = request.content_length or 0
        found = Refusal(
            "",
            "request_too_large",
            413,
            f"the request is {sent} bytes; the limit is {limit}",
            f"This upload is {human_size(sent)} in all: one upload takes at most "
            f"{MAX_FILES_PER_UPLOAD} files and {human_size(limit)}. Send fewer files at a time.",
        )
        return error_answer(found) if request.path.startswith("/api/") else refuse(found)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.code or 0, "http_error")
            return error_answer(Refusal("", code, exc.code or 500, exc.description or exc.name, exc.name))
        if (exc.code or 500) < 400:
            return exc
        if isinstance(exc, NotFound):
            title = "Nothing here"
            default = exc.description == NotFound.description
            message = "This address leads to no page and no file." if default else exc.description
        else:
            title, message = exc.name, exc.description
        return render_template("error.html", error=exc, title=title, message=message), exc.code

    return app


def _where(storage: fs.Storage) -> str:
    """The folder of a local storage's files, shown as the header's tooltip (a remote
    backend's runner says where its files are: ``DEMO_BACKEND_NOTE``)."""
    try:
        return str(Path(storage.root).parent) if storage.root else ""
    except fs.FSError:
        return ""
