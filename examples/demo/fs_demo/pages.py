"""The pages: an area's gallery, a file's detail view, deleting with confirmation, uploading.

One blueprint serves both areas: it is registered twice, as ``shared`` (at ``/``) and as
``private`` (at ``/private/``), and each view asks :func:`current_area` which one it is.
Uploads answer JSON to the page's uploader (one file per request, with its progress) and
redirect with messages to a form posted without JavaScript.
"""

from __future__ import annotations

import mongoengine as me
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

import fs_core as fs

from .areas import Area, current_area
from .catalogue import entries, entry, photo_facts
from .profiles import NAME_LENGTH, profile_of
from .storages import MAX_FILES_PER_UPLOAD
from .text import shown_name
from .uploads import Refusal, refusal, save_all
from .visitors import csrf_ok

__all__ = ["area_pages", "no_file", "received_files", "refuse", "too_many", "upload_answer", "wants_json"]

area_pages = Blueprint("area", __name__)

EXPIRED = "Your session expired: reload the page and try again."


def received_files() -> list:
    """The files of an upload request (field ``file``, several allowed); empty parts skipped."""
    return [upload for upload in request.files.getlist("file") if upload and upload.filename]


def upload_answer(area: Area, verdicts: list) -> tuple[Response, int]:
    """The JSON answer to an upload: what was saved and what was refused. 201 when every file
    was saved, else the status of the first refusal (the files saved are listed all the same)."""
    saved = [entry(area, name).as_json(area) for name in verdicts if isinstance(name, str)]
    refused = [v for v in verdicts if isinstance(v, Refusal)]
    status = refused[0].status if refused else 201
    return jsonify(files=saved, errors=[r.as_json() for r in refused]), status


def no_file(text: str) -> Refusal:
    return Refusal("", "no_file", 400, "no file in the request", text)


def too_many(count: int) -> Refusal:
    return Refusal(
        "",
        "too_many_files",
        413,
        f"{count} files in one request; the limit is {MAX_FILES_PER_UPLOAD}",
        f"{count} files at once is too many: send at most {MAX_FILES_PER_UPLOAD} at a time.",
    )


def wants_json() -> bool:
    """Whether the page's uploader (not a form) is asking."""
    return request.accept_mimetypes.best == "application/json"


def refuse(found: Refusal):
    """A refusal of a whole upload request: JSON for the uploader, a message for a form."""
    if wants_json():
        return jsonify(files=[], errors=[found.as_json()]), found.status
    flash({"text": found.text}, "error")
    return redirect(url_for(f"{request.blueprint or 'shared'}.gallery"))


@area_pages.get("/")
def gallery():
    area = current_area()
    profile = profile_of(area.folder) if area.private else None
    return render_template("gallery.html", area=area, files=entries(area), profile=profile)


@area_pages.post("/profile")
def profile():
    """The private area's profile form: a name, and a picture (fs-mongoengine's ImageField)."""
    area = current_area()
    if not area.private:
        abort(404)
    if not csrf_ok():
        return refuse(Refusal("", "session_expired", 403, "missing or wrong CSRF token", EXPIRED))
    found = profile_of(area.folder)
    found.name = request.form.get("name", "").strip()
    picture = request.files.get("avatar")
    if len(found.name) > NAME_LENGTH:
        flash({"text": f"Profile not saved: a name has {NAME_LENGTH} characters at most."}, "error")
        return redirect(url_for(".gallery"))
    try:
        if picture and picture.filename:
            found.avatar.save(picture)
        found.save()  # delete_files: a picture this one replaced goes now
    except me.ValidationError as exc:  # the field's refusal; fs-core's error is its cause
        cause = exc.__cause__
        text = refusal(cause, picture.filename).text if isinstance(cause, fs.FSError) else str(exc)
        flash({"name": shown_name(picture.filename or ""), "text": text}, "error")
    else:
        flash({"text": "Profile saved."}, "ok")
    return redirect(url_for(".gallery"))


@area_pages.post("/upload")
def upload():
    area = current_area()
    if not csrf_ok():
        return refuse(Refusal("", "session_expired", 403, "missing or wrong CSRF token", EXPIRED))
    received = received_files()
    if not received:
        return refuse(no_file("Choose at least one file to upload."))
    if len(received) > MAX_FILES_PER_UPLOAD:
        return refuse(too_many(len(received)))
    verdicts = save_all(area, received)
    if wants_json():
        return upload_answer(area, verdicts)
    for verdict in verdicts:
        if isinstance(verdict, Refusal):
            flash({"name": verdict.filename, "text": verdict.text}, "error")
        else:
            flash({"name": verdict, "text": "Saved."}, "ok")
    return redirect(url_for(".gallery"))


@area_pages.get("/view/<path:name>")
def view(name: str):
    area = current_area()
    try:
        found = entry(area, name)
    except (fs.FileNotFound, fs.InvalidFilename):
        abort(404, description=f"There is no file named {name!r} here.")
    facts = photo_facts(area, name) if found.photo else {}
    original = photo_facts(area, found.original) if found.original else {}
    return render_template("detail.html", area=area, file=found, facts=facts, original=original)


@area_pages.route("/delete/<path:name>", methods=["GET", "POST"])
def delete(name: str):
    """GET: the confirmation (what the page's dialog shows without JavaScript); POST: delete."""
    area = current_area()
    try:
        found = entry(area, name)
    except (fs.FileNotFound, fs.InvalidFilename):
        if request.method == "POST":
            flash({"name": shown_name(name), "text": "Already gone."}, "error")
            return redirect(url_for(".gallery"))
        abort(404, description=f"There is no file named {name!r} here.")
    if request.method == "GET":
        return render_template("delete.html", area=area, file=found)
    if not csrf_ok():
        flash({"text": EXPIRED}, "error")
        return redirect(url_for(".gallery"))
    area.storage.delete(area.full_name(found.name))
    current_app.logger.info("deleted %s from %s", found.name, area.key)
    flash({"name": found.name, "text": "Deleted."}, "ok")
    return redirect(url_for(".gallery"))
