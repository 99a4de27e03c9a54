"""What an area holds, as the pages and the API show it: one entry per file a visitor
uploaded, with what fs-images made of it (thumbnails, a WebP of each, the upload kept as
``-original``) attached to it rather than listed beside it."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PIL import Image, UnidentifiedImageError

import fs_core as fs
import fs_images

from .areas import Area
from .storages import THUMBNAILS, kind_of
from .text import human_size

__all__ = ["Entry", "entries", "entry", "photo_facts"]

#: The EXIF tag a stored photo keeps (so that it displays upright): anything else was removed.
ORIENTATION = 0x0112
GPS_IFD = 0x8825


@dataclass
class Entry:
    """A file of an area, named as the visitor sees it."""

    name: str
    size: int
    mime: str
    modified: datetime
    checksum: str
    kind: str
    #: Thumbnail size → name, for photos fs-images processed (empty for other files).
    thumbnails: dict[int, str] = field(default_factory=dict)
    #: Name → its WebP variant's name, for the image and each thumbnail that has one.
    webp: dict[str, str] = field(default_factory=dict)
    #: The upload as it came (metadata removed), where fs-images resized the image.
    original: str | None = None

    @property
    def photo(self) -> bool:
        return bool(self.thumbnails)

    @property
    def size_text(self) -> str:
        return human_size(self.size)

    @property
    def extension(self) -> str:
        return fs.extension(self.name)

    @property
    def variants(self) -> list[tuple[str, str]]:
        """Every file fs-images derived from this one, with what it is."""
        found = [(self.original, "original")] if self.original else []
        sizes = {name: size for size, name in self.thumbnails.items()}
        found += [(name, f"{size} px") for size, name in sorted(self.thumbnails.items())]
        found += [
            (webp, f"WebP, {sizes[name]} px" if name in sizes else "WebP") for name, webp in self.webp.items()
        ]
        return found

    def as_json(self, area: Area) -> dict[str, Any]:
        """The API's description of the file (its links with the host)."""

        def link(name: str) -> str:
            return area.link(name, external=True)

        data: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "mime": self.mime,
            "size": self.size,
            "size_text": self.size_text,
            "modified": self.modified.isoformat(),
            "checksum": self.checksum,
            "url": link(self.name),
        }
        if self.photo:
            data["thumbnails"] = {str(size): link(name) for size, name in self.thumbnails.items()}
            data["webp"] = link(self.webp[self.name]) if self.name in self.webp else None
            data["original"] = link(self.original) if self.original else None
        return data


def _variants(name: str, present: Any) -> dict[str, Any]:
    """What fs-images made from ``name`` (a storage name) that ``present(name)`` says exists."""
    thumbnails = {size: fs_images.thumbnail_name(name, size) for size in THUMBNAILS}
    thumbnails = {size: thumb for size, thumb in thumbnails.items() if present(thumb)}
    webp = {image: f"{image}.webp" for image in (name, *thumbnails.values())}
    original = fs_images.original_name(name)
    return {
        "thumbnails": thumbnails,
        "webp": {image: variant for image, variant in webp.items() if present(variant)},
        "original": original if thumbnails and present(original) else None,
    }


def _entry(area: Area, full_name: str, present: Any) -> Entry:
    meta = area.storage.metadata(full_name)
    found = _variants(full_name, present)
    local = area.name_in_area
    return Entry(
        name=local(full_name),
        size=meta["size"],
        mime=meta["mime"] or "application/octet-stream",
        modified=meta["modified"],
        checksum=meta.get("checksum") or "",
        kind=kind_of(full_name),
        thumbnails={size: local(thumb) for size, thumb in found["thumbnails"].items()},
        webp={local(image): local(variant) for image, variant in found["webp"].items()},
        original=local(found["original"]) if found["original"] else None,
    )


def entries(area: Area) -> list[Entry]:
    """The files of ``area``, newest first; variants are part of their image's entry. A file
    deleted while the list is made (by another visitor) is left out."""
    names = set(area.storage.list_files(area.folder or None))
    listed = []
    for name in names:
        if fs_images.is_variant(name, names) or _is_webp_of(name, names):
            continue
        try:
            listed.append(_entry(area, name, names.__contains__))
        except fs.FileNotFound:
            continue
    return sorted(listed, key=lambda e: (e.modified, e.name), reverse=True)


def _is_webp_of(name: str, names: set[str]) -> bool:
    """``x-240.jpg.webp``: the WebP of a thumbnail (``is_variant`` knows those of ``x.jpg``)."""
    base, dot, ext = name.rpartition(".")
    return bool(dot) and ext == "webp" and base in names and fs_images.is_variant(base, names)


def entry(area: Area, name: str) -> Entry:
    """The file ``name`` of ``area``; :class:`fs_core.FileNotFound` if there is none, or if
    ``name`` is one of another file's variants (it belongs to that file's entry)."""
    full = area.full_name(name)
    if not area.storage.exists(full):
        raise fs.FileNotFound(name)
    folder = posixpath.dirname(full)
    siblings = set(area.storage.list_files(folder or None))
    if fs_images.is_variant(full, siblings) or _is_webp_of(full, siblings):
        raise fs.FileNotFound(name, message=f"{name!r} is a variant of another file")
    return _entry(area, full, siblings.__contains__)


def photo_facts(area: Area, name: str) -> dict[str, Any]:
    """Width, height and format of a stored image, and what is left of its EXIF: read from
    the stored file's header (a few kilobytes, also from a remote backend)."""
    try:
        with area.storage.open(area.full_name(name), "rb") as stream, Image.open(stream) as image:
            exif = image.getexif()
            return {
                "width": image.width,
                "height": image.height,
                "format": image.format,
                "exif_tags": sorted(tag for tag in exif if tag != ORIENTATION),
                "gps": GPS_IFD in exif,
            }
    except (UnidentifiedImageError, OSError, fs.FSError):
        return {}
