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


@dataclass
class Survey:
    """What :func:`survey` found out about a file without reading its payloads."""

    #: ``"PNG"``, ``"JPEG"`` or ``"WEBP"`` (other formats are not surveyed).
    format: str
    #: Bytes of everything that is not the picture: PNG chunks but IDAT and fdAT, JPEG
    #: segments before the first scan, WebP chunks but the image data (headers included).
    metadata: int = 0
    #: The largest of those pieces, as ``(name, bytes)``, e.g. ``("tEXt chunk", 52428808)``.
    largest: tuple[str, int] | None = None
    #: The size the header gives (IHDR, SOF, the WebP canvas), if the walk reached it.
    size: tuple[int, int] | None = None
    #: Why the structure is broken where that matters before opening (JPEG), or ``None``.
    broken: str | None = None

    def add(self, name: str, size: int) -> None:
        self.metadata += size
        if self.largest is None or size > self.largest[1]:
            self.largest = (name, size)


def survey(fp: Any, limit: int | None = None) -> Survey | None:
    """Walk the chunks (PNG, WebP) or header segments (JPEG) of the file ``fp`` holds from
    its current position, reading only their headers and seeking past their payloads, and
    put ``fp`` back; ``None`` for other formats or a stream that cannot seek.

    Pillow reads every metadata chunk whole into memory (and several times over: a PNG
    text chunk as it is read, joined, split and decoded) as it opens a file, so their size is
    measured here first. The walk stops once ``limit`` bytes of metadata are exceeded, or at
    the first thing that does not parse (the opener reports that)."""
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
        if marker[0] in (_JPEG_SCAN, 0xD9):  # the picture starts (or ends): Pillow stops here
            break
        raw = fp.read(2)
        if len(raw) < 2:
            break
        (length,) = struct.unpack(">H", raw)
        found.add(f"JPEG {_jpeg_marker_name(marker[0])} segment", length + 2)
        if marker[0] in _JPEG_FRAME and length >= 7:
            height, width = struct.unpack(">xHH", fp.read(5))
            found.size = (width, height)
            length -= 5
        fp.seek(length - 2, 1)
    return found


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
