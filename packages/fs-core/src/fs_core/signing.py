"""Signed, expiring URLs to the ``fs.get_file`` view, for backends without signed URLs of
their own (local, memory) and for private storages.

The signature is an HMAC (itsdangerous, SHA-256) of the storage name, the file name and the
expiry time, keyed by the app's ``SECRET_KEY``: it cannot be moved to another file or
storage, nor extended.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask
from itsdangerous import BadSignature, Signer

from .errors import ConfigurationError

__all__ = ["sign", "verify"]

_SALT = "fs_core.signed-url"


def _signer(app: Flask) -> Signer:
    key = app.config.get("SECRET_KEY")
    if not key:
        raise ConfigurationError("Signed URLs need a secret: set SECRET_KEY in the app's configuration")
    return Signer(key, salt=_SALT, digest_method=hashlib.sha256)


def _payload(storage: str, filename: str, expires: int) -> bytes:
    return f"{storage}\n{filename}\n{expires}".encode()


def sign(app: Flask, storage: str, filename: str, expires_in: int) -> dict[str, str]:
    """Query arguments that grant access to ``filename`` for ``expires_in`` seconds."""
    expires = int(time.time()) + int(expires_in)
    signature = _signer(app).get_signature(_payload(storage, filename, expires))
    return {"expires": str(expires), "signature": signature.decode("ascii")}


def verify(app: Flask, storage: str, filename: str, expires: str | None, signature: str | None) -> bool:
    """Whether the query arguments are a valid, unexpired signature for this file.

    Never raises: arguments a client made up (``expires=²``), or an app without
    ``SECRET_KEY`` (which cannot have signed anything), are simply not a valid signature.
    """
    # str.isdigit() accepts '²' (int() refuses it) and other scripts' digits: ASCII only.
    if not expires or not signature or not (expires.isascii() and expires.isdigit()):
        return False
    if int(expires) < time.time() or not app.config.get("SECRET_KEY"):
        return False
    try:
        return _signer(app).verify_signature(
            _payload(storage, filename, int(expires)), signature.encode("ascii")
        )
    except (BadSignature, UnicodeEncodeError):
        return False
