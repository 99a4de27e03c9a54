"""Image work with Pillow: opening safely, one decode for every size, encoding.

Nothing here knows about storages; :mod:`fs_images.pipeline` uses it on stored files, and
the Flask-FS helpers at the bottom (:func:`make_thumbnail`, :func:`resize`,
:func:`optimize`, :func:`center_thumbnail`, :func:`crop_thumbnail`) use it on file objects.

How an image goes through (:func:`decode` and :func:`render`):

1. :func:`open_image` reads only the header: format (restricted to :data:`FORMATS`, so
   Pillow's riskier decoders such as EPS are never reached), size, frame count, and checks
   them against the pixel and frame limits *before* any pixel is decoded.
2. :func:`decode` decodes once, at the smallest scale that still serves the largest output:
   JPEG decodes at 1/2, 1/4 or 1/8 scale in libjpeg (``Image.draft``), which is where most
   of the time goes. It applies the EXIF orientation (``ImageOps.exif_transpose``) and brings
   every mode to one that resamples correctly (palette → RGB/RGBA, CMYK → RGB through its
   ICC profile, 16-bit → 8-bit).
3. :func:`render` produces the outputs largest first; each is resampled from the smallest
   image already made that still covers it (the 1024 px thumbnail feeds the 256 px one),
   in one LANCZOS pass with Pillow's ``reducing_gap``.
4. :func:`encode` writes each output in the source's format, keeping the ICC profile, the
   frames and durations of an animation, and transparency; JPEG at an explicit quality.
"""

from __future__ import annotations

import io
import math
import mmap
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from PIL import Image, ImageCms, ImageColor, ImageOps, UnidentifiedImageError

from fs_core.files import extension

from .errors import ImageTooLarge, InvalidBBox, InvalidImage
from .metadata import jpeg_structure, needs_reencoding, strip
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

_LANCZOS = Image.Resampling.LANCZOS
# Pillow's reducing_gap: an integer box reduction first, then LANCZOS over the last factor
# of 3; Pillow documents the result as indistinguishable from a plain LANCZOS resize.
_REDUCING_GAP = 3.0
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
) -> Image.Image:
    """Open ``fp`` lazily (header only) and check it, raising :class:`InvalidImage`.

    Refused: what is not an image of :data:`FORMATS`; an image whose format is not the one
    its ``filename`` extension says (a PNG named ``.jpg``, an HTML page named ``.gif``);
    more than ``max_pixels`` pixels per frame or ``max_frames`` frames
    (:class:`ImageTooLarge`; the frames of an animation count together against
    ``max_pixels``, since each is decoded); an animation where ``animation='refuse'``.

    ``read_metadata`` also reads the EXIF now, which fails early on many broken files but,
    for a PNG, decodes the whole image (its EXIF may follow the pixels): the upload check
    leaves it off and relies on :func:`verify`.
    """
    expected = format_for(filename) if filename else None
    try:
        image = Image.open(_Unclosable(fp), formats=_formats())  # type: ignore[arg-type]
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{_what(filename)} is too large to process: {exc}") from exc
    except UnidentifiedImageError:
        kind = f"a {expected} image" if expected else "an image"
        raise InvalidImage(
            f"{_what(filename)} is not {kind}: its content is no image format read here"
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:
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
    if max_pixels is not None and width * height > max_pixels:
        image.close()
        raise ImageTooLarge(
            f"{_what(filename)} is {width}x{height} = {width * height:,} pixels, more than the "
            f"{max_pixels:,} this storage accepts (IMAGES_MAX_PIXELS)",
            limit=max_pixels,
        )
    frames = frame_count(image)
    if frames > 1 and animation == "refuse":
        image.close()
        raise InvalidImage(
            f"{_what(filename)} is animated ({frames} frames) and this storage refuses animations "
            f"(IMAGES_ANIMATION = 'refuse')"
        )
    if frames > 1 and animation != "first":
        if max_frames is not None and frames > max_frames:
            image.close()
            raise ImageTooLarge(
                f"{_what(filename)} has {frames} frames, more than the {max_frames} this storage "
                f"accepts (IMAGES_MAX_FRAMES)",
                limit=max_frames,
            )
        # Every frame of an animation is decoded: together they count against the limit.
        if max_pixels is not None and frames * width * height > max_pixels:
            image.close()
            raise ImageTooLarge(
                f"{_what(filename)} has {frames} frames of {width}x{height}, "
                f"{frames * width * height:,} pixels in all, more than the {max_pixels:,} this "
                f"storage accepts (IMAGES_MAX_PIXELS)",
                limit=max_pixels,
            )
    return image


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

    def __init__(self, fp: IO[bytes]) -> None:
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


def verify(fp: IO[bytes], filename: str | None = None) -> None:
    """Check the file's structure without decoding pixels; :class:`InvalidImage` if broken.

    PNG: every chunk's CRC and the end chunk (Pillow's ``verify``). JPEG: the segments are
    walked to the end-of-image marker, which finds a truncated upload in a few ms (decoding,
    even at 1/8 scale, costs a third of a thumbnail run), in place where the file already
    is an ``mmap`` or a file on disk (a large upload spooled by werkzeug); a JPEG stream in
    memory over :data:`VERIFY_JPEG_BYTES` is left to the decode after storing. Other
    formats: only what opening reads (see :data:`STRUCTURE_CHECKED`). The stream is put
    back where it was.
    """
    start = fp.tell()
    try:
        with Image.open(_Unclosable(fp), formats=_formats()) as image:  # type: ignore[arg-type]
            if family(image.format or "") == "JPEG":
                _check_jpeg(fp, start)
            else:
                image.verify()
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{_what(filename)} is too large to process: {exc}") from exc
    except Exception as exc:
        raise InvalidImage(f"{_what(filename)} is a corrupt or truncated image: {exc}") from None
    finally:
        fp.seek(start)


def _check_jpeg(fp: IO[bytes], start: int) -> None:
    if isinstance(fp, mmap.mmap):
        jpeg_structure(fp)
        return
    mapped = _map_file(fp) if start == 0 else None
    if mapped is not None:
        with mapped:
            jpeg_structure(mapped)
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


@dataclass
class Decoded:
    """The frames of one image, decoded once, upright and in a mode that resamples well.

    ``size`` is the full-resolution upright size; ``frames[i].size`` may be smaller when
    the decoder shrank on load (``scale`` = decoded / full).
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

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1


def upright_size(image: Image.Image) -> tuple[int, int]:
    """The size of ``image`` as displayed, once its EXIF orientation is applied."""
    width, height = image.size
    if image.getexif().get(0x0112) in (5, 6, 7, 8):
        return height, width
    return width, height


def _normalize(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """A mode Pillow resamples correctly, and the ICC profile that goes with it."""
    mode = image.mode
    transparent = "transparency" in image.info
    if mode == "CMYK":
        if icc:
            try:
                source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                srgb = ImageCms.createProfile("sRGB")
                converted = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
                if converted is not None:
                    return converted, ImageCms.ImageCmsProfile(srgb).tobytes()
            except (ImageCms.PyCMSError, OSError, ValueError):
                pass
        return image.convert("RGB"), None  # a CMYK profile must not travel with RGB pixels
    if mode in ("P", "PA"):
        return image.convert("RGBA" if transparent or mode == "PA" else "RGB"), icc
    if mode == "1":
        return image.convert("L"), icc
    if mode in ("L", "RGB") and transparent:
        return image.convert("LA" if mode == "L" else "RGBA"), icc
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16/32-bit grey: scale to 8 bits rather than clip everything above 255 to white.
        if mode == "F":
            return image.convert("L"), icc
        peak = 65535 if mode.startswith("I;16") or (image.getextrema()[1] or 0) > 255 else 255
        return image.convert("I").point(lambda v: v * (255 / peak)).convert("L"), icc
    if mode in ("La", "RGBa"):
        return image.convert(mode.upper()), icc
    if mode not in ("L", "LA", "RGB", "RGBA"):
        return image.convert("RGBA" if "A" in mode else "RGB"), icc
    return image, icc


def _needed_scale(plans: Sequence[_Plan]) -> float:
    return max((p.scale for p in plans), default=1.0)


def decode(
    image: Image.Image,
    *,
    scale: float = 1.0,
    animation: str = "keep",
    filename: str | None = None,
) -> Decoded:
    """Decode ``image`` (from :func:`open_image`) once, at no less than ``scale`` of its full
    size, upright, with every frame of an animation unless ``animation='first'``.
    :class:`InvalidImage` (naming ``filename``) if the pixel data is corrupt or truncated.

    For a JPEG a ``scale`` below 1 lets libjpeg decode at 1/2, 1/4 or 1/8 size
    (``Image.draft``): the single biggest saving when only smaller images are needed.
    """
    fmt = image.format or ""
    size = upright_size(image)
    exif = image.info.get("exif")
    icc = image.info.get("icc_profile")
    if scale < 1.0 and family(fmt) == "JPEG":
        width, height = image.size
        wanted = (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale)))
        image.draft(image.mode, wanted)
    frames: list[Image.Image] = []
    durations: list[int] = []
    n_frames = frame_count(image)
    if animation == "first":
        n_frames = 1
    has_alpha = False
    out_icc = icc
    try:
        for index in range(n_frames):
            if index:
                image.seek(index)
            image.load()
            # Pillow composites each frame of an animation onto the previous ones: a copy
            # of each is a full picture.
            frame = image if n_frames == 1 else image.copy()
            ImageOps.exif_transpose(frame, in_place=True)
            frame, out_icc = _normalize(frame, icc)
            if frame is image:
                # A plain Image on the same pixels (no copy): savers must not pick up the
                # file's own tags or EXIF (Pillow's TIFF writer does, from the ImageFile).
                frame = image._new(image.im)
            frame.info = {}
            has_alpha = has_alpha or frame.mode in ("LA", "RGBA")
            frames.append(frame)
            durations.append(int(image.info.get("duration", 0) or 0))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{_what(filename)} is too large to process: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImage(f"{_what(filename)} is a corrupt or truncated image: {exc}") from None
    loop = image.info.get("loop")
    if len(frames) > 1 and any(f.mode != frames[0].mode for f in frames):
        target = "RGBA" if has_alpha else "RGB"
        frames = [f.convert(target) for f in frames]
    decoded_w = frames[0].size[0]
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
    )


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


def _render_frame(
    sources: list[tuple[Image.Image, Box, float]], plan: _Plan, background: str, out_format: str
) -> tuple[Image.Image, Image.Image]:
    """(content, final) for one frame: ``content`` is reusable as a cascade source."""
    best = None
    for image, region, scale in sources:
        covers = (
            region[0] <= plan.region[0] + _EPS
            and region[1] <= plan.region[1] + _EPS
            and region[2] >= plan.region[2] - _EPS
            and region[3] >= plan.region[3] - _EPS
        )
        if covers and scale >= plan.scale - _EPS and (best is None or scale < best[2]):
            best = (image, region, scale)
    if best is None:  # an upscale: take the largest
        best = max(sources, key=lambda s: s[2])
    image, region, scale = best
    box = (
        (plan.region[0] - region[0]) * scale,
        (plan.region[1] - region[1]) * scale,
        (plan.region[2] - region[0]) * scale,
        (plan.region[3] - region[1]) * scale,
    )
    whole = box == (0.0, 0.0, float(image.size[0]), float(image.size[1]))
    if whole and plan.out == image.size:
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


def render(decoded: Decoded, targets: Sequence[Target], *, background: str = "#ffffff") -> dict[str, Output]:
    """Every target from one decode, largest first, each from the smallest image already
    made that covers its region at a sufficient scale (see the module doc)."""
    plans = sorted((_plan(t, decoded.size) for t in targets), key=lambda p: -p.scale)
    out_format = family(decoded.format)
    full = (0.0, 0.0, float(decoded.size[0]), float(decoded.size[1]))
    per_frame_sources = [[(frame, full, decoded.scale)] for frame in decoded.frames]
    results: dict[str, Output] = {}
    for plan in plans:
        frames = []
        for sources in per_frame_sources:
            content, final = _render_frame(sources, plan, background, out_format)
            if content is not sources[0][0]:
                sources.append((content, plan.region, content.size[0] / (plan.region[2] - plan.region[0])))
            frames.append(final)
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
) -> bytes:
    """Encode ``frames`` (one, or an animation) as ``fmt``; returns the file's bytes.

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
        params.update(optimize=optimize) if optimize else params.update(compress_level=6)
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
    out = io.BytesIO()
    frames[0].save(out, fmt, **params)
    return out.getvalue()


def encode_like(
    frames: Sequence[Image.Image],
    decoded: Decoded,
    fmt: str | None = None,
    *,
    quality: int,
    optimize: bool = False,
    exif: bytes | None = None,
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
