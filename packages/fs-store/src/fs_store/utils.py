"""Flask-Store's path helpers (``flask_store.utils``), and the joins its providers use."""

from __future__ import annotations

__all__ = ["is_path", "path_to_uri", "url_join"]


def path_to_uri(path: str) -> str:
    """``\\`` becomes ``/``: a path written on Windows, as part of a URL (Flask-Store's)."""
    return path.replace("\\", "/")


def is_path(value: object) -> bool:
    """Whether ``value`` is a string (Flask-Store took strings for paths)."""
    return isinstance(value, (str, bytes))


def url_join(*parts: str | None) -> str:
    """Join URL or key parts with single slashes, skipping empty ones; a leading slash of the
    first part is kept (``url_join('/a/', '/b', 'c/')`` is ``'/a/b/c'``)."""
    kept = [p for p in parts if p and p.strip("/")]
    joined = "/".join(p.strip("/") for p in kept)
    return f"/{joined}" if parts and parts[0] and parts[0].startswith("/") else joined
