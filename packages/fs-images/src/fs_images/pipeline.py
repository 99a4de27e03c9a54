"""The post-save processors: what happens to an image stored in an enabled storage.

For ``photos/cat.jpg`` stored with thumbnails ``[256, 64]``, ``MAX_SIZE = 2048`` and WebP on:

========================== ===========================================================
``photos/cat-original.jpg`` the upload as it was (metadata cleaned losslessly), kept only
                            when ``cat.jpg`` itself was changed (resized or optimised)
``photos/cat.jpg``          the image, at most 2048 px, upright
``photos/cat-256.jpg``      thumbnails, named as Flask-FS named them
``photos/cat-64.jpg``
``photos/cat.jpg.webp``     a WebP of each of the above but the original (the
``photos/cat-256.jpg.webp`` ``$uri.webp`` convention web servers use to pick a WebP
``photos/cat-64.jpg.webp``  for browsers that accept it); ``.avif`` likewise
========================== ===========================================================

Variants are written straight through the storage's backend (no hooks run for them, no
upload signal is sent), so any backend works. The original is written first and the image
itself last, so a failure never loses the upload; after a failed save fs-core removes the
upload and runs :func:`delete_variants`, so nothing is left.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import mmap
import tempfile
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fs_core import streams
from fs_core.content_types import content_type_for
from fs_core.errors import FileExists, FileNotFound, InvalidFilename
from fs_core.naming import MAX_NAME_BYTES, MAX_SEGMENT_BYTES, validate_name

from . import metadata
from .errors import InvalidImage, ReservedName
from .metadata import GIVE_BACK, Parts, give_back
from .processing import (
    STRUCTURE_CHECKED,
    WHOLE_BYTES,
    Decoded,
    Output,
    Target,
    decode,
    encode_like,
    family,
    format_for,
    open_image,
    plan_scale,
    render,
    upright_size,
    verify,
)
from .settings import ImageSettings

if TYPE_CHECKING:  # pragma: no cover
    from fs_core import Storage

__all__ = [
    "Processed",
    "check_target",
    "check_upload",
    "delete_variants",
    "derived_files",
    "is_variant",
    "options",
    "original_name",
    "prepare_upload",
    "process",
    "thumbnail_name",
    "variant_names",
]

#: Extra suffixes of the WebP and AVIF variants, and their formats.
FORMAT_VARIANTS = {"webp": "WEBP", "avif": "AVIF"}
_VARIANT_NAMES = {"webp": "WebP", "avif": "AVIF"}
#: Files larger than this are spilled to a temporary file (and memory-mapped) while processed.
SPILL_SIZE = 32 << 20
#: ... and files of large images (decoded, more than :data:`~fs_images.processing.WHOLE_BYTES`)
#: larger than this: a file kept in memory stays there alongside the decoded image.
SPILL_LARGE = 8 << 20

_options: ContextVar[dict[str, Any] | None] = ContextVar("fs_images_options", default=None)


@contextlib.contextmanager
def options(*, bbox: Sequence[float] | None = None) -> Iterator[None]:
    """Options for the images saved inside the ``with`` block, in this thread or task.

    ``bbox``: the ``(left, upper, right, lower)`` region (of the upright image) that its
    thumbnails are cut from, as Flask-FS's ``ImageField.save(..., bbox=…)`` did::

        with fs_images.options(bbox=(10, 10, 210, 210)):
            avatars.save(upload, "me.jpg")
    """
    token = _options.set({"bbox": tuple(bbox) if bbox is not None else None})
    try:
        yield
    finally:
        _options.reset(token)


def current_bbox() -> tuple[float, ...] | None:
    """The ``bbox`` set by :func:`options`, if any."""
    opts = _options.get()
    return opts.get("bbox") if opts else None


# -- names ------------------------------------------------------------------------------------


def _split(name: str) -> tuple[str, str]:
    folder, _, base = name.rpartition("/")
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        stem, ext = base, ""
    return (f"{folder}/{stem}" if folder else stem), ext


def _suffixed(name: str, suffix: str) -> str:
    stem, ext = _split(name)
    return f"{stem}-{suffix}.{ext}" if ext else f"{stem}-{suffix}"


def original_name(name: str) -> str:
    """``a/cat.jpg`` → ``a/cat-original.jpg``."""
    return _suffixed(name, "original")


def thumbnail_name(name: str, size: int) -> str:
    """``a/cat.jpg``, 100 → ``a/cat-100.jpg``."""
    return _suffixed(name, str(int(size)))


def variant_names(name: str, settings: ImageSettings) -> list[str]:
    """Every name derived from ``name`` under ``settings``: original, thumbnails, and the
    WebP/AVIF variants of the image and its thumbnails (whether or not they are on now, so
    that turning them off and deleting still cleans up)."""
    images = [name, *(thumbnail_name(name, s) for s in settings.thumbnails)]
    names = [original_name(name), *images[1:]]
    names += [f"{image}.{ext}" for image in images for ext in FORMAT_VARIANTS]
    return names


def check_variant_names(filename: str, settings: ImageSettings, limit: int = MAX_NAME_BYTES) -> None:
    """Refuse, with :class:`~fs_core.errors.InvalidFilename`, an image name whose variants'
    names would be too long for the storage (``x-original.jpg``, ``x-256.jpg.webp``… add to
    the name; ``limit`` is the backend's ``max_name_bytes``, less than 1,024 bytes under an
    S3 or Swift key prefix): derived names are never shortened, since two long names could
    then share them."""
    overs = {name: over for name in variant_names(filename, settings) if (over := _over(name, limit))}
    if overs:
        longest = max(overs, key=overs.__getitem__)
        raise InvalidFilename(
            f"Image name {filename!r} is too long for its variants: the name of "
            f"{_role(longest, filename, settings)} would be {overs[longest]} bytes over the "
            f"limit; shorten the name by at least {overs[longest]} bytes"
        )


def _over(name: str, limit: int = MAX_NAME_BYTES) -> int:
    """How many bytes ``name`` is over what a storage with ``limit`` takes (at least 1 for a
    name refused for another reason), or 0 if it is a name the storage can hold."""
    try:
        validate_name(name)
    except InvalidFilename:
        pass
    else:
        if len(name.encode("utf-8")) <= limit:
            return 0
    return max(
        1,
        len(name.encode("utf-8")) - limit,
        len(name.rpartition("/")[2].encode("utf-8")) - MAX_SEGMENT_BYTES,
    )


def is_variant(name: str, names: set[str] | frozenset[str]) -> bool:
    """Whether ``name`` looks derived from another of ``names``: ``x-original.jpg``,
    ``x-<digits>.jpg`` next to ``x.jpg``, or ``x.jpg.webp``/``.avif`` next to ``x.jpg``."""
    base, dot, ext = name.rpartition(".")
    if dot and ext.lower() in FORMAT_VARIANTS and base in names:
        return True
    stem, ext = _split(name)
    head, dash, suffix = stem.rpartition("-")
    if not dash or not head or not (suffix == "original" or suffix.isdigit()):
        return False
    return (f"{head}.{ext}" if ext else head) in names


def _variant_sources(name: str, settings: ImageSettings) -> list[str]:
    """The images ``name`` would be a variant of (see :func:`variant_names`): ``x.jpg`` for
    ``x-64.jpg``, ``x-original.jpg``, ``x.jpg.webp`` or ``x-64.jpg.webp``, and ``x-64.jpg``
    for ``x-64.jpg.webp`` (an image of its own may have that name too)."""
    candidates = []
    stems = [name]
    base, dot, ext = name.rpartition(".")
    if dot and base and ext.lower() in FORMAT_VARIANTS:
        candidates.append(base)
        stems.append(base)
    for stem_name in stems:
        stem, ext = _split(stem_name)
        head, dash, suffix = stem.rpartition("-")
        if dash and head and not head.endswith("/") and (suffix == "original" or suffix.isdigit()):
            candidates.append(f"{head}.{ext}" if ext else head)
    return [
        source
        for source in dict.fromkeys(candidates)
        if source != name and format_for(source) is not None and name in variant_names(source, settings)
    ]


def derived_files(names: AbstractSet[str], settings: ImageSettings) -> dict[str, list[str]]:
    """Of ``names`` (the files of a storage), the variants the pipeline makes under
    ``settings``, each mapped to the images it could have been made from (``x.jpg`` for
    ``x-64.jpg``; ``x-64.jpg`` or ``x.jpg`` for ``x-64.jpg.webp``): what ``flask fs orphans``
    asks fs-images through fs-core's ``derived_files`` hook.

    Names are judged by the current settings (a thumbnail size no longer configured is not
    recognised, so never reported). A name shaped like a variant that has thumbnails of its
    own (``x-64.jpg`` with ``x-64-64.jpg`` beside it) is an image uploaded under that name,
    processed as one, and is left out: variants are never processed themselves.
    """
    found = {}
    for name in names:
        sources = _variant_sources(name, settings)
        if not sources:
            continue
        if any(thumbnail_name(name, size) in names for size in settings.thumbnails):
            continue
        found[name] = sources
    return found


def _role(name: str, image: str, settings: ImageSettings) -> str:
    """What ``name`` is to ``image``: ``"its -original"``, ``"its 64 px thumbnail"``…"""
    if name == original_name(image):
        return "its -original"
    for size in settings.thumbnails:
        if name == thumbnail_name(image, size):
            return f"its {size} px thumbnail"
    derived, _, ext = name.rpartition(".")
    what = "its" if derived == image else f"the {derived!r} thumbnail's"
    return f"{what} {_VARIANT_NAMES.get(ext.lower(), ext)} variant"


def check_target(storage: Storage, filename: str, replace: bool, settings: ImageSettings) -> None:
    """Refuse to store a new file as ``filename`` where names would collide (fs-core's
    ``check_target`` hook; ``filename`` is the whole name in the storage):

    - a name that is a variant of a stored image (``x-64.jpg``, ``x-original.jpg``,
      ``x.jpg.webp`` while ``x.jpg`` exists), since processing ``x.jpg`` again would replace
      it and deleting ``x.jpg`` would delete it: :class:`~fs_core.errors.FileExists` for a
      new file (so ``ON_CONFLICT = 'rename'`` picks another name),
      :class:`~fs_images.errors.ReservedName` for a replacing one;
    - a new image (a free name, or ``replace`` where nothing is stored yet) one of whose
      variant names is taken by another file: :class:`~fs_core.errors.FileExists`, which
      makes ``ON_CONFLICT = 'rename'`` try the next name. Replacing a stored image replaces
      its own variants, as before.

    A few ``exists`` calls: one for each image ``filename`` could be a variant of, and one
    for each of a new image's :func:`variant_names`."""
    backend = storage.backend
    for image in _variant_sources(filename, settings):
        if backend.exists(image):
            message = (
                f"{filename!r} is the name of {_role(filename, image, settings)} of the image "
                f"{image!r} in storage {storage.name!r}: processing that image writes it, and "
                f"deleting the image deletes it; choose another name"
            )
            if not replace:  # taken, in effect: ON_CONFLICT = 'rename' picks another name
                raise FileExists(filename, message=message)
            raise ReservedName(message)
    if format_for(filename) is None:
        return
    check_variant_names(filename, settings, backend.max_name_bytes)
    if replace and backend.exists(filename):
        return  # an image replaced: its own variants are replaced with it
    for name in variant_names(filename, settings):
        if backend.exists(name):
            raise FileExists(
                name,
                message=f"{name!r} exists in storage {storage.name!r}, and it is the name of "
                f"{_role(name, filename, settings)} a new image {filename!r} would get: store "
                f"the image under another name",
            )


# -- checking uploads ------------------------------------------------------------------------


def check_upload(file: Any, filename: str, settings: ImageSettings) -> None:
    """Refuse ``file`` before it is stored if it is not a sound image (see
    :func:`~fs_images.processing.open_image`); the stream is put back where it was.

    Streams that cannot seek, or are not at their start, are checked after storing instead
    (a refusal there removes the file again)."""
    if format_for(filename) is None:
        return
    try:
        stream = streams.as_stream(file)
    except TypeError:
        return
    try:
        seekable = getattr(stream, "seekable", None)  # SpooledTemporaryFile has none before 3.11
        if (seekable is not None and not seekable()) or stream.tell() != 0:
            return
    except (AttributeError, OSError, ValueError):
        return
    try:
        image = open_image(
            stream,
            filename,
            max_pixels=settings.max_pixels,
            max_frames=settings.max_frames,
            animation=settings.animation,
            read_metadata=False,
            max_metadata=settings.max_metadata,
        )
        image.close()
        stream.seek(0)
        verify(stream, filename)
    finally:
        stream.seek(0)


# -- cleaning uploads before they are stored ----------------------------------------------------

#: An upload cleaned before storing is held in memory up to this size, in a temporary file
#: (memory-mapped) beyond.
PREPARE_SPOOL = 8 << 20
#: Formats whose metadata is removed before they are stored (GIF and BMP carry no EXIF).
_CLEANED = frozenset({"JPEG", "PNG", "WEBP", "TIFF", "AVIF"})
#: The SHA-256 of the last upload :func:`prepare_upload` re-encoded in this context (a TIFF):
#: processing it after it is stored need not re-encode it again.
_reencoded: ContextVar[str | None] = ContextVar("fs_images_reencoded", default=None)


def prepare_upload(file: Any, filename: str, settings: ImageSettings) -> Any:
    """What to store instead of the upload ``file`` (fs-core's ``prepare_upload`` hook): the
    image with its metadata removed per ``settings`` (see :mod:`fs_images.metadata`), so that
    the raw upload, with a photo's GPS position, is never stored: not even while it is
    processed, nor if the process dies then. ``None`` where there is nothing to clean (not an
    image, a GIF or BMP, ``KEEP_EXIF`` and ``KEEP_GPS``).

    JPEG, PNG and WebP are cleaned losslessly (the ICC profile and the orientation kept), as
    pieces of the upload, which is held in memory up to :data:`PREPARE_SPOOL` and in a
    temporary file beyond; TIFF, and AVIF with EXIF, are re-encoded as processing would do
    (TIFF losslessly). The upload is checked as it is opened (limits, format): a bad one is
    refused here, before anything is stored. Returns a seekable stream that closes what it
    holds when it is closed."""
    if format_for(filename) not in _CLEANED or (settings.keep_exif and settings.keep_gps):
        return None
    upload = _Upload(streams.as_stream(file))
    try:
        return _clean_upload(upload, filename, settings)
    except BaseException:
        upload.close()
        raise


class _Upload:
    """An upload read to its end: ``data`` is ``bytes`` up to :data:`PREPARE_SPOOL`, else the
    memory map of a temporary file holding it."""

    def __init__(self, stream: Any) -> None:
        self._file: Any = None
        self._map: mmap.mmap | None = None
        head = _read_up_to(stream, PREPARE_SPOOL + 1)
        if len(head) <= PREPARE_SPOOL:
            self.data: Any = head
            return
        self._file = tempfile.TemporaryFile(prefix="fs-images-")  # noqa: SIM115 - closed by close()
        try:
            self._file.write(head)
            del head
            streams.copy_stream(stream, self._file.write)
            self._file.flush()
            self._map = self.data = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except BaseException:
            self._file.close()
            raise

    def close(self) -> None:
        self.data = b""
        if self._map is not None:
            with contextlib.suppress(BufferError):  # views still held: unmapped when they go
                self._map.close()
            self._map = None
        if self._file is not None:
            self._file.close()
            self._file = None


def _read_up_to(stream: Any, size: int) -> bytes:
    """Up to ``size`` bytes of ``stream``, fewer only at its end (a raw stream's ``read`` may
    return less)."""
    chunks = []
    left = size
    while left > 0:
        chunk = stream.read(min(left, streams.CHUNK_SIZE))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _clean_upload(upload: _Upload, filename: str, settings: ImageSettings) -> Any:
    image = open_image(
        _fp(upload.data),
        filename,
        max_pixels=settings.max_pixels,
        max_frames=settings.max_frames,
        animation=settings.animation,
        read_metadata=False,
        max_metadata=settings.max_metadata,
    )
    fmt = image.format or ""
    if metadata.needs_reencoding(fmt, image.info.get("exif")):
        try:
            return _reencode(image, filename, settings)
        finally:
            upload.close()
    image.close()
    try:
        parts = metadata.strip(upload.data, fmt, keep_exif=settings.keep_exif, keep_gps=settings.keep_gps)
    except ValueError as exc:
        raise InvalidImage(f"{filename!r} is a corrupt or truncated image: {exc}") from None
    finally:
        give_back(upload.data)
    return _PartsReader(parts if parts is not None else [upload.data], owner=upload)


def _reencode(image: Any, filename: str, settings: ImageSettings) -> Any:
    """``image`` (opened, closed here) re-encoded at full size, upright, in its own format,
    with the EXIF ``settings`` keep (the main image of :func:`process`, without resizing), in
    a temporary file (the encoded file is not held in memory next to the decoded image)."""
    fmt = image.format or ""
    size = upright_size(image)
    try:
        decoded = decode(
            image, animation=settings.animation, filename=filename, max_pixels=settings.max_pixels
        )
    finally:
        image.close()
    output = render(decoded, [Target("main", max(size), "fit")], background=settings.background, release=True)
    exif = metadata.clean_exif(decoded.exif, keep_exif=settings.keep_exif, keep_gps=settings.keep_gps)
    encoded = tempfile.TemporaryFile(prefix="fs-images-")  # noqa: SIM115 - the caller closes it
    try:
        encode_like(
            output["main"].frames, decoded, fmt, quality=settings.quality_for(fmt), exif=exif, into=encoded
        )
        del output, decoded
        encoded.seek(0)
        hasher = hashlib.sha256()
        streams.copy_stream(encoded, hasher.update)
        _reencoded.set(hasher.hexdigest())
        encoded.seek(0)
    except BaseException:
        encoded.close()
        raise
    return encoded


def _reencoded_here(data: Any) -> bool:
    """Whether ``data`` is the file :func:`prepare_upload` re-encoded in this context."""
    digest = _reencoded.get()
    if digest is None:
        return False
    _reencoded.set(None)
    hasher = hashlib.sha256()
    with memoryview(data) as view:
        for start in range(0, len(view), GIVE_BACK):
            hasher.update(view[start : start + GIVE_BACK])
            give_back(data)
    return hasher.hexdigest() == digest


# -- processing -------------------------------------------------------------------------------


@dataclass
class Processed:
    """What :func:`process` made of one image, for callers that record it (as Flask-FS's
    ``ImageField`` stored its ``original`` and ``thumbnails``)."""

    #: The image's name in the storage.
    name: str
    #: The name of its ``-original``, if one is kept (``None``: the image is the upload).
    original: str | None = None
    #: Thumbnail size in pixels → name.
    thumbnails: dict[int, str] = field(default_factory=dict)
    #: Every name written by this run, in order (the image itself last, if rewritten).
    written: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _buffer(storage: Storage, name: str) -> Iterator[Any]:
    """The whole file as a bytes-like object with ``find``: ``bytes`` in memory, or an
    ``mmap`` of a temporary file beyond :data:`SPILL_SIZE` (:data:`SPILL_LARGE` for a large
    image)."""
    with storage.open(name, "rb") as source:
        head = source.read(SPILL_SIZE + 1)
        if len(head) <= SPILL_SIZE and (len(head) <= SPILL_LARGE or not _large(head)):
            yield head
            return
        with tempfile.TemporaryFile(prefix="fs-images-") as spill:
            spill.write(head)
            del head
            streams.copy_stream(source, spill.write)
            spill.flush()
            mapped = mmap.mmap(spill.fileno(), 0, access=mmap.ACCESS_READ)
            try:
                yield mapped
            finally:
                try:
                    mapped.close()
                except BufferError:
                    # Views of it are still held (by the traceback of the error on its way
                    # out): it is unmapped when they go. Never hide that error behind this one.
                    pass


#: Frames of a GIF :func:`_large` counts at most (more: large).
_LARGE_FRAMES = 256


def _large(data: bytes) -> bool:
    """Whether the image in ``data`` decodes to more than WHOLE_BYTES (or may: a size its
    header does not give, a format not surveyed)."""
    found = metadata.survey(io.BytesIO(data), max_frames=_LARGE_FRAMES)
    if found is None or found.size is None or found.more:
        return True
    width, height = found.extent or found.size
    return (found.frames or 1) * width * height * 4 > WHOLE_BYTES


def _fp(data: Any) -> Any:
    if isinstance(data, mmap.mmap):
        # Buffered in C: Pillow reads in small pieces (64 KiB, a chunk header at a time).
        return io.BufferedReader(_MappedReader(data), buffer_size=1 << 20)
    return io.BytesIO(data)


class _MappedReader(io.RawIOBase):
    """A seekable stream over a memory map that gives its pages back as it reads (for Pillow
    to decode from; see :func:`~fs_images.metadata.give_back`)."""

    def __init__(self, mapped: mmap.mmap) -> None:
        self._map = mapped
        self._pos = 0
        self._since = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._map)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        with memoryview(buffer) as out, out.cast("B") as target, memoryview(self._map) as source:
            n = max(0, min(len(target), len(source) - self._pos))
            target[:n] = source[self._pos : self._pos + n]
        self._pos += n
        self._since += n
        if self._since >= GIVE_BACK:
            give_back(self._map)
            self._since = 0
        return n


class _PartsReader(io.RawIOBase):
    """:data:`~fs_images.metadata.Parts` read as one seekable stream: the pieces are copied into
    the reader's buffer as the backend reads, never joined into one ``bytes`` (the source of a
    large image is a memory map; joining it would bring the whole file into memory).
    ``owner`` (what the parts are views of) is closed with the reader."""

    def __init__(self, parts: Parts, owner: Any = None) -> None:
        self._parts = [memoryview(p).cast("B") for p in parts]
        self._starts = [0]
        for part in self._parts:
            self._starts.append(self._starts[-1] + len(part))
        self._index = 0
        self._offset = 0
        self._since = 0
        self._owner = owner

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._starts[min(self._index, len(self._parts))] + self._offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.tell(), io.SEEK_END: self._starts[-1]}[whence]
        position = min(max(0, base + offset), self._starts[-1])
        self._index = max(0, bisect.bisect_right(self._starts, position) - 1)
        self._offset = position - self._starts[self._index]
        return position

    def readinto(self, buffer: Any) -> int:
        out = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(out) and self._index < len(self._parts):
            part = self._parts[self._index]
            n = min(len(out) - filled, len(part) - self._offset)
            out[filled : filled + n] = part[self._offset : self._offset + n]
            filled += n
            self._offset += n
            if self._offset == len(part):
                self._index, self._offset = self._index + 1, 0
            self._since += n
            if self._since >= GIVE_BACK:  # pieces of a memory map: give its pages back
                give_back(part.obj)
                self._since = 0
        return filled

    def close(self) -> None:
        for part in self._parts:  # views of the source: let its memory map close
            part.release()
        self._parts = []
        if self._owner is not None:
            self._owner.close()
            self._owner = None
        super().close()


def _put(backend: Any, name: str, parts: Parts, written: list[str]) -> None:
    with _PartsReader(parts) as stream:
        backend.save(stream, name, overwrite=True, content_type=content_type_for(name))
    written.append(name)


def process(
    storage: Storage,
    filename: str,
    settings: ImageSettings,
    *,
    bbox: Sequence[float] | None = None,
    rerender: bool = False,
) -> Processed | None:
    """Make every variant of the stored image ``filename`` (see the module doc).

    ``rerender=True`` starts from ``-original`` when there is one (the image itself may
    have been resized under older settings) and leaves the original as it is. Returns
    ``None`` for a name that is not an image (``.svg``, ``.pdf``…). Raises
    :class:`~fs_images.errors.InvalidImage` for a file that is not a sound image.
    """
    fmt = format_for(filename)
    if fmt is None:
        return None
    backend = storage.backend
    check_variant_names(filename, settings, backend.max_name_bytes)
    result = Processed(filename)
    original = original_name(filename)
    from_original = rerender and backend.exists(original)
    source_name = original if from_original else filename
    with _buffer(storage, source_name) as data:
        _process(backend, data, source_name, filename, settings, bbox, from_original, result)
    if not from_original and result.original is None and not rerender:
        # A new upload over an old one must not leave the old original behind.
        backend.delete(original)
    elif from_original:
        result.original = original
    return result


def _process(
    backend: Any,
    data: Any,
    source_name: str,
    filename: str,
    settings: ImageSettings,
    bbox: Sequence[float] | None,
    from_original: bool,
    result: Processed,
) -> None:
    image = open_image(
        _fp(data),
        source_name,
        max_pixels=settings.max_pixels,
        max_frames=settings.max_frames,
        animation=settings.animation,
        max_metadata=settings.max_metadata,
    )
    fmt = image.format or ""
    size = upright_size(image)
    resize_main = settings.max_size is not None and max(size) > settings.max_size
    format_variants = [f for f, on in (("webp", settings.webp), ("avif", settings.avif)) if on]
    format_variants = [f for f in format_variants if FORMAT_VARIANTS[f] != family(fmt)]
    exif_raw = image.info.get("exif")
    keep_all = settings.keep_exif and settings.keep_gps
    reencode_meta = not keep_all and metadata.needs_reencoding(fmt, exif_raw) and not _reencoded_here(data)
    need_main = resize_main or settings.optimize or bool(format_variants) or reencode_meta

    mode, upscale = settings.thumbnail_mode, settings.upscale
    targets = [Target(str(s), s, mode, bbox, upscale) for s in settings.thumbnails]
    if need_main:
        main_size = settings.max_size if resize_main and settings.max_size is not None else max(size)
        targets.append(Target("main", int(main_size), "fit"))

    try:
        cleaned = metadata.strip(data, fmt, keep_exif=settings.keep_exif, keep_gps=settings.keep_gps)
    except ValueError as exc:
        image.close()
        raise InvalidImage(f"{source_name!r} is a corrupt or truncated image: {exc}") from None
    finally:
        give_back(data)  # what the walk through a JPEG's scan data touched
    source: Parts = cleaned if cleaned is not None else [data]

    outputs: dict[str, Output] = {}
    decoded: Decoded | None = None
    if targets:
        scale = plan_scale(targets, size)
        decoded = decode(
            image,
            scale=scale,
            animation=settings.animation,
            filename=source_name,
            max_pixels=settings.max_pixels,
        )
        image.close()  # the decoded frames hold the pixels now; render frees them when done
        outputs = render(decoded, targets, background=settings.background, release=True)
    elif family(fmt) in STRUCTURE_CHECKED:
        image.close()
        if isinstance(data, mmap.mmap):  # a JPEG is walked in place
            data.seek(0)
            verify(data, source_name)
            give_back(data)
        else:
            verify(io.BytesIO(data), source_name)
    else:  # a truncated GIF or BMP is only found by decoding it
        decode(image, animation=settings.animation, filename=source_name, max_pixels=settings.max_pixels)
        image.close()

    def enc(output: Output, out_format: str, optimize: bool) -> bytes:
        assert decoded is not None
        quality = settings.quality_for(out_format)
        exif = metadata.clean_exif(
            decoded.exif, keep_exif=settings.keep_exif, keep_gps=settings.keep_gps, orientation=None
        )
        return encode_like(output.frames, decoded, out_format, quality=quality, optimize=optimize, exif=exif)

    def enc_variant(output: Output, ext: str) -> bytes:
        return enc(output, FORMAT_VARIANTS[ext], settings.optimize)

    # The image itself.
    main: Parts | None = None
    replaced = False
    if resize_main or settings.optimize or reencode_meta:
        encoded = enc(outputs["main"], fmt, settings.optimize)
        main, replaced = [encoded], True
        if not resize_main and not reencode_meta and len(encoded) >= sum(map(len, source)):
            main, replaced = None, False  # optimising would not make it smaller
    if main is None and (cleaned is not None or from_original):
        main = source

    # 1. the original, before anything overwrites the upload.
    if replaced and settings.keep_original and not from_original and not reencode_meta:
        name = original_name(filename)
        _put(backend, name, source, result.written)
        result.original = name
    # 2. thumbnails and format variants.
    for size_px in settings.thumbnails:
        name = thumbnail_name(filename, size_px)
        output = outputs[str(size_px)]
        _put(backend, name, [enc(output, fmt, settings.optimize)], result.written)
        result.thumbnails[size_px] = name
        for ext in format_variants:
            _put(backend, f"{name}.{ext}", [enc_variant(output, ext)], result.written)
    for ext in format_variants:
        _put(backend, f"{filename}.{ext}", [enc_variant(outputs["main"], ext)], result.written)
    # 3. the image itself, last.
    if main is not None:
        _put(backend, filename, main, result.written)


def delete_variants(storage: Storage, filename: str, settings: ImageSettings) -> list[str]:
    """Delete what was derived from ``filename`` (after it was deleted); returns the names.

    Only names derived under the current settings are removed (see :func:`variant_names`),
    through the backend, so no hook runs again for them."""
    if format_for(filename) is None:
        return []
    backend = storage.backend
    limit = backend.max_name_bytes  # (names longer than it cannot exist)
    names = [name for name in variant_names(filename, settings) if not _over(name, limit)]
    for name in names:
        backend.delete(name)
    return names


def copy_variants(storage: Storage, source: str, target: str, settings: ImageSettings) -> list[str]:
    """Give ``target`` (just copied or moved from ``source``) the variants ``source`` has;
    returns the names written.

    Variants are copied as they are (through the backend, server-side where it can), so
    thumbnails cut from a ``bbox`` stay as they were. Variants the target had from a file it
    replaced are removed. Between formats (``a.jpg`` → ``b.png``) the target is processed
    anew instead, which refuses content that does not match its new name."""
    fmt = format_for(target)
    if fmt is None:
        return []
    if format_for(source) != fmt:
        delete_variants(storage, target, settings)
        processed = process(storage, target, settings, rerender=True)
        return processed.written if processed else []
    backend = storage.backend
    written = []
    for derived, counterpart in zip(
        variant_names(source, settings), variant_names(target, settings), strict=True
    ):
        try:
            backend.copy(derived, counterpart, overwrite=True)
        except FileNotFound:
            backend.delete(counterpart)
        else:
            written.append(counterpart)
    return written
