"""Extension presets, the ``ALL``/``NONE``/``AllExcept`` sets, and name helpers.

Content types as security decisions (what is stored, what is shown inline) live in
:mod:`fs_core.content_types`.

The presets keep Flask-FS's names and members (``DOCUMENTS`` still holds ``odf``) and add
the formats people store today (``pdf``, ``odt``, ``webp``, ``avif``…). ``DEFAULTS`` is
``TEXT + DOCUMENTS + IMAGES + DATA``, as in Flask-FS.
"""

from __future__ import annotations

import functools
import mimetypes
import os
from collections.abc import Iterable
from typing import overload

__all__ = [
    "ALL",
    "ARCHIVES",
    "AUDIO",
    "DATA",
    "DEFAULTS",
    "DOCUMENTS",
    "EXECUTABLES",
    "IMAGES",
    "NONE",
    "SCRIPTS",
    "TEXT",
    "VIDEO",
    "All",
    "AllExcept",
    "DisallowAll",
    "extension",
    "lower_extension",
    "mime",
]

#: Plain text.
TEXT = ["txt", "md"]
#: Office documents.
DOCUMENTS = [
    *("rtf", "odf", "odt", "ods", "odp", "gnumeric", "abw"),
    *("doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf"),
]
#: Images (SVG can carry script: it is served as an attachment unless a storage allows it).
IMAGES = ["jpg", "jpe", "jpeg", "png", "gif", "svg", "bmp", "webp", "avif", "tif", "tiff", "ico"]
#: Audio.
AUDIO = ["wav", "mp3", "aac", "ogg", "oga", "flac", "m4a", "opus"]
#: Video.
VIDEO = ["mp4", "m4v", "webm", "mov", "mkv", "ogv"]
#: Structured data.
DATA = ["csv", "ini", "json", "plist", "xml", "yaml", "yml", "toml"]
#: Source files that can run somewhere.
SCRIPTS = ["js", "php", "pl", "py", "rb", "sh", "bat"]
#: Archives.
ARCHIVES = ["gz", "bz2", "zip", "tar", "tgz", "txz", "7z", "xz", "zst"]
#: Native executables.
EXECUTABLES = ["so", "exe", "dll"]
#: What a storage accepts when it is given no extensions.
DEFAULTS = TEXT + DOCUMENTS + IMAGES + DATA


class All:
    """Contains every extension: ``Storage('x', ALL)`` accepts any file type."""

    def __contains__(self, item: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL"


class DisallowAll:
    """Contains no extension: a storage that takes no uploads."""

    def __contains__(self, item: object) -> bool:
        return False

    def __repr__(self) -> str:
        return "NONE"


class AllExcept:
    """Every extension except the given ones, e.g. ``AllExcept(SCRIPTS + EXECUTABLES)``.

    A single string is one extension (Flask-FS tested substrings of it, so ``AllExcept('exe')``
    also refused ``'ex'``).
    """

    def __init__(self, items: Iterable[str] | str) -> None:
        if isinstance(items, str):
            items = (items,)
        self.items = frozenset(item.lower().lstrip(".") for item in items)

    def __contains__(self, item: object) -> bool:
        return not (isinstance(item, str) and item.lower().lstrip(".") in self.items)

    def __repr__(self) -> str:
        return f"AllExcept({sorted(self.items)!r})"


#: Instance of :class:`All`.
ALL = All()
#: Instance of :class:`DisallowAll`.
NONE = DisallowAll()


def extension(filename: str) -> str:
    """The lowercased last extension, without the dot (``'a.TAR.GZ'`` gives ``'gz'``)."""
    return _last_extension(filename)[1:].lower()


def _last_extension(filename: str) -> str:
    """``os.path.splitext(filename)[1]`` for a ``/``-separated name (``'.bashrc'`` has none),
    without its cost: every save asks several times."""
    dot = filename.rfind(".")
    start = filename.rfind("/") + 1
    if dot > start and (filename[start] != "." or filename[start:dot].strip(".")):
        return filename[dot:]
    return ""


def lower_extension(filename: str) -> str:
    """Lowercase only the last extension: ``'Photo.JPG'`` becomes ``'Photo.jpg'``."""
    base, ext = os.path.splitext(filename)
    return base + ext.lower() if ext else filename


# A private table built from Python's own map, so a type never depends on the machine's
# /etc/mime.types (the module-level mimetypes functions read it).
_MIMETYPES = mimetypes.MimeTypes(filenames=())
for _type, _ext in (
    ("image/webp", ".webp"),
    ("image/avif", ".avif"),
    ("image/svg+xml", ".svg"),
    ("text/markdown", ".md"),
    ("application/toml", ".toml"),
    ("application/yaml", ".yaml"),
    ("application/yaml", ".yml"),
    ("audio/flac", ".flac"),
    ("audio/ogg", ".oga"),
    ("audio/ogg", ".opus"),
    ("audio/mp4", ".m4a"),
    ("video/webm", ".webm"),
    ("video/x-matroska", ".mkv"),
    ("application/zstd", ".zst"),
    ("application/x-7z-compressed", ".7z"),
    ("application/vnd.oasis.opendocument.text", ".odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    ("application/vnd.oasis.opendocument.presentation", ".odp"),
):
    _MIMETYPES.add_type(_type, _ext)


@overload
def mime(filename: str, default: str) -> str: ...
@overload
def mime(filename: str, default: None = None) -> str | None: ...
def mime(filename: str, default: str | None = None) -> str | None:
    """The MIME type guessed from the name, or ``default``; the same on every machine."""
    ext = _last_extension(filename)
    if ":" in filename or ext in _NOT_BY_LAST_EXTENSION or ext.lower() in _NOT_BY_LAST_EXTENSION:
        return _MIMETYPES.guess_type(filename, strict=False)[0] or default
    return _mime_of_extension(ext) or default


# Where the last extension alone does not decide the type (``.tgz``, ``.gz``: see
# mimetypes.guess_type; a ``:`` may start a URL scheme), the name goes to guess_type whole.
_NOT_BY_LAST_EXTENSION = frozenset(_MIMETYPES.suffix_map) | frozenset(_MIMETYPES.encodings_map)


@functools.lru_cache(maxsize=512)
def _mime_of_extension(ext: str) -> str | None:
    """What guess_type answers for a name whose last extension is ``ext`` (every save asks)."""
    return _MIMETYPES.guess_type(f"x{ext}", strict=False)[0]
