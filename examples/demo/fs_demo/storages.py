"""The demo's two storages and what they accept.

``shared`` is the gallery everyone sees; ``private`` holds each visitor's own files, under a
folder named after the visitor, reached only through signed, expiring URLs. Both accept an
allow-list of kinds of files (a deny-list of "executables" always misses one: ``.jar``,
``.apk``, ``.msi``, ``.scr``…), and both run fs-images on the photos they receive.
"""

from __future__ import annotations

from typing import Any

import fs_core as fs

__all__ = [
    "ACCEPTED",
    "DISPLAY_SIZE",
    "KINDS",
    "MAX_FILES_PER_UPLOAD",
    "MAX_UPLOAD",
    "THUMBNAILS",
    "kind_of",
    "private",
    "shared",
    "storage_config",
]

#: What the demo accepts, by kind (the kind also picks the icon a file gets).
KINDS: dict[str, list[str]] = {
    "image": fs.IMAGES,
    "document": fs.DOCUMENTS,
    "text": fs.TEXT,
    "data": fs.DATA,
    "audio": fs.AUDIO,
    "video": fs.VIDEO,
    "archive": fs.ARCHIVES,
}
ACCEPTED = sorted({ext for extensions in KINDS.values() for ext in extensions})

#: The largest file accepted, in bytes: 50 MB (decimal, as the pages say it).
MAX_UPLOAD = 50 * 1000 * 1000
#: Files one request may carry (a form posted without JavaScript; the page's uploader sends
#: one file per request, and so gets one answer per file).
MAX_FILES_PER_UPLOAD = 10
#: Square thumbnails, in pixels: a grid cell at 1x and 2x pixel density.
THUMBNAILS = (240, 480)
#: Longest side of the image shown in the detail view; the upload is kept as ``-original``.
DISPLAY_SIZE = 1600

shared = fs.Storage("shared", ACCEPTED)
private = fs.Storage("private", ACCEPTED)


def kind_of(name: str) -> str:
    """``'image'``, ``'document'``, … for a file name; ``'file'`` for anything else."""
    ext = fs.extension(name)
    return next((kind for kind, extensions in KINDS.items() if ext in extensions), "file")


def storage_config(max_upload: int = MAX_UPLOAD) -> dict[str, Any]:
    """The configuration keys of both storages (the backend's come from elsewhere: the demo's
    code is the same on every backend)."""
    config: dict[str, Any] = {
        "FS_PREFIX": "/media",
        "FS_MAX_SIZE": max_upload,
        "FS_ON_CONFLICT": "rename",
        "PRIVATE_FS_PRIVATE": True,
    }
    for storage in (shared, private):
        key = storage.name.upper()
        config.update(
            {
                f"{key}_FS_IMAGES_THUMBNAILS": list(THUMBNAILS),
                f"{key}_FS_IMAGES_MAX_SIZE": DISPLAY_SIZE,
                f"{key}_FS_IMAGES_WEBP": True,
            }
        )
    return config
