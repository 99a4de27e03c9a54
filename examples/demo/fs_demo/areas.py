"""The two areas of the demo, seen the same way by the pages and the API: the shared gallery,
and a visitor's private folder.

An :class:`Area` turns the names a visitor sees (``holiday.jpg``) into the storage's names
(``3f2a…/holiday.jpg`` in the private area) and gives each file its link: the public URL of
the shared storage, a signed URL that expires for the private one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

import fs_core as fs

from .storages import private, shared
from .visitors import visitor_id

__all__ = ["Area", "area_named", "current_area"]


@dataclass(frozen=True)
class Area:
    key: str  # the pages' blueprint name: "shared" or "private"
    title: str
    storage: fs.Storage
    folder: str  # the storage folder of this area ("" for the whole storage)

    @property
    def private(self) -> bool:
        return bool(self.folder)

    def full_name(self, name: str) -> str:
        """The storage's name of a file of this area."""
        return f"{self.folder}/{name}" if self.folder else name

    def name_in_area(self, full_name: str) -> str:
        return full_name[len(self.folder) + 1 :] if self.folder else full_name

    def link(self, name: str, *, download: bool = False, external: bool = False) -> str:
        """Where the browser gets the file: the shared storage's URL, or a signed URL that
        stops working after ``DEMO_LINK_EXPIRES`` seconds (a download when ``download``);
        with the host when ``external`` (for the API's clients)."""
        full = self.full_name(name)
        if not self.storage.private:
            return self.storage.url(full, external=external)
        expires = current_app.config["DEMO_LINK_EXPIRES"]
        return self.storage.signed_url(full, expires, as_attachment=download, external=external)


def area_named(key: str) -> Area:
    """The area ``key`` for the visitor of the current request."""
    if key == "private":
        return Area("private", "Your private files", private, visitor_id())
    return Area("shared", "Shared photos and files", shared, "")


def current_area() -> Area:
    """The area of the page being answered (the blueprint it was registered as)."""
    return area_named(request.blueprint or "shared")
