"""A small file-sharing app on local storage: upload, list, download, delete.

Run it with ``./dev demo`` (or ``flask --app examples/demo/app.py run``). Files go to
``examples/demo/instance/fs/uploads`` unless ``FS_ROOT`` is set in the environment.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, flash, redirect, render_template, request, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge

import fs_core as fs

uploads = fs.Storage("uploads", fs.AllExcept(fs.SCRIPTS + fs.EXECUTABLES))

MAX_UPLOAD = 50 * 1024 * 1024


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(16),
        MAX_CONTENT_LENGTH=MAX_UPLOAD + 64 * 1024,
        UPLOADS_FS_MAX_SIZE=MAX_UPLOAD,
        UPLOADS_FS_ON_CONFLICT="rename",
    )
    if os.environ.get("FS_ROOT"):
        app.config["FS_ROOT"] = os.environ["FS_ROOT"]
    app.config.update(config or {})
    fs.init_app(app, uploads)

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(16)
        return session["csrf"]

    def check_csrf() -> bool:
        return bool(request.form.get("csrf")) and request.form.get("csrf") == session.get("csrf")

    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.get("/")
    def index():
        files = []
        for name in sorted(uploads.list_files()):
            meta = uploads.metadata(name)
            files.append(
                {"name": name, "size": meta["size"], "modified": meta["modified"], "mime": meta["mime"]}
            )
        return render_template("index.html", files=files, max_upload=MAX_UPLOAD)

    @app.post("/upload")
    def upload():
        if not check_csrf():
            flash("Your session expired: reload the page and try again.", "error")
            return redirect(url_for("index"))
        received = [f for f in request.files.getlist("files") if f and f.filename]
        if not received:
            flash("Choose at least one file to upload.", "error")
        for upload in received:
            try:
                name = uploads.save(upload)
            except fs.UnauthorizedFileType:
                flash(f"{upload.filename}: this type of file is not accepted here.", "error")
            except fs.FileTooLarge:
                flash(f"{upload.filename}: too large (the limit is {MAX_UPLOAD // 2**20} MB).", "error")
            except fs.FSError as exc:
                flash(f"{upload.filename}: not saved ({exc}).", "error")
            else:
                flash(f"Saved {name}.", "ok")
        return redirect(url_for("index"))

    @app.post("/delete")
    def delete():
        if not check_csrf():
            flash("Your session expired: reload the page and try again.", "error")
            return redirect(url_for("index"))
        name = request.form.get("name", "")
        try:
            if not uploads.exists(name):
                flash(f"{name}: already gone.", "error")
            else:
                uploads.delete(name)
                flash(f"Deleted {name}.", "ok")
        except fs.InvalidFilename as exc:
            flash(str(exc), "error")
        return redirect(url_for("index"))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc):
        flash(f"That upload is too large (the limit is {MAX_UPLOAD // 2**20} MB).", "error")
        return redirect(url_for("index"))

    return app


app = create_app()
