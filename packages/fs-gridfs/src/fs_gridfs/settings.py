"""The ``gridfs`` backend's configuration: every key, its default, and its validation.

Read once, when a storage is configured, from the core's cascade (``FS_GRIDFS_<KEY>`` <
``<NAME>_FS_<KEY>``). Nothing here contacts MongoDB or imports pymongo: a storage configured
while the server is down still lets the app start, and a wrong value is a
:class:`~fs_core.errors.ConfigurationError` naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from fs_core.config import Config
from fs_core.errors import ConfigurationError

__all__ = ["MAX_CHUNK_SIZE", "GridFSSettings", "KiB", "MiB", "redact"]

KiB = 1 << 10
MiB = 1 << 20
#: GridFS's default chunk size (pymongo's ``DEFAULT_CHUNK_SIZE``).
DEFAULT_CHUNK_SIZE = 255 * KiB
#: A chunk is one BSON document, and documents stop at 16 MiB (its header included).
MAX_CHUNK_SIZE = 15 * MiB
# Characters MongoDB refuses in collection and database names.
_BAD_COLLECTION = re.compile(r"[$\x00]")
_BAD_DATABASE = re.compile(r'[/\\. "$*<>:|?\x00]')
_USERINFO = re.compile(r"(?<=://)([^/@]*)@")


def redact(url: str) -> str:
    """``url`` without its password (``mongodb://user:***@host``), for messages and logs."""

    def hide(match: re.Match[str]) -> str:
        user, colon, _ = match.group(1).partition(":")
        return f"{user}:***@" if colon else f"{user}@"

    return _USERINFO.sub(hide, url, count=1)


@dataclass(frozen=True)
class GridFSSettings:
    """One storage's GridFS settings, resolved and checked."""

    storage: str
    url: str
    database: str
    #: The GridFS bucket: collections ``<bucket>.files``, ``<bucket>.chunks`` and
    #: ``<bucket>.names`` (fs-gridfs's own: which version of each name is live).
    bucket: str
    chunk_size: int = DEFAULT_CHUNK_SIZE
    #: Bytes of chunks sent per ``insert_many`` while saving (what a save holds, about).
    write_buffer: int = 4 * MiB
    #: Most bytes of chunks fetched per query while reading (what a reader holds, about).
    read_ahead: int = 4 * MiB
    server_selection_timeout: float = 10.0
    client_options: Mapping[str, Any] = field(default_factory=dict)
    #: ``None``: :class:`pymongo.MongoClient`; else a class (or ``"module:Class"``) called as it.
    client_class: Any = None

    @classmethod
    def from_config(cls, name: str, config: Config) -> GridFSSettings:
        """Build the settings of storage ``name`` from its resolved ``config``."""
        hint = f"FS_GRIDFS_{{KEY}} or {name.upper()}_FS_{{KEY}}"
        url = _str(config.get("mongo_url"))
        if not url:
            raise ConfigurationError(
                f"Storage {name!r}: set MONGO_URL ({hint.format(KEY='MONGO_URL')}), "
                f"e.g. 'mongodb://localhost:27017'"
            )
        if not url.startswith(("mongodb://", "mongodb+srv://")):
            raise ConfigurationError(
                f"Storage {name!r}: MONGO_URL must start with mongodb:// or mongodb+srv://, "
                f"not {redact(url)!r}"
            )
        database = _str(config.get("mongo_db")) or _database_in(url)
        if not database:
            raise ConfigurationError(
                f"Storage {name!r}: set MONGO_DB ({hint.format(KEY='MONGO_DB')}), or name the "
                f"database in MONGO_URL ('mongodb://host/<database>')"
            )
        if _BAD_DATABASE.search(database) or len(database.encode()) > 63:
            raise ConfigurationError(f"MONGO_DB {database!r} is not a valid MongoDB database name")
        bucket = _str(config.get("bucket")) or name
        if _BAD_COLLECTION.search(bucket) or bucket.startswith(("system.", ".")) or bucket.endswith("."):
            raise ConfigurationError(
                f"Storage {name!r}: {bucket!r} is not a valid GridFS bucket name (no '$', no NUL, "
                f"not starting with 'system.'); set BUCKET ({name.upper()}_FS_BUCKET)"
            )
        chunk_size = config.get_size("chunk_size", DEFAULT_CHUNK_SIZE)
        if chunk_size > MAX_CHUNK_SIZE:
            raise ConfigurationError(
                f"CHUNK_SIZE must be at most 15 MiB (a chunk is one BSON document), not {chunk_size}"
            )
        client_options = config.get("client_options") or {}
        if not isinstance(client_options, Mapping):
            raise ConfigurationError(
                f"CLIENT_OPTIONS must be a dict of MongoClient keyword arguments, not {client_options!r}"
            )
        return cls(
            storage=name,
            url=url,
            database=database,
            bucket=bucket,
            chunk_size=chunk_size,
            write_buffer=config.get_size("write_buffer", 4 * MiB),
            read_ahead=config.get_size("read_ahead", 4 * MiB),
            server_selection_timeout=config.get_seconds("server_selection_timeout", 10.0),
            client_options=dict(client_options),
            client_class=config.get("client_class") or None,
        )

    @property
    def shown_url(self) -> str:
        """The URL without its password."""
        return redact(self.url)

    @property
    def chunks_per_write(self) -> int:
        """Chunks sent per ``insert_many``: ``WRITE_BUFFER`` worth, at least one."""
        return max(1, self.write_buffer // self.chunk_size)

    @property
    def chunks_per_read(self) -> int:
        """Most chunks fetched per query: ``READ_AHEAD`` worth, at least one."""
        return max(1, self.read_ahead // self.chunk_size)


def _database_in(url: str) -> str | None:
    """The database named in the path of a MongoDB URL (``mongodb://h1,h2/db?opts``)."""
    rest = url.split("://", 1)[1]
    _, slash, path = rest.partition("/")
    if not slash:
        return None
    return unquote(path.split("?", 1)[0]) or None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
