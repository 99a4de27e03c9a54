"""The JSON API beside the pages, on the shared area: list, upload, metadata, delete.

Errors are JSON too: ``{"error": {"code": …, "message": …, "text": …}}``, where ``code`` is
stable (see the README), ``message`` is fs-core's and ``text`` says it in plain words. The
API keeps no session: it is what ``curl`` sees.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

import fs_core as fs

from .areas import area_named
from .catalogue import entries, entry
from .pages import received_files, too_many, upload_answer
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
        return error_answer(
            Refusal(
                "", "no_file", 400, "no file in the request", "Send the file in a form field named 'file'."
            )
        )
    if len(received) > MAX_FILES_PER_UPLOAD:
        return error_answer(too_many(len(received)))
    area = area_named("shared")
    return upload_answer(area, save_all(area, received))


@api.get("/files/<path:name>")
def metadata(name: str):
    area = area_named("shared")
    try:
        return jsonify(entry(area, name).as_json(area))
    except fs.FSError as exc:
        return error_answer(refusal(exc, name))


@api.delete("/files/<path:name>")
def delete(name: str):
    area = area_named("shared")
    try:
        found = entry(area, name)
    except fs.FSError as exc:
        return error_answer(refusal(exc, name))
    area.storage.delete(area.full_name(found.name))
    return "", 204
