"""The URLs of a storage's files: public (its own, a CDN's), the ``fs`` view's, and signed.

Part of the Flask layer: the view's URLs are built with ``url_for`` and a URL without a
scheme takes the request's. The cascade of ``URL`` keys is :func:`fs_core.config.public_url`.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import has_request_context, request, url_for
from werkzeug.routing import BuildError

from . import config, naming, signing
from .errors import ConfigurationError, OperationNotSupported
from .state import BoundStorage

__all__ = ["base_url", "has_url", "signed_url", "url"]

#: Lifetime of a signed URL when neither the call nor ``SIGNED_URL_EXPIRES`` gives one.
DEFAULT_SIGNED_URL_EXPIRES = 3600


def _public(bound: BoundStorage) -> str | None:
    url = config.public_url(bound.app.config, bound.config, bound.name, bound.backend_name)
    if url is None:
        return None
    if "://" not in url and not url.startswith("//"):
        scheme = (
            request.scheme if has_request_context() else bound.app.config.get("PREFERRED_URL_SCHEME", "http")
        )
        url = f"{scheme}://{url}"
    return url if url.endswith("/") else url + "/"


def _view(bound: BoundStorage, filename: str, external: bool, **query: str) -> str:
    try:
        return url_for("fs.get_file", fs=bound.name, filename=filename, _external=external, **query)
    except (RuntimeError, BuildError) as exc:
        raise ConfigurationError(
            f"Cannot build a URL for storage {bound.name!r} outside a request: set "
            f"SERVER_NAME, or a public URL ({bound.name.upper()}_FS_URL or FS_URL). ({exc})"
        ) from exc


def base_url(bound: BoundStorage) -> str:
    """The storage root's public URL, or (always for a private storage) the view's."""
    return _public(bound) or _view(bound, "", external=True)


def has_url(bound: BoundStorage) -> bool:
    """Whether the storage has a public URL of its own."""
    return _public(bound) is not None


def url(bound: BoundStorage, name: str, external: bool = False) -> str:
    """The URL ``name`` is served at; :class:`OperationNotSupported` for a private storage."""
    if bound.config.get_bool("private"):
        raise OperationNotSupported(
            f"Storage {bound.name!r} is private and has no public URL: use signed_url()"
        )
    public = _public(bound)
    return public + quote(name) if public else _view(bound, name, external)


def signed_url(
    bound: BoundStorage,
    name: str,
    expires: int | None = None,
    *,
    method: str = "GET",
    download_name: str | None = None,
    as_attachment: bool = False,
    external: bool = True,
) -> str:
    """The service's own signed URL where the backend has one, else a signed URL of the view."""
    if download_name is not None:
        naming.check_chars(download_name)  # it becomes a header value
    if expires is None:
        expires = bound.config.get_int("signed_url_expires") or DEFAULT_SIGNED_URL_EXPIRES
    signed = bound.backend.signed_url(
        name, int(expires), method=method, download_name=download_name, as_attachment=as_attachment
    )
    if signed:
        return signed
    if method.upper() != "GET":
        raise OperationNotSupported(f"Backend {bound.backend_name!r} cannot sign {method} URLs")
    if not config.serve_enabled(bound.config.get("serve", True)):
        raise OperationNotSupported(
            f"Storage {bound.name!r} has SERVE off, so the fs view would answer 404 to a "
            f"signed URL; turn {bound.name.upper()}_FS_SERVE on"
        )
    query = signing.sign(
        bound.app, bound.name, name, int(expires), attachment=as_attachment, download_name=download_name
    )
    return _view(bound, name, external, **query)
