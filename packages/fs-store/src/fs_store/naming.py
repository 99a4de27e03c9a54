"""Names of stored files: Flask-Store's short unique suffix for a name that is taken."""

from __future__ import annotations

import secrets

from fs_core.naming import MAX_NAME_BYTES, join_name, marked, room_in, validate_name

__all__ = ["store_name", "suffixed", "unique_suffix"]


def store_name(destination: str | None, filename: str) -> str:
    """The storage name of ``filename`` in ``destination``: each validated as it is (a
    leading ``/`` or a ``..`` is refused, never stripped), then joined."""
    validate_name(filename)
    return join_name(destination, filename)


def unique_suffix() -> str:
    """A short URL-safe random token (11 characters, 64 bits)."""
    return secrets.token_urlsafe(8)


def suffixed(filename: str, limit: int = MAX_NAME_BYTES) -> str:
    """``a/photo.jpg`` → ``a/photo_<unique_suffix()>.jpg``: the folder and extension kept,
    the stem shortened if the name would be longer than a segment may be, or than ``limit``
    (the backend's ``max_name_bytes``) in all (:func:`fs_core.naming.marked`)."""
    folder, _, base = filename.rpartition("/")
    name = marked(base, f"_{unique_suffix()}", room_in(folder, limit))
    return f"{folder}/{name}" if folder else name
