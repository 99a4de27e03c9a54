"""Metadata: what EXIF an output carries, and stripping it from a file without re-encoding.

Photos carry EXIF (camera, date, serial numbers and, from phones, the GPS position), XMP
(which can repeat the GPS position), IPTC and comments. A storage that serves uploads
publicly should not publish where a photo was taken, so by default only pixels, the ICC
colour profile and the orientation survive:

* ``keep_exif=False`` (default): EXIF, XMP, IPTC, comments and text chunks are removed. An
  image stored *without re-encoding* keeps a minimal EXIF holding only its ``Orientation``,
  so it still displays upright; re-encoded images are turned upright and need none.
* ``keep_exif=True``: EXIF is kept without its GPS block; XMP (which may repeat the position)
  is dropped. Comments and text chunks are kept.
* ``keep_exif=True, keep_gps=True``: everything is kept.

JPEG, PNG and WebP files are cleaned losslessly by rewriting their segments or chunks:
the compressed image data is copied as it is, so cleaning a JPEG never costs quality.
Data after the end of the image (trailers, MPO secondary images, appended payloads) is
dropped too. A cleaned file is returned as its :data:`Parts`, mostly slices of the source,
so that a large file is written out without a second copy of it in memory.
"""

from __future__ import annotations

import contextlib
import mmap
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from PIL import Image

__all__ = [
    "GPS_IFD",
    "ORIENTATION",
    "Parts",
    "Survey",
    "clean_exif",
    "give_back",
    "jpeg_structure",
    "needs_reencoding",
    "png_structure",
    "strip",
    "strip_jpeg",
    "strip_png",
    "strip_webp",
    "survey",
]

#: EXIF tags used here.
ORIENTATION = 0x0112
GPS_IFD = 0x8825

#: A file as the bytes-like pieces it is made of, in order (``b"".join(parts)`` is the file):
#: ``memoryview`` slices of the source (no copy) and the few segments written anew.
Parts = list[Any]

#: While a memory-mapped file is walked, its pages are given back after this many bytes.
GIVE_BACK = 8 << 20
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


def give_back(data: Any) -> None:
    """Drop the pages of ``data``, if it is a memory map, from this process's resident memory
    (not the data: touched again, they are read again from the file). Walking or reading a
    large file through its map would otherwise keep all of it resident (the kernel maps the
    pages around each one touched), next to the decoded image."""
    if _DONTNEED is not None and isinstance(data, mmap.mmap):
        with contextlib.suppress(OSError, ValueError):
            data.madvise(_DONTNEED)


_EXIF_HEADER = b"Exif\x00\x00"
_XMP_HEADERS = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")


def _load_exif(raw: bytes | Image.Exif | None) -> Image.Exif:
    if isinstance(raw, Image.Exif):
        return raw
    exif = Image.Exif()
    if raw:
        try:
            exif.load(raw if raw.startswith(_EXIF_HEADER) else _EXIF_HEADER + raw)
        except Exception:  # unreadable EXIF is dropped, never fatal
            return Image.Exif()
    return exif


def clean_exif(
    raw: bytes | Image.Exif | None,
    *,
    keep_exif: bool,
    keep_gps: bool,
    orientation: int | None = None,
) -> bytes | None:
    """The EXIF an output should carry (``b'Exif\\0\\0…'``), or ``None`` for none.

    ``orientation``: the value to write (``1`` or ``None`` once pixels were turned upright,
    which removes the tag); without ``keep_exif`` only an orientation other than 1 is kept.
    """
    if not keep_exif:
        if orientation in (None, 1):
            return None
        minimal = Image.Exif()
        minimal[ORIENTATION] = orientation
        return minimal.tobytes()
    exif = _load_exif(raw)
    want = None if orientation in (None, 1) else orientation
    if isinstance(raw, bytes) and (keep_gps or GPS_IFD not in exif) and exif.get(ORIENTATION) == want:
        # Nothing to remove: keep the bytes as they are (re-serialising can break maker notes).
        return raw if raw.startswith(_EXIF_HEADER) else _EXIF_HEADER + raw
    if not keep_gps:
        exif.pop(GPS_IFD, None)
    if orientation in (None, 1):
        exif.pop(ORIENTATION, None)
    else:
        exif[ORIENTATION] = orientation
    if not len(exif):
        return None
    return exif.tobytes()


def _orientation(raw: bytes | None) -> int | None:
    if not raw:
        return None
    value = _load_exif(raw).get(ORIENTATION)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def needs_reencoding(fmt: str, exif: bytes | None) -> bool:
    """Whether a ``fmt`` file (with ``exif``, its EXIF) loses its metadata only by being
    re-encoded: TIFF always (its metadata are tags of the file itself; re-encoding it is
    lossless), AVIF when it has EXIF. :func:`strip` cleans JPEG, PNG and WebP; GIF and BMP
    carry none."""
    fmt = fmt.upper()
    return fmt == "TIFF" or (fmt == "AVIF" and bool(exif))


def strip(data: Any, fmt: str, *, keep_exif: bool, keep_gps: bool) -> Parts | None:
    """``data`` (a bytes-like object holding a whole file) cleaned per the module's rules, as
    the :data:`Parts` of the cleaned file (they hold views of ``data``: keep ``data`` open
    while they are used), or ``None`` if nothing had to change or the format is not one
    cleaned here. Raises ``ValueError`` for a file whose structure is broken."""
    if keep_exif and keep_gps:
        return None
    fmt = fmt.upper()
    if fmt in ("JPEG", "MPO"):
        return strip_jpeg(data, keep_exif=keep_exif, keep_gps=keep_gps)
    if fmt == "PNG":
        return strip_png(data, keep_exif=keep_exif, keep_gps=keep_gps)
    if fmt == "WEBP":
        return strip_webp(data, keep_exif=keep_exif, keep_gps=keep_gps)
    return None


# -- JPEG -----------------------------------------------------------------------------------

_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: markers without a length
# In scan data, 0xFF is followed by 0x00 (stuffing), RST0-7 or more 0xFF (fill): anything else
# is the next marker. One regex search finds it in C, where a byte loop took tens of ms.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def jpeg_structure(data: Any) -> int:
    """Walk a whole JPEG's segments; returns where its end-of-image marker ends. Raises
    ``ValueError`` for a file that is truncated or not a JPEG."""
    return _jpeg_segments(data)[1]


def _jpeg_segments(data: Any) -> tuple[list[tuple[int, int, int]], int]:
    """``[(marker, start, end), …]`` up to and including EOI, and the end offset of EOI.

    ``data`` is ``bytes``, ``bytearray`` or an ``mmap`` (any buffer ``re`` can search). Entropy-coded
    data after each SOS is its own pseudo-segment (marker 0). Raises ``ValueError`` on a
    malformed file."""
    with memoryview(data) as view:  # released even on an error, so that an mmap can close
        size = len(view)
        if size < 4 or view[0] != 0xFF or view[1] != 0xD8:
            raise ValueError("not a JPEG file")
        segments: list[tuple[int, int, int]] = [(0xD8, 0, 2)]
        pos = 2
        while pos < size:
            if view[pos] != 0xFF:
                raise ValueError(f"JPEG marker expected at byte {pos}")
            while pos < size and view[pos] == 0xFF:  # fill bytes
                pos += 1
            if pos >= size:
                break
            marker = view[pos]
            start = pos - 1
            pos += 1
            if marker == 0xD9:
                segments.append((marker, start, pos))
                return segments, pos
            if marker in _STANDALONE:
                segments.append((marker, start, pos))
                continue
            if pos + 2 > size:
                raise ValueError("truncated JPEG segment")
            (length,) = struct.unpack_from(">H", view, pos)
            end = pos + length
            if length < 2 or end > size:
                raise ValueError("truncated JPEG segment")
            segments.append((marker, start, end))
            pos = end
            if marker == 0xDA:  # scan data runs until the next marker that is not RST or stuffing
                scan = pos
                pos = _scan_end(data, pos, size)
                segments.append((0, scan, pos))
        raise ValueError("JPEG file has no end-of-image marker")


def _scan_end(data: Any, pos: int, size: int) -> int:
    # Searched a window at a time, so that the pages of a memory-mapped file can be given
    # back as the search goes (the marker is two bytes: windows overlap by one).
    while True:
        end = min(size, pos + GIVE_BACK)
        found = _SCAN_END.search(data, pos, end)
        if found is not None:
            return found.start()
        if end == size:
            raise ValueError("JPEG scan data is truncated")
        give_back(data)
        pos = end - 1


def strip_jpeg(data: Any, *, keep_exif: bool, keep_gps: bool) -> Parts | None:
    """Remove metadata segments from a JPEG (see the module doc); ``None`` if unchanged."""
    segments, eoi = _jpeg_segments(data)
    view = memoryview(data)
    out: list[Any] = []
    changed = eoi != len(view)
    orientation: int | None = None
    exif_at: int | None = None
    exif_raw: bytes | None = None
    for marker, start, end in segments:
        body = view[start + 4 : end] if marker not in (0, 0xD8, 0xD9) and marker not in _STANDALONE else None
        keep = True
        if marker == 0xE1 and body is not None:
            head = bytes(body[:35])
            if head.startswith(_EXIF_HEADER):
                exif_raw = bytes(body)
                orientation = _orientation(exif_raw)
                exif_at = len(out)
                keep = False  # replaced below
            elif head.startswith(_XMP_HEADERS):
                keep = keep_exif and keep_gps
            else:
                keep = keep_exif
        elif marker == 0xE2 and body is not None:
            head = bytes(body[:12])
            # MPF: the MPO index of the secondary images, which are dropped.
            keep = not head.startswith(b"MPF\x00") and (head.startswith(b"ICC_PROFILE\x00") or keep_exif)
        elif marker in (0xE0, 0xEE):  # JFIF, Adobe (colour transform): needed to decode
            keep = True
        elif (0xE3 <= marker <= 0xEF) or marker == 0xFE:  # other APPn, COM
            keep = keep_exif
        if keep:
            out.append(view[start:end])
        else:
            changed = True
    if exif_at is not None:
        new = clean_exif(exif_raw, keep_exif=keep_exif, keep_gps=keep_gps, orientation=orientation)
        if new is not None:
            if new != exif_raw:
                changed = True
            out.insert(exif_at, b"\xff\xe1" + struct.pack(">H", len(new) + 2) + new)
    if not changed:
        return None
    return out


# -- PNG ------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT = {b"tEXt", b"zTXt", b"iTXt"}


_PNG_KIND = re.compile(rb"[A-Za-z]{4}")
#: How much of a chunk :func:`png_structure` reads at a time.
_CRC_BLOCK = 1 << 20


def png_structure(fp: Any) -> None:
    """Walk a whole PNG from ``fp``'s position, checking every chunk's CRC up to IEND, with
    payloads read a block at a time. Raises ``ValueError`` for a file that is truncated,
    broken or not a PNG."""
    if fp.read(8) != _PNG_SIGNATURE:
        raise ValueError("not a PNG file")
    while True:
        header = fp.read(8)
        if len(header) < 8:
            raise ValueError("truncated PNG file: no IEND chunk")
        (length,), kind = struct.unpack(">I", header[:4]), header[4:]
        if not _PNG_KIND.fullmatch(kind):
            raise ValueError(f"broken PNG file (chunk {kind!r})")
        crc = zlib.crc32(kind)
        left = length
        while left:
            block = fp.read(min(left, _CRC_BLOCK))
            if not block:
                raise ValueError(f"truncated PNG file ({kind.decode()} chunk)")
            crc = zlib.crc32(block, crc)
            left -= len(block)
        stored = fp.read(4)
        if len(stored) < 4:
            raise ValueError(f"truncated PNG file ({kind.decode()} chunk)")
        if struct.unpack(">I", stored)[0] != crc & 0xFFFFFFFF:
            raise ValueError(f"broken PNG file (bad checksum in {kind.decode()} chunk)")
        if kind == b"IEND":
            return


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png_text_is_sensitive(kind: bytes, payload: memoryview) -> bool:
    keyword = bytes(payload[:80]).split(b"\x00", 1)[0]
    return keyword == b"XML:com.adobe.xmp" or keyword.startswith(b"Raw profile type")


def strip_png(data: Any, *, keep_exif: bool, keep_gps: bool) -> Parts | None:
    """Remove metadata chunks from a PNG (see the module doc); ``None`` if unchanged."""
    view = memoryview(data)
    if bytes(view[:8]) != _PNG_SIGNATURE:
        raise ValueError("not a PNG file")
    out: list[Any] = [view[:8]]
    changed = False
    pos = given = 8
    size = len(view)
    while True:
        if pos - given >= GIVE_BACK:
            give_back(data)  # touching a chunk's header maps the pages around it
            given = pos
        if pos + 12 > size:
            raise ValueError("PNG file is truncated")
        (length,) = struct.unpack_from(">I", view, pos)
        kind = bytes(view[pos + 4 : pos + 8])
        end = pos + 12 + length
        if end > size:
            raise ValueError("PNG file is truncated")
        payload = view[pos + 8 : pos + 8 + length]
        keep = True
        if kind == b"eXIf":
            raw = bytes(payload)
            new = clean_exif(raw, keep_exif=keep_exif, keep_gps=keep_gps, orientation=_orientation(raw))
            if new is None or new[len(_EXIF_HEADER) :] != raw:
                keep = False
                if new is not None:
                    out.append(_png_chunk(b"eXIf", new[len(_EXIF_HEADER) :]))
        elif kind in _PNG_TEXT:
            keep = keep_exif and not (not keep_gps and _png_text_is_sensitive(kind, payload))
        if keep:
            out.append(view[pos:end])
        else:
            changed = True
        pos = end
        if kind == b"IEND":
            break
    if pos != size:
        changed = True
    if not changed:
        return None
    return out


# -- WebP -----------------------------------------------------------------------------------

_WEBP_KEEP = {b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def strip_webp(data: Any, *, keep_exif: bool, keep_gps: bool) -> Parts | None:
    """Remove metadata chunks from a WebP (see the module doc); ``None`` if unchanged."""
    view = memoryview(data)
    if len(view) < 12 or bytes(view[:4]) != b"RIFF" or bytes(view[8:12]) != b"WEBP":
        raise ValueError("not a WebP file")
    (riff_size,) = struct.unpack_from("<I", view, 4)
    end_of_riff = min(len(view), 8 + riff_size)
    changed = end_of_riff != len(view)
    chunks: list[bytes | memoryview] = []
    vp8x_index: int | None = None
    flags_off = 0
    pos = given = 12
    while pos + 8 <= end_of_riff:
        if pos - given >= GIVE_BACK:
            give_back(data)
            given = pos
        kind = bytes(view[pos : pos + 4])
        (length,) = struct.unpack_from("<I", view, pos + 4)
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > end_of_riff:
            raise ValueError("WebP file is truncated")
        payload = view[pos + 8 : pos + 8 + length]
        if kind == b"EXIF":
            raw = bytes(payload)
            new = clean_exif(raw, keep_exif=keep_exif, keep_gps=keep_gps, orientation=_orientation(raw))
            if new is not None and new[len(_EXIF_HEADER) :] == raw:
                chunks.append(view[pos:end])
            elif new is not None:
                changed = True
                body = new[len(_EXIF_HEADER) :]
                chunks.append(b"EXIF" + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1))
            else:
                changed = True
                flags_off |= _VP8X_EXIF
        elif kind == b"XMP ":
            if keep_exif and keep_gps:
                chunks.append(view[pos:end])
            else:
                changed = True
                flags_off |= _VP8X_XMP
        elif kind in _WEBP_KEEP or keep_exif:
            if kind == b"VP8X":
                vp8x_index = len(chunks)
            chunks.append(view[pos:end])
        else:
            changed = True
        pos = end
    if not changed:
        return None
    if vp8x_index is not None and flags_off:
        vp8x = bytearray(chunks[vp8x_index])
        vp8x[8] &= ~flags_off & 0xFF
        chunks[vp8x_index] = bytes(vp8x)
    body_size = sum(len(chunk) for chunk in chunks)
    return [b"RIFF" + struct.pack("<I", body_size + 4) + b"WEBP", *chunks]


# -- measuring, before Pillow reads anything ----------------------------------------------------

#: PNG chunks and WebP chunks that hold the picture itself; every other one is metadata here.
_PNG_PICTURE = frozenset({b"IDAT", b"fdAT"})
_WEBP_PICTURE = frozenset({b"VP8 ", b"VP8L", b"ALPH", b"ANMF"})
_JPEG_SCAN = 0xDA
_JPEG_FRAME = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # SOF0-15: the image's size
_JPEG_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})

#: The most scans a JPEG may have. Each scan of a progressive JPEG is decoded over the whole
#: image (10,000 repeated scans of an 8000x8000 one took 54 s); encoders write about 10
#: (libjpeg's and mozjpeg's progressive modes, Photoshop's 3 to 5), one per component at most
#: for a sequential JPEG.
MAX_JPEG_SCANS = 100


@dataclass
class Survey:
    """What :func:`survey` found out about a file without reading its payloads."""

    #: ``"PNG"``, ``"JPEG"``, ``"WEBP"``, ``"GIF"`` or ``"TIFF"`` (other formats are not surveyed).
    format: str
    #: Bytes of everything that is not the picture: PNG chunks but IDAT and fdAT, JPEG
    #: segments before the first scan, WebP chunks but the image data (headers included),
    #: GIF extensions (comments…), TIFF tags (and, where Pillow keeps an entry of its own for
    #: each strip or tile, :data:`TIFF_PIECE_BYTES` for each).
    metadata: int = 0
    #: The largest of those pieces, as ``(name, bytes)``, e.g. ``("tEXt chunk", 52428808)``.
    largest: tuple[str, int] | None = None
    #: The size the header gives (IHDR, SOF, the WebP canvas, a GIF's screen grown to its
    #: first frame as Pillow grows it, a TIFF's first directory), if the walk reached it.
    size: tuple[int, int] | None = None
    #: Why the structure is broken where that matters before opening, or ``None``.
    broken: str | None = None
    #: GIF: the frames counted (the walk stops one past ``max_frames``: see :attr:`more`).
    frames: int | None = None
    #: GIF: ``True`` if the walk stopped counting frames before the end.
    more: bool = False
    #: GIF: the canvas every frame fits in (Pillow grows the image to a frame that reaches
    #: beyond the screen its header declares).
    extent: tuple[int, int] | None = None
    #: JPEG: the scans counted (the walk stops one past :data:`MAX_JPEG_SCANS`); 1 for a
    #: sequential JPEG whose first scan holds every component (libjpeg decodes no other).
    scans: int | None = None
    #: Bytes a decoder holds besides the decoded image, and what they are: the coefficients of
    #: a progressive JPEG (libjpeg keeps them all, at any scale), the strip or tile a TIFF
    #: decoder reads into.
    buffer: int = 0
    buffer_what: str = ""

    def add(self, name: str, size: int) -> None:
        self.metadata += size
        if self.largest is None or size > self.largest[1]:
            self.largest = (name, size)


def survey(fp: Any, limit: int | None = None, *, max_frames: int | None = None) -> Survey | None:
    """Walk the chunks (PNG, WebP), segments (JPEG), blocks (GIF) or first directory (TIFF) of
    the file ``fp`` holds from its current position, reading only their headers and seeking
    past their payloads, and put ``fp`` back; ``None`` for other formats or a stream that
    cannot seek.

    Pillow reads every metadata chunk whole into memory (and several times over: a PNG
    text chunk as it is read, joined, split and decoded) as it opens a file, so their size is
    measured here first, with what else decides the memory and time decoding takes: the
    frames of a GIF and how far they reach, the scans of a JPEG, the strips and tiles of a
    TIFF. The walk stops once ``limit`` bytes of metadata are exceeded, once a GIF has more
    than ``max_frames`` frames or a JPEG more than :data:`MAX_JPEG_SCANS` scans, or at the
    first thing that does not parse (the opener reports that)."""
    try:
        start = fp.tell()
        head = fp.read(32)
    except (AttributeError, OSError, ValueError):
        return None
    try:
        if head.startswith(_PNG_SIGNATURE):
            return _survey_png(fp, start, limit)
        if head[:2] == b"\xff\xd8":
            return _survey_jpeg(fp, start, limit)
        if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _survey_webp(fp, start, head, limit)
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return _survey_gif(fp, start, limit, max_frames)
        if head[:4] in _TIFF_HEADERS:
            return _survey_tiff(fp, start, head, limit)
        return None
    finally:
        fp.seek(start)


def _survey_png(fp: Any, start: int, limit: int | None) -> Survey:
    found = Survey("PNG")
    fp.seek(start + 8)
    while limit is None or found.metadata <= limit:
        header = fp.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I", header[:4])[0], header[4:]
        if kind not in _PNG_PICTURE:
            found.add(f"{kind.decode('latin-1')} chunk", length + 12)
        if kind == b"IEND":
            break
        if kind == b"IHDR" and length >= 8:
            found.size = struct.unpack(">II", fp.read(8))
            length -= 8
        fp.seek(length + 4, 1)
    return found


def _survey_jpeg(fp: Any, start: int, limit: int | None) -> Survey:
    found = Survey("JPEG")
    fp.seek(start + 2)
    coefficients = components = 0
    progressive = False
    while limit is None or found.metadata <= limit:
        byte = fp.read(1)
        if not byte:
            break  # truncated: the opener reports that
        if byte != b"\xff":
            # Pillow skips such bytes one by one, and would read what follows; the
            # structure check refuses the file anyway (see jpeg_structure).
            found.broken = f"JPEG marker expected at byte {fp.tell() - 1 - start}"
            break
        marker = fp.read(1)
        while marker == b"\xff":  # fill bytes
            marker = fp.read(1)
        if not marker:
            break
        if marker[0] in _STANDALONE:
            continue
        if marker[0] == 0xD9:
            break
        if marker[0] == _JPEG_SCAN:  # the picture starts: Pillow stops here, libjpeg goes on
            at = fp.tell()
            header = fp.read(3)  # length, and the components of this first scan
            if not progressive and len(header) == 3 and header[2] >= components:
                # A sequential JPEG whose first scan holds every component is decoded from
                # that scan alone (libjpeg refuses a second one): nothing more to walk.
                found.scans = 1
                break
            found.scans = _jpeg_scans(fp, at)
            # libjpeg keeps every coefficient of a progressive or multi-scan JPEG until its
            # last scan, whatever the scale it decodes at.
            found.buffer = coefficients
            found.buffer_what = "the coefficients of a progressive JPEG, which libjpeg keeps"
            break
        raw = fp.read(2)
        if len(raw) < 2:
            break
        (length,) = struct.unpack(">H", raw)
        found.add(f"JPEG {_jpeg_marker_name(marker[0])} segment", length + 2)
        if marker[0] in _JPEG_FRAME and length >= 8:
            body = fp.read(length - 2)
            height, width, count = struct.unpack_from(">xHHB", body)
            found.size = (width, height)
            progressive = marker[0] in _JPEG_PROGRESSIVE
            components = count
            coefficients = _jpeg_coefficients(width, height, body[6 : 6 + 3 * count])
            continue
        fp.seek(length - 2, 1)
    return found


def _jpeg_coefficients(width: int, height: int, components: bytes) -> int:
    """Bytes of the coefficient buffer libjpeg allocates for a multi-scan JPEG: 64 coefficients
    of 2 bytes for every 8x8 block of every component, at its sampling, rounded up to whole
    MCUs (``components``: the SOF's 3-byte component entries)."""
    factors = [(components[i + 1] >> 4, components[i + 1] & 15) for i in range(0, len(components) - 2, 3)]
    factors = [(max(1, h), max(1, v)) for h, v in factors] or [(1, 1)]
    hmax = max(h for h, _ in factors)
    vmax = max(v for _, v in factors)
    total = 0
    for h, v in factors:
        across = -(-width * h // (hmax * 8))
        down = -(-height * v // (vmax * 8))
        total += (-(-across // h) * h) * (-(-down // v) * v) * 128
    return total


#: How much of a JPEG's scan data :func:`_jpeg_scans` reads at a time, at first and at most.
_SCAN_READ = (16 << 10, 256 << 10)
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xff]")  # any marker, after garbage or fill bytes


def _jpeg_scans(fp: Any, pos: int) -> int:
    """The scans of a JPEG, counted from ``pos``: just past the first SOS marker. Segments are
    skipped by their length and scan data searched for the next marker, a block at a time, as
    libjpeg reads them; the count stops one past :data:`MAX_JPEG_SCANS`, or at the end of the
    image or the file."""
    scans = 0
    marker = _JPEG_SCAN
    while True:
        if marker not in _STANDALONE:
            fp.seek(pos)
            raw = fp.read(2)
            if len(raw) < 2:
                return scans
            pos += struct.unpack(">H", raw)[0]
        if marker == _JPEG_SCAN:
            scans += 1
            if scans > MAX_JPEG_SCANS:
                return scans
            found = _find(fp, _SCAN_END, pos)  # the end of the scan's entropy-coded data
        else:
            found = _find(fp, _NEXT_MARKER, pos)  # libjpeg skips garbage between segments
        if found is None:
            return scans
        pos, marker = found
        if marker == 0xD9:
            return scans


def _find(fp: Any, pattern: re.Pattern[bytes], pos: int) -> tuple[int, int] | None:
    """Where ``pattern`` (a marker: ``0xFF`` and one byte) first matches in ``fp`` from ``pos``:
    ``(the offset just past it, the marker byte)``, or ``None`` at the end of the file."""
    size = _SCAN_READ[0]
    while True:
        fp.seek(pos)
        block = fp.read(size)
        found = pattern.search(block)
        if found is not None:
            return pos + found.end(), block[found.end() - 1]
        if len(block) < size:
            return None
        pos += len(block) - 1  # the marker is two bytes: blocks overlap by one
        size = min(size * 2, _SCAN_READ[1])
        del block, found  # one block at a time


def _jpeg_marker_name(marker: int) -> str:
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    return "COM" if marker == 0xFE else f"0x{marker:02X}"


def _survey_webp(fp: Any, start: int, head: bytes, limit: int | None) -> Survey:
    found = Survey("WEBP", size=_webp_canvas(head))
    (riff_size,) = struct.unpack_from("<I", head, 4)
    end = start + 8 + riff_size
    pos = start + 12
    fp.seek(pos)
    while pos + 8 <= end and (limit is None or found.metadata <= limit):
        header = fp.read(8)
        if len(header) < 8:
            break
        kind, (length,) = header[:4], struct.unpack("<I", header[4:])
        if kind not in _WEBP_PICTURE:
            found.add(f"WebP {kind.decode('latin-1').strip()} chunk", length + 8)
        pos += 8 + length + (length & 1)
        fp.seek(pos)
    return found


def _webp_canvas(head: bytes) -> tuple[int, int] | None:
    kind = head[12:16]
    if kind == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    if kind == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", head, 26)
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


# -- GIF --------------------------------------------------------------------------------------

#: Bytes a GIF may have where a block should start (Pillow skips them one by one) before the
#: file is taken for broken.
_GIF_STRAY = 64
_GIF_EXTENSIONS = {0x01: "plain text", 0xFE: "comment", 0xFF: "application"}


def _survey_gif(fp: Any, start: int, limit: int | None, max_frames: int | None) -> Survey:
    """Walk a GIF's blocks as Pillow does (:class:`PIL.GifImagePlugin.GifImageFile`), without
    decoding: its frames, how far each reaches, its extensions."""
    found = Survey("GIF")
    fp.seek(start + 6)
    screen = fp.read(7)
    if len(screen) < 7:
        return found  # the opener reports it
    width, height, flags = struct.unpack_from("<HHB", screen)
    if flags & 0x80:
        fp.seek(3 << ((flags & 7) + 1), 1)  # the global colour table
    extent = (width, height)
    frames = stray = 0
    while limit is None or found.metadata <= limit:
        byte = fp.read(1)
        if not byte or byte == b";":
            break
        if byte == b"!":
            label = fp.read(1)
            size = _gif_sub_blocks(fp)
            if label and label[0] != 0xF9:  # graphic control extensions are a few bytes
                name = _GIF_EXTENSIONS.get(label[0], f"0x{label[0]:02X}")
                found.add(f"GIF {name} extension", size + 2)
        elif byte == b",":
            descriptor = fp.read(9)
            if len(descriptor) < 9:
                break
            left, top, w, h, local = struct.unpack("<HHHHB", descriptor)
            # Pillow grows the image to a frame that reaches beyond it, frame by frame.
            extent = (max(extent[0], left + w), max(extent[1], top + h))
            frames += 1
            if frames == 1:
                found.size = extent  # what Pillow's image is once opened
            if local & 0x80:
                fp.seek(3 << ((local & 7) + 1), 1)  # the frame's colour table
            if not fp.read(1):  # LZW code size
                break
            _gif_sub_blocks(fp)
            if max_frames is not None and frames > max_frames:
                found.more = True
                break
        else:
            stray += 1
            if stray > _GIF_STRAY:
                found.broken = f"GIF block expected at byte {fp.tell() - 1 - start}"
                break
    found.frames = frames
    found.extent = extent
    if found.size is None:
        found.size = (width, height)
    return found


def _gif_sub_blocks(fp: Any) -> int:
    """Skip a run of GIF data sub-blocks (each a length byte and that many bytes, up to an
    empty one); returns the bytes of data skipped."""
    total = 0
    while True:
        length = fp.read(1)
        if not length or not length[0]:
            return total
        total += length[0]
        fp.seek(length[0], 1)


# -- TIFF -------------------------------------------------------------------------------------

_TIFF_HEADERS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: TIFF field types Pillow reads, and the bytes of one value of each.
_TIFF_TYPES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
    17: 8,
    18: 8,
}
#: Types whose values Pillow unpacks into a tuple of numbers when a tag is read (the others
#: are kept as bytes or text), and the memory a value then takes: a tuple slot and a number.
_TIFF_NUMBERS = {3: 40, 4: 40, 8: 40, 9: 40, 11: 40, 12: 40, 13: 40, 16: 40, 17: 40, 18: 40, 5: 160, 10: 160}
#: What Pillow keeps for each strip or tile of an uncompressed TIFF, which it reads itself
#: rather than through libtiff: an entry of its tile list, and the two offsets of it it
#: unpacked (measured: 330 bytes a strip opening it, 670 through the whole pipeline).
TIFF_PIECE_BYTES = 700
#: A TIFF's tiles may be up to this many pixels on a side, or the image's own size rounded up
#: to the 16 pixels the format counts in, whichever is larger.
TIFF_TILE_SIDE = 1024
_TIFF_TAGS = {
    256: "width",
    257: "height",
    258: "bits",
    259: "compression",
    262: "photometric",
    273: "strips",
    277: "samples",
    278: "rows",
    279: "strip_sizes",
    284: "planar",
    322: "tile_width",
    323: "tile_height",
    324: "tiles",
    325: "tile_sizes",
}
#: How the integer types are unpacked.
_TIFF_INTEGERS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I", 16: "Q", 17: "q", 18: "Q"}
#: The most entries of a directory read (Pillow reads on until the file ends; a classic
#: TIFF has 65,535 at most).
_TIFF_ENTRIES = 1 << 16
_TIFF_TAG_NAMES = {273: "StripOffsets", 279: "StripByteCounts", 324: "TileOffsets", 325: "TileByteCounts"}


def _survey_tiff(fp: Any, start: int, head: bytes, limit: int | None) -> Survey:
    """Walk a TIFF's first directory, the only one processed (Pillow reads every tag of it as
    it opens the file): its tags' sizes, the image's size, its strips or tiles."""
    found = Survey("TIFF")
    order = "<" if head[:2] == b"II" else ">"
    big = head[2:4] in (b"+\x00", b"\x00+")
    if big:
        if len(head) < 16:
            return found
        (offset,) = struct.unpack_from(order + "Q", head, 8)
        count_format, entry_format, entry_size, inline = "Q", "HHQ8s", 20, 8
    else:
        (offset,) = struct.unpack_from(order + "I", head, 4)
        count_format, entry_format, entry_size, inline = "H", "HHI4s", 12, 4
    fp.seek(start + offset)
    raw = fp.read(struct.calcsize(count_format))
    if len(raw) < struct.calcsize(count_format):
        return found  # the opener reports it
    (entries,) = struct.unpack(order + count_format, raw)
    found.add(f"TIFF directory of {entries:,} tags", entries * entry_size)
    if limit is not None and found.metadata > limit:
        return found
    table = fp.read(min(entries, _TIFF_ENTRIES) * entry_size)  # a BigTIFF's count is 64 bits
    fields: dict[str, tuple[int, int, bytes]] = {}  # name: (type, count, value or offset)
    seen: set[int] = set()
    for index in range(len(table) // entry_size):
        tag, kind, count, value = struct.unpack_from(order + entry_format, table, index * entry_size)
        unit = _TIFF_TYPES.get(kind)
        if unit is None:
            continue  # Pillow skips the types it does not know
        if tag in seen and tag in _TIFF_TAGS:
            found.broken = f"TIFF tag {tag} appears twice"
            return found
        seen.add(tag)
        size = unit * count
        cost = size + count * _TIFF_NUMBERS.get(kind, 0)
        if tag in (273, 279, 324, 325):
            cost = size  # charged with the strips or tiles below
        if cost > inline:
            label = _TIFF_TAG_NAMES.get(tag, f"{tag}")
            found.add(f"TIFF tag {label} of {count:,} values", cost)
        if tag in _TIFF_TAGS:
            fields[_TIFF_TAGS[tag]] = (kind, count, value)
    if limit is not None and found.metadata > limit:
        return found

    def number(name: str, default: int | None = None) -> int | None:
        """The first value of a structural tag, if it has one (``default`` if absent)."""
        field = fields.get(name)
        if field is None or not field[1]:
            return default
        kind, _, value = field
        code = _TIFF_INTEGERS.get(kind)
        if code is None or struct.calcsize(code) > inline:
            raise ValueError(f"TIFF {name} tag of type {kind}")
        return int(struct.unpack_from(order + code, value)[0])

    try:
        width, height = number("width"), number("height")
        if width is None or height is None:
            return found  # the opener reports it
        samples = number("samples", 1) or 1
        planar = number("planar", 1) == 2
        compression = number("compression", 1)
        photometric = number("photometric")
        tile_width, tile_height = number("tile_width", 0) or 0, number("tile_height", 0) or 0
        rows = number("rows", height) or height
    except ValueError as exc:
        # Where Pillow reads such a value, this walk must too: it cannot check the file.
        found.broken = str(exc)
        return found
    if min(width, height, samples, rows) < 1:
        # Pillow would still make an entry for each strip of such a file as it opens it.
        found.broken = f"TIFF of {width}x{height} pixels, {samples} samples, {rows} rows a strip"
        return found
    found.size = (width, height)
    bits = _tiff_bits(fp, start, order, inline, fields.get("bits"), samples)
    compressed = compression != 1  # decoded by libtiff: a strip or tile at a time
    if compression in (6, 7) or photometric == 6:
        bits = max(bits, 32)  # JPEG and YCbCr are read through libtiff's RGBA interface
    planes = samples if planar else 1
    plane_bits = bits // samples if planar else bits
    # Pillow reads the strips of an uncompressed TIFF if it has StripOffsets, libtiff the tiles
    # of a compressed one if it has a TileWidth: whichever a file has, both are checked.
    layouts = []  # (kind, pieces, pieces the image needs, the buffer of one)
    if any(name in fields for name in ("tiles", "tile_width", "tile_height")):
        if tile_width < 1 or tile_height < 1:
            found.broken = "TIFF tiles without a size"
            return found
        largest = (max(TIFF_TILE_SIDE, -(-width // 16) * 16), max(TIFF_TILE_SIDE, -(-height // 16) * 16))
        if tile_width > largest[0] or tile_height > largest[1]:
            found.broken = f"tiles of {tile_width}x{tile_height} pixels in an image of {width}x{height}"
            return found
        expected = -(-width // tile_width) * -(-height // tile_height) * planes
        buffer = tile_height * -(-tile_width * plane_bits // 8)
        layouts.append(("tile", fields.get("tiles", (0, 0, b""))[1], expected, buffer))
    if "strips" in fields or not layouts:
        rows = min(rows, height)
        expected = -(-height // rows) * planes
        layouts.append(
            ("strip", fields.get("strips", (0, 0, b""))[1], expected, rows * -(-width * plane_bits // 8))
        )
    for kind, pieces, expected, buffer in layouts:
        if pieces > expected:
            found.broken = f"{pieces:,} {kind}s where the image needs {expected:,}"
            return found
        if compressed and buffer > found.buffer:
            found.buffer = buffer
            found.buffer_what = f"the {kind} libtiff decodes into"
    kind, pieces, _, _ = max(layouts, key=lambda layout: layout[1])
    if not compressed and pieces > 1:
        found.add(
            f"TIFF table of {pieces:,} {kind}s (Pillow keeps an entry for each)", pieces * TIFF_PIECE_BYTES
        )
    return found


def _tiff_bits(
    fp: Any, start: int, order: str, inline: int, field: tuple[int, int, bytes] | None, samples: int
) -> int:
    """The bits of a pixel: the sum of BitsPerSample (one value stands for every sample)."""
    if field is None:
        return samples
    kind, count, value = field
    if kind != 3 or not count:
        return 8 * samples
    count = min(count, 64)
    if 2 * count > inline:
        fp.seek(start + struct.unpack_from(order + ("Q" if inline == 8 else "I"), value)[0])
        value = fp.read(2 * count)
    values: tuple[int, ...] = struct.unpack_from(f"{order}{len(value) // 2}H", value)[:count]
    if not values:
        return 8 * samples
    if len(values) == 1:
        return values[0] * samples
    return sum(values[:samples])
