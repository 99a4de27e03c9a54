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

import re
import struct
import zlib
from typing import Any

from PIL import Image

__all__ = [
    "GPS_IFD",
    "ORIENTATION",
    "Parts",
    "clean_exif",
    "jpeg_structure",
    "needs_reencoding",
    "strip",
    "strip_jpeg",
    "strip_png",
    "strip_webp",
]

#: EXIF tags used here.
ORIENTATION = 0x0112
GPS_IFD = 0x8825

#: A file as the bytes-like pieces it is made of, in order (``b"".join(parts)`` is the file):
#: ``memoryview`` slices of the source (no copy) and the few segments written anew.
Parts = list[Any]

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
                found = _SCAN_END.search(data, pos)
                if found is None:
                    raise ValueError("JPEG scan data is truncated")
                pos = found.start()
                segments.append((0, scan, pos))
        raise ValueError("JPEG file has no end-of-image marker")


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
    pos = 8
    size = len(view)
    while True:
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
    pos = 12
    while pos + 8 <= end_of_riff:
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
