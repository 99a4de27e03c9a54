"""fs-core's own plugin: the ``memory`` backend and the extension policy that runs last."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .files import extension
from .hookspecs import RegisterBackend, hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from .storage import Storage


@hookimpl
def register_backends(register: RegisterBackend) -> None:
    register("memory", "fs_core.memory:MemoryBackend")


@hookimpl(trylast=True)
def file_allowed(storage: Storage, filename: str) -> bool:
    return storage.extension_allowed(extension(filename))
