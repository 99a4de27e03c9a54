"""A place files are copied from or to: a storage, a folder of a storage, or a local folder.

``flask fs sync``, ``verify --against``, ``cp`` and ``mv`` work between two of them, whatever
their backends. Names inside a location are relative to its folder, so ``uploads:2024`` and
``archive`` compare ``2024/a.jpg`` of the first with ``a.jpg`` of the second.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import naming
from .backend import BaseBackend
from .config import Config
from .errors import BackendError, ConfigurationError
from .listing import FileInfo
from .state import FSState

__all__ = ["LOCAL_BACKEND", "Location"]

#: The backend a local folder is read and written with (fs-local's): its atomic writes, its
#: refusal to follow links out of the folder, its leftovers.
LOCAL_BACKEND = "local"


@dataclass(frozen=True)
class Location:
    """A backend and a folder in it (``prefix``; ``None`` for the whole backend).

    ``label`` is how it is shown (``'uploads:2024'``, ``'./backup'``); ``storage`` is the
    :class:`~fs_core.storage.Storage` it belongs to, ``None`` for a local folder.
    """

    backend: BaseBackend
    prefix: str | None = None
    label: str = ""
    storage: Any = None

    @classmethod
    def of_storage(cls, storage: Any, prefix: str | None = None) -> Location:
        """The storage ``storage`` (configured in the current app), or its folder ``prefix``."""
        folder = naming.validate_prefix(prefix)
        label = f"{storage.name}:{folder}" if folder else storage.name
        return cls(storage.backend, folder, label, storage)

    @classmethod
    def of_folder(cls, state: FSState, path: str | os.PathLike[str], **config: Any) -> Location:
        """The local folder ``path``, through the app's ``local`` backend (fs-local);
        ``config`` adds keys of that backend (``fsync=True``)."""
        try:
            backend_class = state.plugins.backend_class(LOCAL_BACKEND)
        except ConfigurationError as exc:  # not installed, not enabled, or failing to import
            raise ConfigurationError(
                f"A local folder is read and written with the {LOCAL_BACKEND!r} backend (fs-local): {exc}"
            ) from None
        root = os.path.abspath(os.fspath(path))
        backend = backend_class(f"folder {root}", Config({"root": root, **config}))
        backend.backend_name = LOCAL_BACKEND
        return cls(backend, None, os.fspath(path), None)

    def name(self, relative: str) -> str:
        """The backend's name of the file ``relative`` to this location (validated)."""
        return naming.join_name(self.prefix, relative)

    def stored_name(self, relative: str) -> str:
        """The backend's own name of a file this location listed (``relative`` as :meth:`scan`
        gave it), not validated again: a name a backend listed goes back to that backend."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def relative(self, name: str) -> str:
        """``name`` (a backend's) relative to this location's folder."""
        if not self.prefix:
            return name
        return name[len(self.prefix) + 1 :]

    def scan(self) -> Iterator[FileInfo]:
        """The files here, named relative to the folder; never the core's reserved names
        (copies set aside while processors ran: leftovers, not files)."""
        try:
            for info in self.backend.scan(self.prefix):
                if not naming.is_reserved(info.name):
                    yield info.renamed(self.relative(info.name))
        except BackendError as exc:
            which = BackendError(
                f"Cannot list {self.label} ({self.backend.backend_name or type(self.backend).__name__} "
                f"backend): {exc}",
                exc.original,
            )
            which.advice = exc.advice  # (at the end of the message already)
            raise which from exc

    def overlaps(self, other: Location) -> bool:
        """Whether the two are one place, or one is inside the other: the same backend, or
        two backends in one space of names (:meth:`~fs_core.backend.BaseBackend.place`: two
        folders on disk, two storages of one bucket) one of whose folders holds the other's
        (``sync uploads /srv/files/uploads/backup``). A sync between them would copy into
        what it lists, and its ``--delete`` delete its source."""
        if self.backend is other.backend:
            mine, theirs = self.prefix or "", other.prefix or ""
        else:
            mine_place, their_place = self._place(), other._place()
            if mine_place is None or their_place is None or mine_place[0] != their_place[0]:
                return False
            mine, theirs = mine_place[1], their_place[1]
        return _inside(mine, theirs) or _inside(theirs, mine)

    def _place(self) -> tuple[str, str] | None:
        """This location's namespace and folder in it (its backend's place and prefix)."""
        place = self.backend.place()
        if place is None:
            return None
        namespace, folder = place
        return namespace, "/".join(part for part in (folder.strip("/"), self.prefix or "") if part)

    def __str__(self) -> str:
        return self.label


def _inside(folder: str, other: str) -> bool:
    """Whether ``folder`` is ``other`` or under it (whole segments; ``''`` is the root)."""
    return not other or folder == other or folder.startswith(other.rstrip("/") + "/")
