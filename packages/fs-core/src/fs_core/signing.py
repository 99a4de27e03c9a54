"""Signed, expiring URLs to the ``fs.get_file`` view, for backends without signed URLs of
their own (local, memory) and for private storages.

The signature is an HMAC (itsdangerous, SHA-256) of the storage name, the file name, the
expiry time and how the file is to be served (attachment, download name), keyed by the
app's ``SECRET_KEY``: it cannot be moved to another file or storage, extended, or made to
serve the file under another name.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from flask import Flask
from itsdangerous import Signer

from .errors import ConfigurationError

__all__ = ["sign", "verify"]

_SALT = "fs_core.signed-url"
#: The query arguments a signed URL carries.
_SIGNED_ARGS = ("expires", "signature", "download", "name")


def _signer(app: Flask) -> Signer:
    key = app.config.get("SECRET_KEY")
    if not key:
        raise ConfigurationError("Signed URLs need a secret: set SECRET_KEY in the app's configuration")
    return Signer(key, salt=_SALT, digest_method=hashlib.sha256)


def _payload(storage: str, filename: str, expires: int, attachment: bool, download_name: str | None) -> bytes:
    # Storage and file names hold no newline; the download name, which may, comes last.
    return f"{storage}\n{filename}\n{expires}\n{int(attachment)}\n{download_name or ''}".encode()


def sign(
    app: Flask,
    storage: str,
    filename: str,
    expires_in: int,
    *,
    attachment: bool = False,
    download_name: str | None = None,
) -> dict[str, str]:
    """Query arguments that grant access to ``filename`` for ``expires_in`` seconds, served
    as an attachment and under ``download_name`` if given (both signed: a client can
    change neither)."""
    expires = int(time.time()) + int(expires_in)
    payload = _payload(storage, filename, expires, attachment, download_name)
    query = {"expires": str(expires), "signature": _signer(app).get_signature(payload).decode("ascii")}
    if attachment:
        query["download"] = "1"
    if download_name:
        query["name"] = download_name
    return query


def verify(app: Flask, storage: str, filename: str, args: Mapping[str, str]) -> bool:
    """Whether the query arguments ``args`` are a valid, unexpired signature for this file.

    Canonical only: one grant has one URL, so ``expires`` must be written as :func:`sign`
    writes it (no leading zeros, no sign) and ``signature`` be exactly the signature
    (base64 decoding would accept padding or other spellings of the same bytes).

    Never raises: arguments a client made up (``expires=²``), or an app without
    ``SECRET_KEY`` (which cannot have signed anything), are simply not a valid signature.
    """
    if not args or "signature" not in args:
        return False  # (most requests)
    getlist = getattr(args, "getlist", None)
    if getlist is not None and any(len(getlist(key)) > 1 for key in _SIGNED_ARGS):
        return False  # one grant, one URL: no second value for a signed argument
    expires, signature = args.get("expires"), args.get("signature")
    # str.isdigit() accepts '²' (int() refuses it) and other scripts' digits: ASCII only; and
    # 20 digits at most (int() of thousands of digits is refused, or slow).
    if not expires or not signature or len(expires) > 20 or not (expires.isascii() and expires.isdigit()):
        return False
    if expires != str(int(expires)) or int(expires) < time.time() or not app.config.get("SECRET_KEY"):
        return False
    if args.get("download", "1") != "1" or args.get("name", "x") == "":
        return False  # sign() writes download=1 or nothing, a name or nothing
    payload = _payload(storage, filename, int(expires), args.get("download") == "1", args.get("name"))
    expected = _signer(app).get_signature(payload).decode("ascii")
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))
