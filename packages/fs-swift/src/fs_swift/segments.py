"""Static Large Objects: segment names, uploading segments, and finding orphaned ones.

An object above ``SLO_THRESHOLD`` goes up as segments of ``SEGMENT_SIZE`` into the segment
container, then as a manifest under its own name (the ``slo`` middleware serves it as the
concatenation, ranges included). Segments are named ``<object name>/<upload token>/<n>``:

* the token, also kept in the manifest's metadata (``X-Object-Meta-Fs-Upload``), tells which
  segments the manifest in place uses, so segments of an interrupted upload (a killed
  process) or of a replaced manifest are recognised as leftovers;
* the object name first puts every segment of a folder under one prefix, so ``delete("a")``
  finds the segments of ``a`` and of everything under ``a/`` in one listing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from swiftclient import Connection

from fs_core.leftovers import Leftover, is_older

from .uploads import UploadBody, read_head

__all__ = [
    "SEGMENT_SUFFIX",
    "UPLOAD_META",
    "Segment",
    "SegmentGroup",
    "group_segments",
    "new_token",
    "upload_segments",
]

#: Metadata header of a manifest (and of create-only objects): the upload's random token.
UPLOAD_META = "X-Object-Meta-Fs-Upload"
SEGMENT_TYPE = "application/octet-stream"
#: What a segment's name adds to its object's name: ``/<upload token>/<8 digits>``.
SEGMENT_SUFFIX = len(f"/{uuid.uuid4().hex}/{0:08d}")


def new_token() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Segment:
    """One uploaded segment, as a manifest lists it."""

    path: str  # /<segment container>/<name>
    etag: str
    size: int

    def manifest_entry(self) -> dict[str, Any]:
        return {"path": self.path, "etag": self.etag, "size_bytes": self.size}


def upload_segments(
    conn: Connection,
    source: Any,
    *,
    container: str,
    prefix: str,
    segment_size: int,
    size: int | None,
    head: bytes = b"",
    max_segments: int,
    done: list[Segment],
) -> None:
    """PUT ``source`` from its position as segments ``prefix + '%08d'`` of ``container``,
    appending each to ``done`` as soon as it is stored (so a caller can delete them after a
    failure). ``size``: bytes left in the stream if known (each segment then declares its
    length); ``head``: bytes already read from it."""
    offset = 0
    pending = head
    while True:
        if size is not None:
            length: int | None = min(segment_size, size - offset)
            if not length and done:
                return
            body = UploadBody(source, length, exact=True)
        else:
            first, pending = pending[:segment_size], pending[segment_size:]
            if not first:
                first = read_head(source, min(segment_size, 64 * 1024))
                if not first and done:
                    return
            body = UploadBody(source, segment_size, head=first)
            length = None
        if len(done) >= max_segments:
            raise ValueError(
                f"the file needs more than {max_segments} segments (the cluster's limit): raise SEGMENT_SIZE"
            )
        name = f"{prefix}{len(done):08d}"
        etag = conn.put_object(container, name, body, content_length=length, content_type=SEGMENT_TYPE)
        done.append(Segment(f"/{container}/{name}", etag, body.sent))
        offset += body.sent
        if (body.ended and not pending) or (size is not None and offset >= size):
            return


def manifest(segments: list[Segment]) -> str:
    return json.dumps([s.manifest_entry() for s in segments])


@dataclass
class SegmentGroup:
    """The segments of one upload: ``<key>/<token>/<n>`` sharing ``key`` and ``token``."""

    key: str
    token: str
    names: list[str] = field(default_factory=list)
    size: int = 0
    modified: dt.datetime = field(default_factory=lambda: dt.datetime.min.replace(tzinfo=dt.timezone.utc))


def group_segments(items: Iterator[dict[str, Any]]) -> Iterator[SegmentGroup]:
    """Group a listing of the segment container (sorted by name, as Swift lists) by upload."""
    current: SegmentGroup | None = None
    for item in items:
        key, _, rest = item["name"].rpartition("/")
        key, _, token = key.rpartition("/")
        if not key or not token or not rest.isdigit():
            continue  # not a segment of ours
        if current is None or (current.key, current.token) != (key, token):
            if current is not None:
                yield current
            current = SegmentGroup(key, token)
        current.names.append(item["name"])
        current.size += int(item.get("bytes") or 0)
        modified = dt.datetime.fromisoformat(item["last_modified"]).replace(tzinfo=dt.timezone.utc)
        current.modified = max(current.modified, modified)
    if current is not None:
        yield current


def orphaned(
    groups: Iterator[SegmentGroup], older_than: float, token_of: Callable[[str], str | None], start: int
) -> Iterator[Leftover]:
    """The groups older than ``older_than`` seconds that the manifest at their key does not
    use (``token_of(key)``: the upload token of the object at ``key``, ``None`` if absent).
    ``start``: length of the storage's key prefix (names are shown without it)."""
    for group in groups:
        if not is_older(group.modified, older_than) or token_of(group.key) == group.token:
            continue
        yield Leftover(
            f"{len(group.names)} segments of an unfinished or replaced upload of {group.key[start:]!r}",
            group.modified,
            group.size,
            ref=tuple(group.names),
        )
