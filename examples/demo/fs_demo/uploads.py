"""Saving what a visitor sends, one verdict per file: saved under a name, or refused with a
stable code (for programs), fs-core's own message, and a sentence in plain words (for people).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import FileStorage

import fs_core as fs
import fs_images

from .areas import Area
from .text import human_size, shown_name

__all__ = ["Refusal", "refusal", "save_all"]


@dataclass(frozen=True)
class Refusal:
    """Why a file was not saved (or an API request not answered)."""

    #: The client's name for the file ("" when the refusal is not about one file).
    filename: str
    #: Stable, for programs: ``type_refused``, ``too_large``, ``not_an_image``… (README).
    code: str
    status: int
    #: fs-core's message (or the demo's, for what the core does not see).
    message: str
    #: The same in plain words, for a person.
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.filename, "code": self.code, "message": self.message, "text": self.text}


# Most specific first: fs_images.ImageTooLarge is an InvalidImage, which is an
# UnauthorizedFileType; FileTooLarge is an UploadNotAllowed.
_CODES: list[tuple[type[BaseException], str, int]] = [
    (fs_images.ImageTooLarge, "image_too_large", 413),
    (fs_images.ReservedName, "reserved_name", 409),
    (fs_images.InvalidImage, "not_an_image", 422),
    (fs.UnauthorizedFileType, "type_refused", 415),
    (fs.FileTooLarge, "too_large", 413),
    (fs.UploadNotAllowed, "refused", 400),
    (fs.InvalidFilename, "invalid_name", 400),
    (fs.FileNotFound, "not_found", 404),
    (fs.FileExists, "exists", 409),
    (fs.BackendError, "storage_unavailable", 503),
    (fs.ProcessingError, "processing_failed", 500),
    (fs.FSError, "refused", 400),
]


ACCEPTED_KINDS = "only photos, documents, text, audio, video and archives"


def _plain(code: str, exc: BaseException, filename: str, size: int | None) -> str:
    """What happened, in words a visitor understands: a sentence (the page shows the name)."""
    ext = fs.extension(filename)
    if code == "type_refused":
        what = f"'.{ext}' files" if ext else "files without an extension"
        return f"{what} are not accepted here: {ACCEPTED_KINDS}."
    if code == "too_large":
        limit = getattr(exc, "limit", None)
        sent = f"{human_size(size)}; " if size else ""
        return f"Too large ({sent}the limit is {human_size(limit)})." if limit else "Too large."
    if code == "not_an_image":
        what = f"a {ext.upper()}" if ext else "an"
        return f"Not really {what} image: its content is something else, or damaged."
    if code == "image_too_large":
        return "This image has too many pixels (or frames) to process."
    if code == "reserved_name":
        return "This name belongs to another photo's thumbnail: rename the file and try again."
    if code == "invalid_name":
        return f"This name cannot be stored ({exc})."
    if code == "not_found":
        return "No such file: it may have been deleted."
    if code == "exists":
        return "A file of that name is there already."
    if code == "storage_unavailable":
        return "Not saved: the storage service did not answer. Try again in a moment."
    if code == "processing_failed":
        return "Not saved: the photo could not be processed."
    return f"Not saved ({exc})."


def refusal(exc: BaseException, filename: str = "", size: int | None = None) -> Refusal:
    """The :class:`Refusal` for an error of fs-core's family raised about ``filename``."""
    code, status = next((code, status) for kind, code, status in _CODES if isinstance(exc, kind))
    return Refusal(shown_name(filename), code, status, str(exc), _plain(code, exc, filename, size))


def _size(upload: FileStorage) -> int | None:
    """The size of an upload that werkzeug spooled to memory or disk (seekable), else None."""
    try:
        stream = upload.stream
        here = stream.tell()
        size = stream.seek(0, 2)
        stream.seek(here)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def save_all(area: Area, uploads: list[FileStorage]) -> list[str | Refusal]:
    """Save each upload in ``area``: its name in the area, or why it was refused. One
    refused file never stops the others."""
    verdicts: list[str | Refusal] = []
    for upload in uploads:
        try:
            name = area.storage.save(upload, prefix=area.folder or None)
        except fs.FSError as exc:
            verdicts.append(refusal(exc, upload.filename or "", _size(upload)))
        else:
            verdicts.append(area.name_in_area(name))
    return verdicts
