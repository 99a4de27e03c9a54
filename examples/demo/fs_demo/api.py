"""The JSON API beside the pages, on the shared area: list, upload, metadata, delete.

Errors are JSON too: ``{"error": {"code": …, "message": …, "text": …}}``, where ``code`` is
stable (see the README), ``message`` is fs-core's and ``text`` says it in plain words. The
API keeps no session: it is what ``curl`` sees.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

import fs_core as fs

from .areas import area_named
from .catalogue import entries, entry, photo_facts
from .pages import no_file, received_files, too_many, upload_answer
from .storages import MAX_FILES_PER_UPLOAD
from .uploads import Refusal, refusal, save_all

__all__ = ["api", "error_answer"]

api = Blueprint("api", __name__, url_prefix="/api")


def error_answer(found: Refusal):
    return jsonify(error=found.as_json()), found.status


@api.get("/files")
def list_files():
    area = area_named("shared")
    return jsonify(files=[e.as_json(area) for e in entries(area)])


@api.post("/files")
def upload():
    received = received_files()
    if not received:
        return error_answer(no_file("Send the file in a form field named 'file'."))
    if len(received) > MAX_FILES_PER_UPLOAD:
        return error_answer(too_many(len(received)))
    area = area_named("shared")
    return upload_answer(area, save_all(area, received))


@api.errorhandler(fs.FSError)
def refused(exc: fs.FSError):
    """An error of fs-core's family about the file of the URL, as JSON."""
    return error_answer(refusal(exc, (request.view_args or {}).get("name", "")))


@api.get("/files/<path:name>")
def metadata(name: str):
    """The file's description, and for a photo its size in pixels."""
    area = area_named("shared")
    found = entry(area, name)
    data = found.as_json(area)
    if found.photo:
        facts = photo_facts(area, found.name)
        data.update(width=facts.get("width"), height=facts.get("height"))
    return jsonify(data)


@api.delete("/files/<path:name>")
def delete(name: str):
    area = area_named("shared")
    area.storage.delete(area.full_name(entry(area, name).name))
    return "", 204
