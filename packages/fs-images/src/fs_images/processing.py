"""Image work with Pillow: opening safely, one decode for every size, encoding.

Nothing here knows about storages; :mod:`fs_images.pipeline` uses it on stored files, and
the Flask-FS helpers at the bottom (:func:`make_thumbnail`, :func:`resize`,
:func:`optimize`, :func:`center_thumbnail`, :func:`crop_thumbnail`) use it on file objects.

How an image goes through (:func:`decode` and :func:`render`):

1. :func:`open_image` reads only the header: format (restricted to :data:`FORMATS`, so
   Pillow's riskier decoders such as EPS are never reached), size, frame count, and checks
   them against the pixel and frame limits *before* any pixel is decoded; the metadata of
   a PNG, JPEG or WebP is measured against its limit before Pillow reads any of it
   (:func:`~fs_images.metadata.survey`).
2. :func:`decode` decodes once, at the smallest scale that still serves the largest output:
   JPEG decodes at 1/2, 1/4 or 1/8 scale in libjpeg (``Image.draft``), which is where most
   of the time goes. It applies the EXIF orientation (``ImageOps.exif_transpose``) and brings
   every mode to one that resamples correctly (palette → RGB/RGBA, CMYK → RGB through its
   ICC profile, 16-bit → 8-bit). A frame over :data:`WHOLE_BYTES` is left as decoded
   instead, and those two steps are done to it band by band in the next one.
3. :func:`render` produces the outputs largest first; each is resampled from the smallest
   image already made that still covers it (the 1024 px thumbnail feeds the 256 px one),
   in one LANCZOS pass after a reduction by whole factors (Pillow's ``reducing_gap``, see
   :data:`_REDUCING_GAP`); from a large frame, a band of rows
   at a time (:func:`_resample_bands`). With ``release=True`` the decoded frames are let go
   as soon as no output still to make needs them: processing holds one decoded copy of
   the image plus bands and outputs, never two full-size copies (unless the output is
   itself full size and converted or turned).
4. :func:`encode` writes each output in the source's format, keeping the ICC profile, the
   frames and durations of an animation, and transparency; JPEG at an explicit quality.
"""

from __future__ import annotations

import io
import math
import mmap
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

from PIL import Image, ImageCms, ImageColor, ImageOps, UnidentifiedImageError
from PIL import __version__ as PILLOW_VERSION

from fs_core.files import extension

from .errors import ImageTooLarge, InvalidBBox, InvalidImage
from .metadata import MAX_JPEG_SCANS, Survey, jpeg_structure, needs_reencoding, png_structure, strip, survey
from .settings import ImageSettings, avif_supported

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "STRUCTURE_CHECKED",
    "Decoded",
    "Output",
    "Target",
    "center_thumbnail",
    "crop_thumbnail",
    "decode",
    "encode",
    "encode_like",
    "format_for",
    "frame_count",
    "make_thumbnail",
    "open_image",
    "optimize",
    "render",
    "resize",
    "upright_size",
    "validate_bbox",
]

#: File extensions processed, and the format their content must have.
EXTENSIONS: dict[str, str] = {
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "jpe": "JPEG",
    "jfif": "JPEG",
    "png": "PNG",
    "apng": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "bmp": "BMP",
    "tif": "TIFF",
    "tiff": "TIFF",
    "avif": "AVIF",
}
#: Formats Pillow may decode here (MPO is the multi-picture JPEG many cameras write).
FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
_FAMILY = {"MPO": "JPEG"}
#: Formats that can hold an alpha channel.
ALPHA_FORMATS = frozenset({"PNG", "GIF", "WEBP", "AVIF", "TIFF", "BMP"})
#: Formats that can hold several frames (an animation).
ANIMATED_FORMATS = frozenset({"GIF", "WEBP", "PNG", "AVIF"})
#: Full-size copies of a frame that Pillow holds while decoding these formats (libwebp's
#: canvas and previous canvas, the bytes handed over, the image; libavif's YUV and RGB
#: planes likewise): their pixels count this many times against the pixel limit, so that
#: the limit bounds memory alike for every format. One for the others.
DECODE_COPIES = {"WEBP": 4, "AVIF": 4}

_LANCZOS = Image.Resampling.LANCZOS
# Pillow's reducing_gap: an integer box reduction first, then LANCZOS over the last factor,
# between 1.4 and 2.8: the quality JPEG gets from its draft decode (a reduction by 2, 4 or 8
# in libjpeg, then LANCZOS over a last factor between 1 and 2), for the other formats. A 12 MP
# PNG's 1024 px crop: 38 ms against 87 ms for the gap of 3 (no reduction at that factor), and
# 47 dB PSNR against a plain LANCZOS resize (the JPEG draft path: 48.6 dB).
_REDUCING_GAP = 1.4
_EPS = 1e-6

Box = tuple[float, float, float, float]


def format_for(filename: str) -> str | None:
    """The image format a file of this name holds (``'JPEG'`` for ``x.jpg``), or ``None``
    for names that are not processed (``.svg``, ``.pdf``, no extension…). The extension is
    fs-core's (:func:`fs_core.files.extension`): ``v1.2/png`` and ``.png`` have none."""
    fmt = EXTENSIONS.get(extension(filename))
    if fmt == "AVIF" and not avif_supported():
        return None
    return fmt


def family(fmt: str) -> str:
    """The format an output of a ``fmt`` source is written in (MPO is written as JPEG)."""
    return _FAMILY.get(fmt, fmt)


def _formats() -> list[str]:
    # MPO files are opened by the JPEG opener, which returns an MPO image when it sees one.
    return [f for f in FORMATS if f != "MPO" and (f != "AVIF" or avif_supported())]


# -- opening ----------------------------------------------------------------------------


def open_image(
    fp: IO[bytes],
    filename: str | None = None,
    *,
    max_pixels: int | None = None,
    max_frames: int | None = None,
    animation: str = "keep",
    read_metadata: bool = True,
    max_metadata: int | None = None,
) -> Image.Image:
    """Open ``fp`` lazily (header only) and check it, raising :class:`InvalidImage`.

    Refused: what is not an image of :data:`FORMATS`; an image whose format is not the one
    its ``filename`` extension says (a PNG named ``.jpg``, an HTML page named ``.gif``);
    more than ``max_pixels`` pixels per frame or ``max_frames`` frames
    (:class:`ImageTooLarge`; the frames of an animation count together against
    ``max_pixels``, since each is decoded); an animation where ``animation='refuse'``;
    a PNG, JPEG, WebP, GIF or TIFF with more than ``max_metadata`` bytes of metadata
    (:class:`ImageTooLarge`), found by walking its structure before Pillow reads any of it
    (:func:`~fs_images.metadata.survey`). That walk also checks against ``max_pixels`` what
    only it sees: a WebP's canvas (Pillow allocates it as it opens the file), GIF frames that
    reach beyond the screen their header declares, the coefficients a progressive JPEG keeps
    while it is decoded and the strip or tile buffer of a compressed TIFF; and it refuses a
    JPEG of more than :data:`~fs_images.metadata.MAX_JPEG_SCANS` scans, a TIFF with more
    strips or tiles than its size needs or tiles far larger than the image.

    ``read_metadata`` also reads the EXIF now, which fails early on many broken files but,
    for a PNG, decodes the whole image (its EXIF may follow the pixels): the upload check
    leaves it off and relies on :func:`verify`.
    """
    expected = format_for(filename) if filename else None
    found = None
    if max_metadata is not None or max_pixels is not None:
        found = _survey(fp, filename, max_pixels, max_metadata, max_frames, animation)
    try:
        image = Image.open(_Unclosable(fp), formats=_formats())
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{_what(filename)} is too large to process: {exc}") from exc
    except UnidentifiedImageError:
        kind = f"a {expected} image" if expected else "an image"
        raise InvalidImage(
            f"{_what(filename)} is not {kind}: its content is no image format read here"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        kind = f"a {expected} image" if expected else "an image"
        raise InvalidImage(f"{_what(filename)} is not {kind} that can be read: {exc}") from None
    fmt = image.format or ""
    try:
        if read_metadata:
            image.getexif()  # reads the metadata chunks: a broken file often fails here
    except Exception as exc:
        image.close()
        raise InvalidImage(f"{_what(filename)} is a corrupt image: {exc}") from None
    if expected and family(fmt) != expected:
        image.close()
        raise InvalidImage(
            f"{_what(filename)} is named as a {expected} image but its content is {fmt}: "
            f"rename it with the extension of its real format"
        )
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise InvalidImage(f"{_what(filename)} has no pixels ({width}x{height})")
    copies = DECODE_COPIES.get(fmt, 1)
    if max_pixels is not None and copies * width * height > max_pixels:
        image.close()
        _too_many_pixels(filename, fmt, width, height, max_pixels)
    if found is not None and found.frames is not None and found.format == fmt:
        frames = found.frames  # counted by the walk, which stops past max_frames (Pillow's does not)
        more = found.more
    else:
        frames, more = frame_count(image), False
    try:
        _check_frames(filename, fmt, frames, more, (width, height), max_frames, max_pixels, animation)
    except InvalidImage:
        image.close()
        raise
    return image


def _check_frames(
    filename: str | None,
    fmt: str,
    frames: int,
    more: bool,
    size: tuple[int, int],
    max_frames: int | None,
    max_pixels: int | None,
    animation: str,
    declared: tuple[int, int] | None = None,
) -> None:
    """Refuse an animation per ``animation``, ``max_frames`` and ``max_pixels``: ``frames``
    frames (``more``: at least that many) on a canvas of ``size`` (``declared``: the smaller
    size its header gave, if the frames reach beyond it)."""
    if frames > 1 and animation == "refuse":
        count = f"at least {frames}" if more else f"{frames}"
        raise InvalidImage(
            f"{_what(filename)} is animated ({count} frames) and this storage refuses animations "
            f"(IMAGES_ANIMATION = 'refuse')"
        )
    if frames <= 1 or animation == "first":
        return
    if max_frames is not None and frames > max_frames:
        count = (
            f"more than the {max_frames} frames" if more else f"{frames} frames, more than the {max_frames}"
        )
        raise ImageTooLarge(
            f"{_what(filename)} has {count} this storage accepts: {_raise('MAX_FRAMES')}",
            limit=max_frames,
        )
    # Every frame of an animation is decoded: together they count against the limit.
    width, height = size
    copies = DECODE_COPIES.get(fmt, 1)
    counted = (frames + copies - 1) * width * height
    if max_pixels is not None and counted > max_pixels:
        beyond = ""
        if declared is not None and declared != size:
            beyond = f" (the image is {declared[0]}x{declared[1]}: its frames reach beyond it)"
        raise ImageTooLarge(
            f"{_what(filename)} has {frames} frames of {width}x{height}{beyond}, "
            f"{frames * width * height:,} pixels in all{_copies(fmt, counted)}, more than "
            f"the {max_pixels:,} this storage accepts: {_raise('MAX_PIXELS')} (processing "
            f"holds about 4 bytes a pixel)",
            limit=max_pixels,
        )


def _raise(key: str) -> str:
    return (
        f"raise IMAGES_{key} to accept it ({{NAME}}_FS_IMAGES_{key} for one storage, "
        f"FS_IMAGES_{key} for every storage)"
    )


def _copies(fmt: str, counted: int) -> str:
    copies = DECODE_COPIES.get(fmt, 1)
    if copies == 1:
        return ""
    return f" (decoding a {fmt} holds {copies} full-size copies: it counts as {counted:,})"


#: A decoder's own buffer (see :attr:`~fs_images.metadata.Survey.buffer`) up to this size is
#: part of the ~30 MiB processing holds besides the decoded image; beyond it, it counts
#: against the pixel limit at 4 bytes a pixel.
BUFFER_ALLOWANCE = 8 << 20


def _buffer_pixels(buffer: int) -> int:
    return -(-max(0, buffer - BUFFER_ALLOWANCE) // 4)


def _too_many_pixels(
    filename: str | None, fmt: str, width: int, height: int, max_pixels: int, buffer: int = 0, what: str = ""
) -> None:
    counted = DECODE_COPIES.get(fmt, 1) * width * height
    extra = ""
    if _buffer_pixels(buffer):
        more = _buffer_pixels(buffer)
        extra = (
            f", and decoding it holds {buffer:,} bytes more ({what}): beyond the first "
            f"{BUFFER_ALLOWANCE >> 20} MiB they count as {more:,} pixels, {counted + more:,} in all"
        )
    raise ImageTooLarge(
        f"{_what(filename)} is {width}x{height} = {width * height:,} pixels{_copies(fmt, counted)}"
        f"{extra}, more than the {max_pixels:,} this storage accepts: {_raise('MAX_PIXELS')} "
        f"(processing holds about 4 bytes a pixel)",
        limit=max_pixels,
    )


def _survey(
    fp: IO[bytes],
    filename: str | None,
    max_pixels: int | None,
    max_metadata: int | None,
    max_frames: int | None = None,
    animation: str = "keep",
) -> Survey | None:
    """The checks made before Pillow opens ``fp`` (see :func:`open_image`); what the walk found."""
    found = survey(fp, max_metadata, max_frames=max_frames)
    if found is None:
        return None
    if found.broken:
        raise InvalidImage(f"{_what(filename)} is a corrupt image: {found.broken}")
    if max_metadata is not None and found.metadata > max_metadata and found.largest:
        name, size = found.largest
        raise ImageTooLarge(
            f"{_what(filename)} carries at least {found.metadata:,} bytes of metadata (the largest "
            f"piece: a {name} of {size:,} bytes), more than the {max_metadata:,} this storage "
            f"accepts: {_raise('MAX_METADATA')}",
            limit=max_metadata,
        )
    if found.scans is not None and found.scans > MAX_JPEG_SCANS:
        raise ImageTooLarge(
            f"{_what(filename)} is a JPEG of more than {MAX_JPEG_SCANS} scans, each of which is "
            f"decoded over the whole image (encoders write about 10): re-save it as a baseline "
            f"or an ordinary progressive JPEG",
            limit=MAX_JPEG_SCANS,
        )
    if found.size:
        width, height = found.size
        fmt = found.format
        if max_pixels is not None:
            counted = DECODE_COPIES.get(fmt, 1) * width * height + _buffer_pixels(found.buffer)
            if counted > max_pixels:
                _too_many_pixels(filename, fmt, width, height, max_pixels, found.buffer, found.buffer_what)
        if found.frames is not None:
            _check_frames(
                filename,
                fmt,
                found.frames,
                found.more,
                found.extent or found.size,
                max_frames,
                max_pixels,
                animation,
                declared=found.size,
            )
    return found


def frame_count(image: Image.Image) -> int:
    """The frames of an animation (GIF, WebP, APNG, AVIF); 1 for everything else. The second
    image of an MPO (a camera's preview or depth map) or a TIFF's other pages are not frames:
    only the first image is processed."""
    if family(image.format or "") not in ANIMATED_FORMATS:
        return 1
    return getattr(image, "n_frames", 1) or 1


def _what(filename: str | None) -> str:
    return repr(filename) if filename else "The file"


class _Unclosable:
    """A view of a caller's stream that Pillow cannot close (PNG's ``verify`` closes it)."""

    def __init__(self, fp: IO[bytes] | mmap.mmap) -> None:
        self._fp = fp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)

    def close(self) -> None:
        pass


#: JPEG uploads up to this size have their structure checked before they are stored.
VERIFY_JPEG_BYTES = 64 << 20
#: Formats whose structure :func:`verify` checks without decoding. For the others (GIF, BMP,
#: TIFF, WebP, AVIF) Pillow has no such check: only decoding finds a truncated file.
STRUCTURE_CHECKED = frozenset({"JPEG", "PNG"})


def verify(fp: IO[bytes] | mmap.mmap, filename: str | None = None) -> None:
    """Check the file's structure without decoding pixels; :class:`InvalidImage` if broken.

    PNG: every chunk's CRC and the end chunk, read in blocks (Pillow's ``verify`` reads each
    chunk whole, twice over: a single IDAT chunk can be the whole file). JPEG: the segments are
    walked to the end-of-image marker, which finds a truncated upload in a few ms (decoding,
    even at 1/8 scale, costs a third of a thumbnail run), in place where the file already
    is an ``mmap`` or a file on disk (a large upload spooled by werkzeug); a JPEG stream in
    memory over :data:`VERIFY_JPEG_BYTES` is left to the decode after storing. Other
    formats: only what opening reads (see :data:`STRUCTURE_CHECKED`). The stream is put
    back where it was.
    """
    start = fp.tell()
    try:
        with Image.open(_Unclosable(fp), formats=_formats()) as image:
            fmt = family(image.format or "")
            if fmt == "JPEG":
                _check_jpeg(fp, start)
            elif fmt == "PNG":
                fp.seek(start)
                png_structure(fp)
            else:
                image.verify()
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{_what(filename)} is too large to process: {exc}") from exc
    except Exception as exc:
        raise InvalidImage(f"{_what(filename)} is a corrupt or truncated image: {exc}") from None
    finally:
        fp.seek(start)


def _check_jpeg(fp: IO[bytes] | mmap.mmap, start: int) -> None:
    if isinstance(fp, mmap.mmap):
        jpeg_structure(fp)
        return
    mapped = _map_file(fp) if start == 0 else None
    if mapped is not None:
        with mapped:
            jpeg_structure(mapped)
        return
    if isinstance(fp, io.BytesIO) and start == 0:
        with fp.getbuffer() as view:  # the upload's own bytes, not a copy
            if len(view) <= VERIFY_JPEG_BYTES:
                jpeg_structure(view)
        return
    fp.seek(start)
    data = fp.read(VERIFY_JPEG_BYTES + 1)
    if len(data) <= VERIFY_JPEG_BYTES:
        jpeg_structure(data)


def _map_file(fp: Any) -> mmap.mmap | None:
    """A read-only map of the file on disk behind ``fp``, or ``None`` for a stream in memory."""
    if isinstance(fp, tempfile.SpooledTemporaryFile) and not getattr(fp, "_rolled", False):
        return None  # still in memory: its fileno() would write it to disk
    try:
        return mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ)
    except (AttributeError, OSError, ValueError):  # no file descriptor, empty, not mappable
        return None


# -- geometry -----------------------------------------------------------------------------


def validate_bbox(bbox: Sequence[float] | None, size: tuple[int, int]) -> Box | None:
    """``bbox`` as a float ``(left, upper, right, lower)`` box inside an image of ``size``
    (upright, as displayed), or ``None``. Raises :class:`InvalidBBox` otherwise (Flask-FS
    cropped whatever it was given, and stretched non-square boxes)."""
    if bbox is None:
        return None
    try:
        left, upper, right, lower = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InvalidBBox(f"bbox must be (left, upper, right, lower), not {bbox!r}") from None
    width, height = size
    if not (left < right and upper < lower):
        raise InvalidBBox(f"bbox {tuple(bbox)!r} is empty: it needs left < right and upper < lower")
    if left < 0 or upper < 0 or right > width or lower > height:
        raise InvalidBBox(f"bbox {tuple(bbox)!r} is not inside the {width}x{height} image")
    return (left, upper, right, lower)


@dataclass(frozen=True)
class Target:
    """One output: fit in (``fit``), fill (``crop``) or be centred in (``pad``) a
    ``size`` x ``size`` square, taken from ``bbox`` or the whole image."""

    key: str
    size: int
    mode: str = "fit"
    bbox: Sequence[float] | None = None
    upscale: bool = False


@dataclass
class _Plan:
    target: Target
    region: Box  # full-resolution, upright coordinates
    out: tuple[int, int]  # size of the resampled content
    canvas: tuple[int, int] | None  # pad: size of the square it is centred in

    @property
    def scale(self) -> float:
        return self.out[0] / (self.region[2] - self.region[0])


def _plan(target: Target, size: tuple[int, int]) -> _Plan:
    width, height = size
    region = validate_bbox(target.bbox, size) or (0.0, 0.0, float(width), float(height))
    rw, rh = region[2] - region[0], region[3] - region[1]
    if target.mode == "crop":
        side = min(rw, rh)
        cx, cy = (region[0] + region[2]) / 2, (region[1] + region[3]) / 2
        region = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
        out_side = target.size if target.upscale else min(target.size, max(1, round(side)))
        return _Plan(target, region, (out_side, out_side), None)
    scale = min(target.size / rw, target.size / rh)
    if not target.upscale:
        scale = min(scale, 1.0)
    out = (max(1, round(rw * scale)), max(1, round(rh * scale)))
    canvas = (target.size, target.size) if target.mode == "pad" else None
    return _Plan(target, region, out, canvas)


# -- decoding -------------------------------------------------------------------------------

#: A decoded frame larger than this, counted in the mode it is processed in (4 bytes a pixel
#: for RGB and RGBA), is not converted, turned upright or resampled as a whole: every output
#: is made from it band by band (see :class:`Pending`), so processing holds the decoded frame,
#: a few bands and the outputs, never a second full-size copy. Smaller frames are prepared
#: whole, which is simpler and no slower; their copies are bounded by this size.
WHOLE_BYTES = 64 << 20
#: How much of a large frame one band holds, at least (in the mode it is processed in).
BAND_BYTES = 2 << 20

#: The EXIF orientations and the transposition that turns each upright (as Pillow's
#: ``ImageOps.exif_transpose`` does).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_PREMULTIPLIED = {"LA": "La", "RGBA": "RGBa"}
# Pillow before 13 resamples LA and RGBA images without the reduction of reducing_gap (its
# resize drops the argument for them): bands do as the installed Pillow does.
_GAP_WITH_ALPHA = int(PILLOW_VERSION.split(".")[0]) >= 13
# Pillow's LANCZOS support, in source pixels at a scale of 1.
_LANCZOS_SUPPORT = 3.0


@dataclass
class Pending:
    """What is still to be done to a frame too large to prepare whole (:data:`WHOLE_BYTES`).

    The frame is kept as the file holds it; :func:`render` applies this to each band it
    reads from it, and turns each band of an output upright as it is made.
    """

    #: Brings (a piece of) the frame to :attr:`mode`; ``None``: it is in that mode already.
    convert: Callable[[Image.Image], Image.Image] | None
    #: The mode the frame is processed in: L, LA, RGB or RGBA.
    mode: str
    #: The EXIF orientation still to apply (1: the frame is upright).
    orientation: int = 1


@dataclass
class Decoded:
    """The frames of one image, decoded once, upright and in a mode that resamples well.

    ``size`` is the full-resolution upright size; the frames may be smaller when the
    decoder shrank on load (``scale`` = decoded / full). A frame with a :class:`Pending`
    entry in ``pending`` is still as the file holds it (too large to copy, see
    :data:`WHOLE_BYTES`): :func:`render` handles both kinds.
    """

    format: str
    size: tuple[int, int]
    scale: float
    frames: list[Image.Image]
    durations: list[int] = field(default_factory=list)
    loop: int | None = None
    icc_profile: bytes | None = None
    exif: bytes | None = None
    has_alpha: bool = False
    #: Per frame, what is still to be done to it (``None``, or an empty list: nothing).
    pending: list[Pending | None] = field(default_factory=list)

    @property
    def animated(self) -> bool:
        return len(self.durations) > 1


def upright_size(image: Image.Image) -> tuple[int, int]:
    """The size of ``image`` as displayed, once its EXIF orientation is applied."""
    width, height = image.size
    if _orientation(image) >= 5:
        return height, width
    return width, height


def _orientation(image: Image.Image) -> int:
    value = image.getexif().get(0x0112)
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _converter(mode: str) -> Callable[[Image.Image], Image.Image]:
    return lambda image: image.convert(mode)


def _normalizer(image: Image.Image, icc: bytes | None) -> tuple[Any, str, bytes | None]:
    """How to bring ``image`` to a mode Pillow resamples correctly: ``(convert, mode, icc)``.

    ``convert`` works alike on the whole image or on any piece of it (``None``: nothing to
    do); ``icc`` is the profile that goes with its result."""
    mode = image.mode
    transparent = "transparency" in image.info
    if mode == "CMYK":
        if icc:
            try:
                srgb = ImageCms.createProfile("sRGB")
                source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                transform = ImageCms.buildTransform(source, srgb, "CMYK", "RGB")
                transform.apply(image.crop((0, 0, 1, 1)))  # a profile that cannot convert fails here
                return transform.apply, "RGB", ImageCms.ImageCmsProfile(srgb).tobytes()
            except (ImageCms.PyCMSError, OSError, ValueError):
                pass
        return _converter("RGB"), "RGB", None  # a CMYK profile must not travel with RGB pixels
    if mode in ("P", "PA"):
        target = "RGBA" if transparent or mode == "PA" else "RGB"
        return _converter(target), target, icc
    if mode == "1":
        return _converter("L"), "L", icc
    if mode in ("L", "RGB") and transparent:
        target = "LA" if mode == "L" else "RGBA"
        return _converter(target), target, icc
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16/32-bit grey: scale to 8 bits rather than clip everything above 255 to white.
        if mode == "F":
            return _converter("L"), "L", icc
        extrema = cast("tuple[float, float]", image.getextrema())  # (min, max): one band
        peak = 65535 if mode.startswith("I;16") or (extrema[1] or 0) > 255 else 255
        return (lambda im: im.convert("I").point(lambda v: v * (255 / peak)).convert("L")), "L", icc
    if mode in ("La", "RGBa"):
        return _converter(mode.upper()), mode.upper(), icc
    if mode not in ("L", "LA", "RGB", "RGBA"):
        target = "RGBA" if "A" in mode else "RGB"
        return _converter(target), target, icc
    return None, mode, icc


def _normalize(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """``image`` in a mode Pillow resamples correctly, and the ICC profile that goes with it."""
    convert, _, out_icc = _normalizer(image, icc)
    return (convert(image) if convert else image), out_icc


def _needed_scale(plans: Sequence[_Plan]) -> float:
    return max((p.scale for p in plans), default=1.0)


def decode(
    image: Image.Image,
    *,
    scale: float = 1.0,
    animation: str = "keep",
    filename: str | None = None,
    max_pixels: int | None = None,
) -> Decoded:
    """Decode ``image`` (from :func:`open_image`) once, at no less than ``scale`` of its full
    size, upright, with every frame of an animation unless ``animation='first'``.
    :class:`InvalidImage` (naming ``filename``) if the pixel data is corrupt or truncated.

    For a JPEG a ``scale`` below 1 lets libjpeg decode at 1/2, 1/4 or 1/8 size
    (``Image.draft``): the single biggest saving when only smaller images are needed.
    A frame over :data:`WHOLE_BYTES` is left as decoded, with a :class:`Pending` entry
    saying what :func:`render` still has to do to it. The pixels are shared with ``image``:
    close it once decoded so that they go with the :class:`Decoded`.

    ``max_pixels``: checked again as each frame is reached (:class:`ImageTooLarge`), before it
    is decoded: Pillow grows a GIF to a frame that reaches beyond it, and :func:`open_image`
    counts frames and their reach on the file's structure.
    """
    fmt = image.format or ""
    size = upright_size(image)
    orientation = 1
    exif = image.info.get("exif")
    icc = image.info.get("icc_profile")
    if scale < 1.0 and family(fmt) == "JPEG":
        width, height = image.size
        wanted = (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale)))
        image.draft(image.mode, wanted)
    frames: list[Image.Image] = []
    pending: list[Pending | None] = []
    modes: list[str] = []
    durations: list[int] = []
    n_frames = 1 if animation == "first" else frame_count(image)
    copies = DECODE_COPIES.get(fmt, 1)
    out_icc = icc
    try:
        for index in range(n_frames):
            if index:
                image.seek(index)
                width, height = image.size
                if max_pixels is not None and (n_frames + copies - 1) * width * height > max_pixels:
                    # A frame grew the image (GIF) past what was counted before decoding.
                    raise ImageTooLarge(
                        f"{_what(filename)} has {n_frames} frames and its frame {index + 1} makes it "
                        f"{width}x{height}: {(n_frames + copies - 1) * width * height:,} pixels in "
                        f"all, more than the {max_pixels:,} this storage accepts: "
                        f"{_raise('MAX_PIXELS')}",
                        limit=max_pixels,
                    )
            image.load()
            if not index:  # read once loaded, as Pillow turns some TIFFs upright itself
                orientation = _orientation(image)
            # Pillow composites each frame of an animation onto the previous ones: a copy
            # of each is a full picture (the last needs none: nothing is composited on it).
            frame = image if index == n_frames - 1 else image.copy()
            convert, mode, out_icc = _normalizer(frame, icc)
            if frame.width * frame.height * 4 > WHOLE_BYTES:
                pending.append(Pending(convert, mode, orientation))
                transparency = frame.info.get("transparency")
            else:
                pending.append(None)
                ImageOps.exif_transpose(frame, in_place=True)
                if convert is not None:
                    frame = convert(frame)
                transparency = None
            if frame is image:
                # A plain Image on the same pixels (no copy): savers must not pick up the
                # file's own tags or EXIF (Pillow's TIFF writer does, from the ImageFile).
                frame = image._new(image.im)
            # What is still to convert needs its transparent colour; nothing else goes along.
            frame.info = {} if transparency is None else {"transparency": transparency}
            frames.append(frame)
            modes.append(mode)
            durations.append(int(image.info.get("duration", 0) or 0))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{_what(filename)} is too large to process: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImage(f"{_what(filename)} is a corrupt or truncated image: {exc}") from None
    loop = image.info.get("loop")
    has_alpha = any(mode in ("LA", "RGBA") for mode in modes)
    if len(set(modes)) > 1:  # an animation whose frames differ: one mode for all
        target = "RGBA" if has_alpha else "RGB"
        for index, (frame, todo) in enumerate(zip(frames, pending, strict=True)):
            if todo is None and frame.mode != target:
                frames[index] = frame.convert(target)  # one at a time: never two lists of frames
            elif todo is not None and todo.mode != target:
                pending[index] = Pending(_then(todo.convert, target), target, todo.orientation)
    decoded_w = frames[0].size[1 if pending[0] is not None and orientation >= 5 else 0]
    return Decoded(
        format=fmt,
        size=size,
        scale=decoded_w / size[0],
        frames=frames,
        durations=durations,
        loop=loop,
        icc_profile=out_icc,
        exif=exif,
        has_alpha=has_alpha,
        pending=pending if any(p is not None for p in pending) else [],
    )


def _then(
    convert: Callable[[Image.Image], Image.Image] | None, mode: str
) -> Callable[[Image.Image], Image.Image]:
    if convert is None:
        return _converter(mode)
    return lambda image: convert(image).convert(mode)


def _turn(box: Box, orientation: int, size: tuple[int, int]) -> Box:
    """``box`` of an image of ``size``, in the coordinates of that image once turned upright
    by the EXIF ``orientation`` (:data:`_TRANSPOSE`)."""
    width, height = size
    left, upper, right, lower = box
    if orientation == 2:
        return (width - right, upper, width - left, lower)
    if orientation == 3:
        return (width - right, height - lower, width - left, height - upper)
    if orientation == 4:
        return (left, height - lower, right, height - upper)
    if orientation == 5:
        return (upper, left, lower, right)
    if orientation == 6:
        return (height - lower, left, height - upper, right)
    if orientation == 7:
        return (height - lower, width - right, height - upper, width - left)
    if orientation == 8:
        return (upper, width - right, lower, width - left)
    return box


def _unturn(box: Box, orientation: int, size: tuple[int, int]) -> Box:
    """The inverse of :func:`_turn`: ``box`` of the upright image of ``size``, in the
    coordinates of the image as stored."""
    return _turn(box, {6: 8, 8: 6}.get(orientation, orientation), size)


def _resample_bands(frame: Image.Image, todo: Pending, out: tuple[int, int], box: Box) -> Image.Image:
    """``box`` (upright coordinates) of a large ``frame`` still in its file's mode and
    orientation, resampled to ``out`` as ``Image.resize(out, LANCZOS, box, reducing_gap)``
    does on the converted upright frame, a band of upright rows at a time.

    A band is cut out of the frame (rows of it, or columns where the frame is turned a
    quarter), turned upright, converted (and premultiplied by its alpha, as Pillow does to
    resample), reduced by whole factors on the grid Pillow uses (each reduced row is made
    once, from a few source rows at a time), resampled and put in its place. Memory: the
    output and a few bands of :data:`BAND_BYTES`. The result is Pillow's up to rounding
    (Pillow picks the order of its two passes by the size of the box)."""
    orientation = todo.orientation
    width, height = frame.size
    upright = (height, width) if orientation >= 5 else (width, height)
    mode = todo.mode
    work = _PREMULTIPLIED.get(mode, mode)
    whole = out == upright and box == (0.0, 0.0, float(upright[0]), float(upright[1]))
    if whole and todo.convert is None and orientation == 1:
        return frame  # nothing to do: the frame is the output
    copy = todo.convert is not None or work != mode or orientation != 1  # bands must be cut out

    def cut(strip: tuple[int, int, int, int], premultiply: bool = True) -> Image.Image:
        """Rows of the upright frame, in the mode they are resampled in."""
        left, top, right, bottom = (round(v) for v in _unturn(strip, orientation, upright))
        band = frame.crop((left, top, right, bottom))
        if orientation != 1:
            band = band.transpose(_TRANSPOSE[orientation])
        if todo.convert is not None:
            band = todo.convert(band)
        return band.convert(work) if premultiply and work != mode else band

    result = Image.new(mode, out)
    if whole:  # only converted or turned
        rows = max(1, BAND_BYTES // (upright[0] * 4))
        for top in range(0, out[1], rows):
            result.paste(cut((0, top, upright[0], min(out[1], top + rows)), premultiply=False), (0, top))
        return result

    # Pillow's reducing_gap: first a reduction by whole factors of the box and the filter's
    # reach around it (its grid starts at that area's corner), then LANCZOS.
    fx = int((box[2] - box[0]) / out[0] / _REDUCING_GAP) or 1
    fy = int((box[3] - box[1]) / out[1] / _REDUCING_GAP) or 1
    if work != mode and not _GAP_WITH_ALPHA:
        fx = fy = 1
    reduce = fx > 1 or fy > 1
    if reduce:
        reach_x = (_LANCZOS_SUPPORT - 0.5) * (box[2] - box[0]) / out[0]
        reach_y = (_LANCZOS_SUPPORT - 0.5) * (box[3] - box[1]) / out[1]
        area = (
            max(0, int(box[0] - reach_x)),
            max(0, int(box[1] - reach_y)),
            min(upright[0], math.ceil(box[2] + reach_x)),
            min(upright[1], math.ceil(box[3] + reach_y)),
        )
    else:
        # Only the columns the filter reaches (the frame's own edges are kept where it
        # reaches them: Pillow clips the filter there).
        reach_x = _LANCZOS_SUPPORT * max(1.0, (box[2] - box[0]) / out[0]) + 2
        area = (max(0, int(box[0] - reach_x)), 0, min(upright[0], math.ceil(box[2] + reach_x)), upright[1])
    inner = (
        (box[0] - area[0]) / fx,
        (box[1] - area[1]) / fy,
        (box[2] - area[0]) / fx,
        (box[3] - area[1]) / fy,
    )
    area_width = area[2] - area[0]
    available = -(-(area[3] - area[1]) // fy)  # rows to resample from (of the reduced area)
    reduced_width = -(-area_width // fx)
    made: list[Any] = [0, None]  # the reduced rows made last: [first row, image]

    def reduced(lo: int, hi: int) -> Image.Image:
        """Rows ``lo`` to ``hi`` of the reduced area, reusing those the last band made."""
        band = Image.new(work, (reduced_width, hi - lo))
        start = lo
        first, last = made
        if last is not None and first <= lo < first + last.height:
            start = min(hi, first + last.height)
            band.paste(last.crop((0, lo - first, reduced_width, start - first)), (0, 0))
        per_cut = max(1, BAND_BYTES // max(1, area_width * 4 * fy))
        for row in range(start, hi, per_cut):
            end = min(area[3], area[1] + min(hi, row + per_cut) * fy)
            strip = (area[0], area[1] + row * fy, area[2], end)
            piece = cut(strip).reduce((fx, fy)) if copy else frame.reduce((fx, fy), box=strip)
            band.paste(piece, (0, row - lo))
        made[:] = [lo, band]
        return band

    scale = (inner[3] - inner[1]) / out[1]
    reach = _LANCZOS_SUPPORT * max(1.0, scale)
    # Rows per band: BAND_BYTES' worth of what a band holds (reduced rows, rows cut out, or
    # Pillow's horizontal pass over the frame's rows), and several times the rows bands share
    # (eight, or four where the filter reaches so far that bands would pass 4 x BAND_BYTES).
    row_bytes = max(1, (reduced_width if reduce else (area_width if copy else out[0])) * 4)
    band_rows = max(BAND_BYTES // row_bytes, int(8 * reach))
    if band_rows * row_bytes > 4 * BAND_BYTES:
        band_rows = max(BAND_BYTES // row_bytes, int(4 * reach))
    step = max(1, int(band_rows / scale))
    for top in range(0, out[1], step):
        bottom = min(top + step, out[1])
        lo = max(0, int(inner[1] + (top + 0.5) * scale - reach) - 1)  # the rows this band needs
        hi = min(available, math.ceil(inner[1] + (bottom - 0.5) * scale + reach) + 1)
        if reduce:
            band, shift = reduced(lo, hi), (0.0, float(lo))
        elif copy:
            band, shift = cut((area[0], lo, area[2], hi)), (0.0, float(lo))
        else:  # resampled straight from the frame: nothing to copy
            band, shift = frame, (float(-area[0]), 0.0)
        y0 = inner[1] + top * scale - shift[1]
        y1 = (inner[3] if bottom == out[1] else inner[1] + bottom * scale) - shift[1]
        piece = band.resize(
            (out[0], bottom - top),
            _LANCZOS,
            box=(inner[0] - shift[0], max(0.0, y0), inner[2] - shift[0], min(float(band.size[1]), y1)),
        )
        del band
        if work != mode:
            piece = piece.convert(mode)
        result.paste(piece, (0, top))
    return result


# -- rendering -------------------------------------------------------------------------------


@dataclass
class Output:
    """One rendered output: its frames, and how large it is relative to the source."""

    target: Target
    frames: list[Image.Image]
    scale: float


def _background(color: str, mode: str, transparent: bool) -> Any:
    if transparent:
        return (0, 0) if mode == "LA" else (0, 0, 0, 0)
    rgb = ImageColor.getrgb(color)
    if mode in ("L", "LA"):
        grey = ImageColor.getcolor(color, "L")
        return (grey, 255) if mode == "LA" else grey
    return (*rgb[:3], 255) if mode == "RGBA" else rgb[:3]


@dataclass(eq=False)  # compared by identity (Image's == compares pixels)
class _Source:
    image: Image.Image
    region: Box  # full-resolution, upright coordinates
    scale: float
    todo: Pending | None = None
    decoded: bool = False  # one of the decoded frames (not an output)


def _pick(sources: list[_Source], plan: _Plan) -> _Source:
    """The smallest source that covers ``plan``'s region at a sufficient scale."""
    best = None
    for source in sources:
        region = source.region
        covers = (
            region[0] <= plan.region[0] + _EPS
            and region[1] <= plan.region[1] + _EPS
            and region[2] >= plan.region[2] - _EPS
            and region[3] >= plan.region[3] - _EPS
        )
        if not covers or source.scale < plan.scale - _EPS:
            continue
        # Among equals, an image already prepared rather than a frame still to convert.
        if best is None or (source.scale, source.todo is not None) < (best.scale, best.todo is not None):
            best = source
    if best is None:  # an upscale: take the largest
        best = max(sources, key=lambda s: s.scale)
    return best


def _render_frame(
    sources: list[_Source], plan: _Plan, background: str, out_format: str
) -> tuple[Image.Image, Image.Image]:
    """(content, final) for one frame: ``content`` is reusable as a cascade source."""
    source = _pick(sources, plan)
    image, region, todo = source.image, source.region, source.todo
    width, height = image.size
    if todo is not None and todo.orientation >= 5:
        width, height = height, width  # upright
    # A scale for each axis: the height of an image made to a width was rounded.
    sx, sy = width / (region[2] - region[0]), height / (region[3] - region[1])
    box = (
        max(0.0, (plan.region[0] - region[0]) * sx),
        max(0.0, (plan.region[1] - region[1]) * sy),
        min(float(width), (plan.region[2] - region[0]) * sx),
        min(float(height), (plan.region[3] - region[1]) * sy),
    )
    if todo is None and image.width * image.height * 4 > WHOLE_BYTES:
        todo = Pending(None, image.mode)  # a large output as a source: resampled in bands too
    if todo is not None:
        content = _resample_bands(image, todo, plan.out, box)
    elif box == (0.0, 0.0, float(image.size[0]), float(image.size[1])) and plan.out == image.size:
        content = image
    else:
        content = image.resize(plan.out, _LANCZOS, box=box, reducing_gap=_REDUCING_GAP)
    if plan.canvas is None:
        return content, content
    mode = content.mode
    transparent = out_format in ALPHA_FORMATS
    if transparent and mode in ("L", "RGB"):
        mode = mode + "A"
    canvas = Image.new(mode, plan.canvas, _background(background, mode, transparent))
    offset = ((plan.canvas[0] - plan.out[0]) // 2, (plan.canvas[1] - plan.out[1]) // 2)
    canvas.paste(content, offset, content if content.mode in ("LA", "RGBA") else None)
    return content, canvas


def plan_scale(targets: Sequence[Target], size: tuple[int, int]) -> float:
    """The smallest decode scale that serves every target (1.0 if one needs full size)."""
    return min(1.0, _needed_scale([_plan(t, size) for t in targets]))


def render(
    decoded: Decoded,
    targets: Sequence[Target],
    *,
    background: str = "#ffffff",
    release: bool = False,
) -> dict[str, Output]:
    """Every target from one decode, largest first, each from the smallest image already
    made that covers its region at a sufficient scale (see the module doc).

    ``release=True`` lets go of the decoded frames as soon as no output still to make needs
    them (``decoded.frames`` is emptied): for a caller that only wants the outputs, so that
    the full-size frames are freed before the smaller outputs are made and encoded."""
    plans = sorted((_plan(t, decoded.size) for t in targets), key=lambda p: -p.scale)
    out_format = family(decoded.format)
    full = (0.0, 0.0, float(decoded.size[0]), float(decoded.size[1]))
    todos = decoded.pending or [None] * len(decoded.frames)
    per_frame_sources = [
        [_Source(frame, full, decoded.scale, todo, decoded=True)]
        for frame, todo in zip(decoded.frames, todos, strict=True)
    ]
    if release:
        decoded.frames, decoded.pending = [], []
    results: dict[str, Output] = {}
    for index, plan in enumerate(plans):
        frames = []
        for sources in per_frame_sources:
            content, final = _render_frame(sources, plan, background, out_format)
            if all(content is not s.image for s in sources):
                scale = content.size[0] / (plan.region[2] - plan.region[0])
                sources.append(_Source(content, plan.region, scale))
            frames.append(final)
            first = sources[0]
            needed = not release or any(_pick(sources, later) is first for later in plans[index + 1 :])
            if first.decoded and not needed:
                del sources[0]  # the decoded frame: no output still to make needs it
            del first
        results[plan.target.key] = Output(plan.target, frames, plan.scale)
    return results


# -- encoding --------------------------------------------------------------------------------


def encode(
    frames: Sequence[Image.Image],
    fmt: str,
    *,
    quality: int = 85,
    optimize: bool = False,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    durations: Sequence[int] = (),
    loop: int | None = None,
    into: IO[bytes] | None = None,
) -> bytes:
    """Encode ``frames`` (one, or an animation) as ``fmt``; returns the file's bytes (``b""``
    if written ``into`` a file instead).

    JPEG at ``quality`` (``optimize`` adds optimised Huffman tables and progressive scans,
    about 10 % smaller for several times the CPU); PNG at zlib level 6 (9 with
    ``optimize``); WebP/AVIF at ``quality`` (WebP method 6 with ``optimize``). The ICC
    profile and ``exif`` (already cleaned) are written where the format holds them.
    """
    fmt = family(fmt.upper())
    first = frames[0]
    params: dict[str, Any] = {}
    if icc_profile and fmt in ("JPEG", "PNG", "WEBP", "AVIF", "TIFF"):
        params["icc_profile"] = icc_profile
    if exif and fmt in ("JPEG", "PNG", "WEBP", "AVIF", "TIFF"):
        params["exif"] = exif
    if fmt == "JPEG":
        params.update(quality=quality, optimize=optimize, progressive=optimize)
        if first.mode not in ("L", "RGB", "CMYK"):
            frames = [_flatten(f) for f in frames]
    elif fmt == "PNG":
        if optimize:
            params.update(optimize=True)
        else:
            params.update(compress_level=6, compress_type=png_strategy(first))
    elif fmt == "WEBP":
        params.update(quality=quality, method=6 if optimize else 4)
    elif fmt == "AVIF":
        params.update(quality=quality)
    elif fmt == "GIF":
        params.update(optimize=optimize)
    elif fmt == "TIFF":
        params.update(compression="tiff_lzw")
    elif fmt == "BMP" and first.mode == "LA":
        frames = [f.convert("RGBA") for f in frames]
    if len(frames) > 1 and fmt in ANIMATED_FORMATS:
        params.update(save_all=True, append_images=list(frames[1:]))
        if durations:
            params["duration"] = list(durations)
        if loop is not None:  # a GIF without a loop count plays once: keep it so
            params["loop"] = loop
        if fmt == "GIF":
            params["disposal"] = 2
    if into is not None:
        frames[0].save(into, fmt, **params)
        return b""
    out = io.BytesIO()
    frames[0].save(out, fmt, **params)
    return out.getvalue()


#: zlib's strategies (``compress_type`` of Pillow's PNG writer).
Z_DEFAULT_STRATEGY, Z_RLE = 0, 3
#: PNG outputs of this many pixels or more get their zlib strategy chosen on a sample.
PNG_SAMPLED = 256 * 256
_PNG_SAMPLE_ROWS = 32


def png_strategy(image: Image.Image) -> int:
    """The zlib strategy for a PNG of ``image``: ``Z_RLE`` where it compresses as well as the
    default one, which it does for photographs, some three times faster (zlib's default
    strategy searches for matches a photograph's noise almost never has: a 12 MP photo's
    1024 px thumbnail took 294 ms at level 6, 86 ms with ``Z_RLE``, 0.3 % smaller). Text and
    flat graphics keep the default (``Z_RLE`` made a screenshot of text three times larger).
    Told apart on a band of rows from the middle, encoded both ways (a few ms)."""
    width, height = image.size
    if width * height < PNG_SAMPLED or image.mode not in ("L", "LA", "RGB", "RGBA", "I;16"):
        return Z_DEFAULT_STRATEGY
    top = max(0, height // 2 - _PNG_SAMPLE_ROWS // 2)
    band = image.crop((0, top, width, min(height, top + _PNG_SAMPLE_ROWS)))
    sizes = []
    for strategy in (Z_DEFAULT_STRATEGY, Z_RLE):
        out = io.BytesIO()
        band.save(out, "PNG", compress_level=6, compress_type=strategy)
        sizes.append(out.tell())
    return Z_RLE if sizes[1] <= sizes[0] * 1.02 else Z_DEFAULT_STRATEGY


def encode_like(
    frames: Sequence[Image.Image],
    decoded: Decoded,
    fmt: str | None = None,
    *,
    quality: int,
    optimize: bool = False,
    exif: bytes | None = None,
    into: IO[bytes] | None = None,
) -> bytes:
    """:func:`encode` ``frames`` rendered from ``decoded``, with its ICC profile and timing,
    in ``fmt`` (the source's format by default)."""
    return encode(
        frames,
        fmt or decoded.format,
        quality=quality,
        optimize=optimize,
        icc_profile=decoded.icc_profile,
        exif=exif,
        durations=decoded.durations,
        loop=decoded.loop,
        into=into,
    )


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("LA", "RGBA"):
        base = Image.new("RGB", image.size, (255, 255, 255))
        base.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return base
    return image.convert("RGB")


# -- the Flask-FS helpers ----------------------------------------------------------------------


def _load(file: Any) -> tuple[bytes, Image.Image]:
    if isinstance(file, Image.Image):
        out = io.BytesIO()
        fmt = file.format or ("PNG" if "A" in file.mode or file.mode == "P" else "JPEG")
        file.save(out, fmt)
        data = out.getvalue()
    else:
        stream = getattr(file, "stream", file)  # a werkzeug FileStorage
        data = bytes(stream) if isinstance(stream, (bytes, bytearray)) else stream.read()
    return data, open_image(io.BytesIO(data))


def _one(
    file: Any,
    target: Target,
    *,
    quality: int,
    optimize_output: bool = False,
    background: str = "#ffffff",
) -> io.BytesIO:
    _, image = _load(file)
    size = upright_size(image)
    decoded = decode(image, scale=plan_scale([target], size))
    output = render(decoded, [target], background=background)[target.key]
    return io.BytesIO(encode_like(output.frames, decoded, quality=quality, optimize=optimize_output))


def make_thumbnail(
    file: Any,
    size: int,
    bbox: Sequence[float] | None = None,
    *,
    mode: str = "crop",
    upscale: bool = False,
    quality: int = ImageSettings.quality,
    background: str = "#ffffff",
) -> io.BytesIO:
    """A square ``size`` x ``size`` thumbnail of ``file``, as a ``BytesIO`` positioned at 0.

    Flask-FS's function, fixed: the thumbnail keeps the source's format (a JPEG stays a
    JPEG, at ``quality``; a PNG keeps its transparency; an animated GIF its frames), the
    EXIF orientation is applied, the ICC profile kept, and nothing is enlarged unless
    ``upscale`` (a 50 px image gives a 50 px thumbnail). ``bbox`` = ``(left, upper, right,
    lower)`` in the upright image, validated; a non-square box is cropped (``mode='crop'``,
    centred) or padded (``'pad'``), never stretched. ``mode='fit'`` keeps the aspect ratio
    inside the square. EXIF and other metadata are not copied.
    """
    return _one(
        file,
        Target("thumbnail", int(size), mode, bbox, upscale),
        quality=quality,
        background=background,
    )


def center_thumbnail(file: Any, size: int, *, quality: int = ImageSettings.quality) -> io.BytesIO:
    """The whole image centred in a ``size`` square (Flask-FS's ``center_thumbnail``): padded
    with transparency where the format has it, else white; never enlarged."""
    return make_thumbnail(file, size, mode="pad", quality=quality)


def crop_thumbnail(file: Any, size: int, *, quality: int = ImageSettings.quality) -> io.BytesIO:
    """The centred square of the image, scaled down to ``size``: a thumbnail with no border."""
    return make_thumbnail(file, size, mode="crop", quality=quality)


def _as_is(data: bytes, image: Image.Image) -> bytes | None:
    """``data`` without its metadata but for the orientation, cleaned losslessly (the
    pipeline's rules, :mod:`fs_images.metadata`); ``None`` where only re-encoding can clean
    it (TIFF, AVIF with EXIF)."""
    fmt = family(image.format or "")
    if needs_reencoding(fmt, image.info.get("exif")):
        return None
    parts = strip(data, fmt, keep_exif=False, keep_gps=False)
    return data if parts is None else b"".join(parts)


def resize(
    file: Any, size: int, *, upscale: bool = False, quality: int = ImageSettings.quality
) -> io.BytesIO:
    """``file`` scaled to fit in a ``size`` square, keeping its aspect ratio and format.

    Unlike Flask-FS, an image that already fits is not re-encoded (at a lossy quality of
    75): it is returned as it is, its metadata removed losslessly (EXIF, GPS; the
    orientation stays, so it still displays upright).
    """
    data, image = _load(file)
    width, height = upright_size(image)
    if max(width, height) <= size and not (upscale and max(width, height) < size):
        kept = _as_is(data, image)
        if kept is not None:
            return io.BytesIO(kept)
    return _one(io.BytesIO(data), Target("resized", int(size), "fit", None, upscale), quality=quality)


def optimize(file: Any, *, quality: int = ImageSettings.quality) -> io.BytesIO:
    """``file`` re-encoded to be smaller (JPEG at ``quality`` with optimised Huffman tables
    and progressive scans, PNG at zlib level 9, WebP method 6), upright, without EXIF.

    If that is not smaller than the file, the file itself is returned, its metadata removed
    losslessly as :func:`resize` does: optimising never makes a file bigger or costs
    quality for nothing, and never hands back a GPS position.
    """
    data, image = _load(file)
    decoded = decode(image)
    encoded = encode_like(decoded.frames, decoded, quality=quality, optimize=True)
    kept = _as_is(data, image)
    return io.BytesIO(kept if kept is not None and len(kept) <= len(encoded) else encoded)
