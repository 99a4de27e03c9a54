"""Signed URLs of Swift's ``tempurl`` middleware, and the key they are signed with.

A TempURL is the object's URL with ``temp_url_sig`` (an HMAC of the method, the expiry and the
path, with a key the cluster knows) and ``temp_url_expires``. The key is ``TEMP_URL_KEY``; with
``SET_TEMP_URL_KEY`` it is stored as the **container's** key on first use (a container key opens
that container only, needs no account-level rights, and leaves the account's keys, which other
applications may sign with, untouched). Without ``TEMP_URL_KEY`` the container's key, else the
account's, is read from the cluster (which shows them to users who may write).

``filename`` and ``inline`` make Swift send ``Content-Disposition`` (``attachment; filename=…``,
or ``inline; filename=…``); Swift cannot be told to send another Content-Type than the stored one.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from swiftclient.utils import generate_temp_url

__all__ = ["KEY_HEADERS", "pick_key_slot", "sign"]

#: Where a container keeps its TempURL keys (two, so that a key can be rotated).
KEY_HEADERS = ("x-container-meta-temp-url-key", "x-container-meta-temp-url-key-2")
ACCOUNT_KEY_HEADERS = ("x-account-meta-temp-url-key", "x-account-meta-temp-url-key-2")


def sign(
    storage_url: str,
    container: str,
    key_name: str,
    *,
    secret: str,
    expires: int,
    method: str,
    digest: str,
    filename: str | None = None,
    inline: bool = False,
) -> str:
    """A TempURL of ``key_name`` in ``container`` for ``method``, valid ``expires`` seconds.

    The signature covers the unquoted path (what the middleware compares); the URL carries it
    quoted. ``filename`` (a base name is used) and ``inline`` set the response's disposition.
    """
    base = urlsplit(storage_url)
    path = f"{base.path.rstrip('/')}/{container}/{key_name}"
    signed = generate_temp_url(path, expires, secret, method.upper(), digest=digest)
    _, _, query = signed.rpartition("?")  # the path itself may hold a "?"
    extra: list[tuple[str, str]] = []
    if filename is not None:
        extra.append(("filename", posixpath.basename(filename) or "download"))
    query = "&".join(part for part in (query, urlencode(extra), "inline" if inline else "") if part)
    return urlunsplit((base.scheme, base.netloc, quote(path), query, ""))


def pick_key_slot(headers: dict[str, str], secret: str, prefix: str = "x-container-meta-") -> str | None:
    """The header to store ``secret`` in: ``None`` if a slot holds it already, else the first
    empty slot; raises ``ValueError`` if both hold other keys."""
    slots = (f"{prefix}temp-url-key", f"{prefix}temp-url-key-2")
    if any(headers.get(slot) == secret for slot in slots):
        return None
    for slot in slots:
        if not headers.get(slot):
            return slot
    raise ValueError("both TempURL key slots hold other keys")
