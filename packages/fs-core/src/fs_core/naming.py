"""File names: what may reach a backend, and how a client's name becomes a safe one.

Every name the core hands to a backend went through :func:`validate_name`: ``/``-separated,
relative, NFC-normalised, with no empty, ``.`` or ``..`` segment, no backslash, no NUL or
other control character, segments of at most 255 UTF-8 bytes and 1024 bytes in all (the S3
key limit). Anything else is an :class:`~fs_core.errors.InvalidFilename` before a backend is
called, so no name can escape a storage's root or prefix, whichever backend it uses.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator

from werkzeug.utils import secure_filename as _werkzeug_secure_filename

from .errors import InvalidFilename
from .files import lower_extension

__all__ = [
    "MAX_NAME_BYTES",
    "MAX_SEGMENT_BYTES",
    "PREVIOUS_PREFIX",
    "check_chars",
    "hashed_name",
    "join_name",
    "marked",
    "room_in",
    "secure_filename",
    "under",
    "validate_name",
    "validate_prefix",
]

#: The longest segment of a name (a folder or the base name), in UTF-8 bytes: what file systems allow.
MAX_SEGMENT_BYTES = 255
#: The longest whole name, in UTF-8 bytes.
MAX_NAME_BYTES = 1024
#: Base-name prefix of the copy the core keeps of a file being replaced while processors run:
#: reserved (no name of a storage may start a segment with it) and never listed.
PREVIOUS_PREFIX = ".fs-previous-"

# Line and paragraph separators and the bidirectional overrides that make "gpj.exe" look
# like "exe.jpg" are refused with the C0/C1 controls.
_FORBIDDEN_CHARS = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# What check_chars refuses, in one scan: the C0 and C1 controls (category Cc), the surrogates
# (Cs) and the characters above.
_REFUSED_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(_FORBIDDEN_CHARS)) + "]")


def check_chars(name: str) -> None:
    """:class:`InvalidFilename` if ``name`` holds a control, line-separator or bidi character,
    or a lone surrogate (what Python makes of bytes that are not UTF-8: no backend, header or
    URL can carry it)."""
    if (name.isascii() and name.isprintable()) or _REFUSED_CHAR.search(name) is None:
        return  # (printable ASCII has no control character: the common case, without a regex)
    for char in name:
        category = unicodedata.category(char)
        if category == "Cs":
            raise InvalidFilename(
                f"File name {name!r} is not valid Unicode (a lone surrogate U+{ord(char):04X}, "
                f"as from bytes that are not UTF-8)"
            )
        if char in _FORBIDDEN_CHARS or category == "Cc":
            raise InvalidFilename(f"File name {name!r} contains the control character U+{ord(char):04X}")


def validate_name(name: object, *, what: str = "File name") -> str:
    """Return ``name`` in the form backends receive, or raise :class:`InvalidFilename`.

    The name is NFC-normalised (a macOS client's decomposed "é" and a Linux client's
    composed one name the same file); nothing else is rewritten: a name that is not already
    safe is refused, never silently changed.
    """
    if not isinstance(name, str):
        raise InvalidFilename(f"{what} must be a string, not {type(name).__name__}")
    if not name:
        raise InvalidFilename(f"{what} is required")
    if not name.isascii():  # (ASCII is NFC already)
        name = unicodedata.normalize("NFC", name)
    check_chars(name)
    if "\\" in name:
        raise InvalidFilename(f"{what} {name!r} contains a backslash; use '/' between folders")
    if name.startswith("/"):
        raise InvalidFilename(f"{what} {name!r} is absolute; names are relative to the storage")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidFilename(f"{what} is longer than {MAX_NAME_BYTES} bytes")
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            problem = {"": "an empty segment ('//')", ".": "a '.' segment", "..": "a '..' segment"}[segment]
            raise InvalidFilename(f"{what} {name!r} contains {problem}: names are plain relative paths")
        if segment.startswith(PREVIOUS_PREFIX):
            raise InvalidFilename(f"{what} {name!r}: names starting with {PREVIOUS_PREFIX!r} are reserved")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidFilename(f"{what} {name!r} has a segment longer than {MAX_SEGMENT_BYTES} bytes")
    return name


def validate_prefix(prefix: str | None) -> str | None:
    """A folder prefix (``'a/b'``, ``'a/b/'`` or ``'/a'``): validated, without outer slashes."""
    if prefix is None:
        return None
    stripped = prefix.strip("/")
    if not stripped:
        return None
    return validate_name(stripped, what="Prefix")


def join_name(*parts: str | None) -> str:
    """Join folder prefixes and a name with ``/``, skipping empty parts, and validate."""
    return validate_name("/".join(p.strip("/") for p in parts if p and p.strip("/")))


def _unicode_secure(name: str) -> str:
    name = unicodedata.normalize("NFKC", name)
    name = name.replace("/", " ").replace("\\", " ")
    name = "_".join(name.split())
    name = "".join(c for c in name if c.isalnum() or c in "._-")
    return name.strip("._")


def _truncate(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_SEGMENT_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        stem, ext = name, ""
    budget = MAX_SEGMENT_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return f"{stem}.{ext}" if ext else stem


def secure_filename(filename: str, *, ascii_only: bool = False) -> str:
    """A safe single-segment name for a name sent by a client, with its extension lowercased.

    ASCII names get exactly werkzeug's ``secure_filename``. Non-ASCII names keep their
    letters and digits (``'файл.txt'`` stays ``'файл.txt'``, where werkzeug returns ``'txt'``)
    unless ``ascii_only``; a name with nothing usable left becomes ``file-<hash>.<ext>``.
    Returns ``''`` only for an empty name.
    """
    if not filename:
        return ""
    if filename.isascii() or ascii_only:
        result = _werkzeug_secure_filename(filename)
    else:
        result = _unicode_secure(filename)
    source_stem, dot, source_ext = re.split(r"[/\\]", filename)[-1].rpartition(".")
    lost_stem = bool(dot and source_stem.strip(". ") and "." not in result)
    if not result or lost_stem:
        # Nothing but (at most) the extension survived: keep the extension, name the rest.
        digest = hashlib.sha256(filename.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        ext = _werkzeug_secure_filename(source_ext) if dot else ""
        result = f"file-{digest}.{ext}" if ext else f"file-{digest}"
    # Lowercase, then compose, then cut: lowercasing can lengthen the extension in bytes
    # ('Ⱥ', 2 bytes, becomes 'ⱥ', 3) and dropping a character can leave two that NFC composes
    # (Hangul jamo), so the name is made NFC and cut to a segment's length last of all.
    result = lower_extension(result)
    if not result.isascii():
        result = unicodedata.normalize("NFC", result)
    return _truncate(result)


def hashed_name(hexdigest: str, extension: str = "", *, depth: int = 4, width: int = 1) -> str:
    """The content address of a file, as HashFS lays it out.

    The first ``depth`` x ``width`` characters of the digest become ``depth`` folders and the
    rest the file name: ``hashed_name('abcdef…', 'jpg', depth=2, width=2)`` is
    ``'ab/cd/ef….jpg'``.
    """
    if depth < 0 or width < 1 or depth * width >= len(hexdigest):
        raise InvalidFilename("HASH_DEPTH x HASH_WIDTH must be shorter than the digest")
    if not re.fullmatch(r"[0-9a-f]+", hexdigest):
        raise InvalidFilename(f"{hexdigest!r} is not a hexadecimal digest")
    folders = [hexdigest[i * width : (i + 1) * width] for i in range(depth)]
    rest = hexdigest[depth * width :]
    ext = extension.lstrip(".")
    return "/".join([*folders, f"{rest}.{ext}" if ext else rest])


def marked(basename: str, marker: str, room: int = MAX_SEGMENT_BYTES) -> str:
    """``basename`` with ``marker`` before its extension (``photo.jpg``, ``_1`` gives
    ``photo_1.jpg``; ``.env``, ``_1`` gives ``.env_1``), the stem shortened so that the result
    is at most ``room`` bytes: one segment a file system takes, or less where the name's
    folder leaves less of the whole name's limit (:func:`room_in`).

    An "extension" so long that no stem fits before it in a segment (``b.txt_aaaa…``, as
    :func:`secure_filename` makes of ``b.txt/aaaa…``) is no extension: the marker goes at the
    end of the shortened name. A real extension is never cut, which could turn it into one the
    storage refuses (``a.txt`` never becomes ``a.t_1``): :class:`InvalidFilename` if not even
    the marker, the extension and one character of the stem fit in ``room``.
    """
    room = min(room, MAX_SEGMENT_BYTES)
    stem, dot, ext = basename.rpartition(".")
    if not dot or not stem:
        stem, ext = basename, ""
    tail = f"{marker}.{ext}" if ext else marker
    if ext and len(tail.encode("utf-8")) >= MAX_SEGMENT_BYTES:  # no room for a stem anywhere
        stem, tail = basename, marker
    left = room - len(tail.encode("utf-8"))
    shortened = stem.encode("utf-8")[: max(left, 0)].decode("utf-8", "ignore")
    if not shortened:
        shortest = stem[:1] + tail
        raise InvalidFilename(
            f"No room to add {marker!r} to {basename!r}: its folder leaves {max(room, 0)} bytes "
            f"for the file name, fewer than the {len(shortest.encode('utf-8'))} of {shortest!r}; "
            f"use a shorter folder"
        )
    return shortened + tail


def room_in(folder: str, limit: int = MAX_NAME_BYTES) -> int:
    """How many bytes a base name may have in ``folder`` (``''``: the top level) for the whole
    name to stay within ``limit`` (a backend's :attr:`~fs_core.backend.BaseBackend.max_name_bytes`)
    and within one segment."""
    used = len(folder.encode("utf-8")) + 1 if folder else 0
    return min(MAX_SEGMENT_BYTES, limit - used)


def conflict_names(basename: str, limit: int = 10_000, room: int = MAX_SEGMENT_BYTES) -> Iterator[str]:
    """``name_1.ext``, ``name_2.ext``…: the names ``ON_CONFLICT = 'rename'`` tries, each
    shortened if the suffix would make it longer than ``room`` (:func:`marked`)."""
    for n in range(1, limit):
        yield marked(basename, f"_{n}", room)


def previous_name(name: str, token: str, limit: int = MAX_NAME_BYTES) -> str:
    """The name of the copy of ``name`` set aside while processors work on its replacement:
    ``.fs-previous-<token>`` in the same folder (reserved, so not validated), or at the top
    level where that would be longer than ``limit`` (a name near the limit with a short base
    name: the copy must fit wherever the name fits)."""
    parent = split_parent(name)[0]
    base = f"{PREVIOUS_PREFIX}{token}"
    return f"{parent}/{base}" if parent and room_in(parent, limit) >= len(base) else base


def is_reserved(name: str) -> bool:
    """Whether ``name`` (a stored name) is one of the core's own set-aside copies."""
    return split_parent(name)[1].startswith(PREVIOUS_PREFIX)


def split_parent(name: str) -> tuple[str, str]:
    """``('a/b', 'c.txt')`` for ``'a/b/c.txt'``; ``('', 'c.txt')`` for a top-level name."""
    parent, _, base = name.rpartition("/")
    return parent, base


def under(prefix: str | None, names: Iterable[str]) -> Iterable[str]:
    """Names inside the folder ``prefix`` (whole segments: ``'a'`` never matches ``'ab'``)."""
    if not prefix:
        yield from names
        return
    start = prefix.rstrip("/") + "/"
    for name in names:
        if name.startswith(start):
            yield name
