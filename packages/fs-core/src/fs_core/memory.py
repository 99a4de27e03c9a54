"""The ``memory`` backend: files in a dict, for an application's own tests.

It follows the whole backend contract (atomic create-only writes included), so code tested
against it behaves the same on a real backend. Content lives as long as the backend, i.e. as
long as the app that configured the storage; it is never shared between apps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from . import streams
from .backend import ATOMIC_CREATE, BaseBackend
from .errors import FileExists, FileNotFound
from .listing import FileInfo
from .naming import under

__all__ = ["MemoryBackend"]


@dataclass(frozen=True)
class _Entry:
    data: bytes
    mime: str | None
    modified: dt.datetime
    checksum: str


class MemoryBackend(BaseBackend):
    """Keeps every file in memory; set ``{NAME}_FS_BACKEND = 'memory'`` in tests."""

    capabilities = frozenset({ATOMIC_CREATE})

    def __init__(self, name: str, config: Any = None) -> None:
        super().__init__(name, config)
        self._files: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _get(self, filename: str) -> _Entry:
        try:
            return self._files[filename]
        except KeyError:
            raise FileNotFound(filename) from None

    def exists(self, filename: str) -> bool:
        return filename in self._files

    def open_read(self, filename: str) -> BinaryIO:
        return io.BytesIO(self._get(filename).data)

    def save(
        self,
        file_or_wfs: Any,
        filename: str,
        overwrite: bool = False,
        content_type: str | None = None,
    ) -> str:
        if not overwrite and filename in self._files:
            raise FileExists(filename)
        buffer = io.BytesIO()
        streams.copy_stream(streams.as_stream(file_or_wfs), buffer.write, self.chunk_size)
        data = buffer.getvalue()
        entry = _Entry(
            data=data,
            mime=content_type,
            modified=dt.datetime.now(dt.timezone.utc),
            checksum=f"sha256:{hashlib.sha256(data).hexdigest()}",
        )
        with self._lock:
            if not overwrite and filename in self._files:
                raise FileExists(filename)
            self._files[filename] = entry
        return filename

    def delete(self, filename: str) -> None:
        with self._lock:
            self._files.pop(filename, None)
            for name in list(under(filename, self._files)):
                del self._files[name]

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        return iter(list(under(prefix, list(self._files))))

    def get_metadata(self, filename: str) -> dict[str, Any]:
        entry = self._get(filename)
        return {
            "checksum": entry.checksum,
            "size": len(entry.data),
            "mime": entry.mime,
            "modified": entry.modified,
        }

    def scan(self, prefix: str | None = None) -> Iterator[FileInfo]:
        files = dict(self._files)
        for name in under(prefix, list(files)):
            entry = files[name]
            yield FileInfo(name, len(entry.data), entry.modified, entry.checksum, entry.mime)

    def copy_from(self, source: BaseBackend, filename: str, target: str, overwrite: bool = False) -> bool:
        """Between two memory storages of one process: the entry is shared, not copied."""
        if not isinstance(source, MemoryBackend):
            return False
        entry = source._get(filename)
        with self._lock:
            if not overwrite and target in self._files:
                raise FileExists(target)
            self._files[target] = dataclasses.replace(entry, modified=dt.datetime.now(dt.timezone.utc))
        return True

    def copy(self, filename: str, target: str, overwrite: bool = False) -> str:
        with self._lock:
            entry = self._get(filename)
            if not overwrite and target in self._files:
                raise FileExists(target)
            self._files[target] = entry
        return target

    def move(self, filename: str, target: str, overwrite: bool = False) -> str:
        with self._lock:
            entry = self._get(filename)
            if not overwrite and target in self._files:
                raise FileExists(target)
            self._files[target] = entry
            if target != filename:
                del self._files[filename]
        return target
