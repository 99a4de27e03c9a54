"""Listing and deleting many objects: every page of a container, and bulk deletes.

Swift returns at most 10,000 names a request (``container_listing_limit``): :func:`list_objects`
follows the pages with ``marker`` until the last, so a listing has no upper bound (Flask-FS
stopped at the first page). :func:`delete_objects` sends the ``bulk`` middleware's
``?bulk-delete`` (up to :data:`BULK_BATCH` names a request) where the cluster offers it, and
one ``DELETE`` per object elsewhere; an object already gone is not an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from swiftclient import Connection
from swiftclient.exceptions import ClientException

from fs_core.errors import BackendError

__all__ = ["BULK_BATCH", "delete_object", "delete_objects", "list_objects"]

#: Names per bulk-delete request. Swift allows 10,000, but deletes about 250 a second with its
#: default concurrency, all in one open request: smaller batches stay well inside a timeout.
BULK_BATCH = 1000
PAGE = 10_000
#: The bulk middleware refuses a line longer than twice its longest path (1,282 bytes with
#: Swift's default name limits): a name whose quoted path is longer (1,000 bytes of UTF-8
#: quote to 3,000) is deleted with a DELETE of its own.
BULK_MAX_LINE = 2048


def list_objects(conn: Connection, container: str, prefix: str) -> Iterator[dict[str, Any]]:
    """Every object of ``container`` whose name starts with ``prefix``, page by page (each
    item has ``name``, ``bytes``, ``hash``, ``last_modified``, ``content_type``)."""
    marker = ""
    while True:
        _, page = conn.get_container(container, prefix=prefix or None, marker=marker or None, limit=PAGE)
        if not page:
            return
        yield from page
        marker = page[-1]["name"]
        if len(page) < PAGE:
            return


def delete_objects(
    conn: Connection, container_paths: Iterable[tuple[str, str]], bulk: int, storage: str
) -> int:
    """Delete each ``(container, object)``; ``bulk``: names per bulk-delete request (``0``:
    one DELETE each). Returns how many were deleted; raises :class:`BackendError` (with the
    first failure) if some could not be."""
    deleted = 0
    batch: list[str] = []
    for container, name in container_paths:
        if not bulk:
            deleted += delete_object(conn, container, name)
            continue
        line = quote(f"/{container}/{name}")
        if len(line) > BULK_MAX_LINE:
            deleted += delete_object(conn, container, name)
            continue
        batch.append(line)
        if len(batch) >= bulk:
            deleted += _bulk_delete(conn, batch, storage)
            batch = []
    if batch:
        deleted += _bulk_delete(conn, batch, storage)
    return deleted


def delete_object(conn: Connection, container: str, name: str) -> bool:
    """Delete one object; ``False`` if it was not there (gone already is not an error)."""
    try:
        conn.delete_object(container, name)
    except ClientException as exc:
        if exc.http_status != 404:
            raise
        return False
    return True


def _bulk_delete(conn: Connection, paths: list[str], storage: str) -> int:
    response: dict[str, Any] = {}
    body = conn.post_account(
        headers={"Content-Type": "text/plain", "Accept": "application/json"},
        query_string="bulk-delete",
        data="\n".join(paths).encode(),
        response_dict=response,
    )
    # The HTTP status is 200 whatever happened: the outcome is in the body.
    result = json.loads(body[1] if isinstance(body, tuple) else body)
    errors = result.get("Errors") or []
    status = str(result.get("Response Status", ""))
    if errors or not status.startswith("2"):
        first = errors[0] if errors else ["", status]
        raise BackendError(
            f"Storage {storage!r}: Swift could not delete {len(errors) or len(paths)} of {len(paths)} "
            f"objects (first: {first[0]!r}: {first[1]})"
        )
    return int(result.get("Number Deleted", 0))
