"""Content types as security decisions, made by construction.

Three rules, applied wherever a type is stored or sent (the ``fs`` view, and the redirects
to presigned URLs that backends make):

1. A declared type (an upload's ``Content-Type``) counts only if it is exactly one
   well-formed ``type/subtype`` (RFC 6838 names, optional well-formed parameters, which are
   dropped). ``text/plain,text/html`` is not one type: browsers render the last of such a
   list, so it is treated as no type at all and the type is guessed from the name
   (:func:`parse_content_type`, :func:`content_type_for`).
2. A file is shown inline only if its type is on an allow-list of types a browser renders
   without running anything (:data:`SAFE_INLINE_TYPES`: raster images, audio, video, plain
   text, PDF); every other type is sent as an attachment (:func:`renders_inline`). A storage
   may change the list (``INLINE_TYPES``) or allow every type inline
   (``INLINE_ACTIVE_CONTENT``).
3. Every response of the view carries a restrictive ``Content-Security-Policy`` with
   ``sandbox`` (:data:`DEFAULT_CONTENT_SECURITY_POLICY`), so that even a file shown inline by
   mistake runs nothing with the app's origin (``CONTENT_SECURITY_POLICY``, per storage).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .config import as_bool
from .errors import ConfigurationError
from .files import mime

__all__ = [
    "ACTIVE_CONTENT_TYPES",
    "DEFAULT_CONTENT_SECURITY_POLICY",
    "GENERIC_TYPES",
    "SAFE_INLINE_TYPES",
    "check_config",
    "content_security_policy",
    "content_type_for",
    "inline_types",
    "is_active_content",
    "parse_content_type",
    "renders_inline",
]

#: Types a browser shows without running anything from the file (no script, no markup):
#: shown inline by default. Everything else is sent as an attachment.
SAFE_INLINE_TYPES = frozenset(
    {
        # raster images (SVG is markup: not here)
        "image/png",
        "image/apng",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/tiff",
        # audio and video, played by the browser's own player
        "audio/aac",
        "audio/flac",
        "audio/mp4",
        "audio/mpeg",
        "audio/ogg",
        "audio/opus",
        "audio/wav",
        "audio/wave",
        "audio/x-wav",
        "audio/webm",
        "video/mp4",
        "video/ogg",
        "video/quicktime",
        "video/webm",
        # text, with nosniff; PDF in the browser's own viewer
        "text/plain",
        "application/pdf",
    }
)

#: The ``Content-Security-Policy`` every response of the ``fs`` view carries unless the
#: storage sets ``CONTENT_SECURITY_POLICY``: nothing may load or run, and the document gets a
#: unique origin (``sandbox``), so a file shown inline cannot act as the app. Images, video
#: and plain text still display (they are the document itself, not something it loads).
DEFAULT_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

#: Types a browser may execute (markup, script). Only used to refuse trusting a *declared*
#: type of this kind over the one of the file's name; what is shown inline is decided by
#: :data:`SAFE_INLINE_TYPES`, an allow-list. Every ``+xml`` type counts too.
ACTIVE_CONTENT_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "text/xsl",
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/javascript",
        "text/ecmascript",
        "application/x-shockwave-flash",
    }
)

#: Declared types that say nothing: the name's type is used instead.
GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})

# RFC 6838 section 4.2: type and subtype names.
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
# RFC 9110 section 5.6.2 and 5.6.4: parameter names and values.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[^\x00-\x08\x0a-\x1f\x7f])*"'
_MEDIA_TYPE = re.compile(
    rf"[ \t]*(?P<type>{_NAME})/(?P<subtype>{_NAME})"
    rf"(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*[ \t]*;?[ \t]*"
)
_MAX_LENGTH = 255


def parse_content_type(value: object) -> str | None:
    """``'type/subtype'``, lowercased, if ``value`` is exactly one well-formed media type;
    else ``None``. Parameters (``; charset=…``) must be well formed and are dropped.

    ``'text/plain,text/html'``, ``'image/png, text/html'``, ``'text/html;'x'``, ``'*/*'``,
    ``'text'`` and anything with a control character are ``None``.
    """
    if not isinstance(value, str) or not value or len(value) > _MAX_LENGTH:
        return None
    return _parsed_content_type(value)


@functools.lru_cache(maxsize=1024)
def _parsed_content_type(value: str) -> str | None:
    """:func:`parse_content_type` of a string (the same few types come on every request)."""
    match = _MEDIA_TYPE.fullmatch(value)
    if match is None:
        return None
    return f"{match['type']}/{match['subtype']}".lower()


def is_active_content(mimetype: str | None) -> bool:
    """Whether a browser may run script in a response of this type (markup or script).

    Anything that is not one well-formed type counts as active: it is not known to be safe.
    """
    value = parse_content_type(mimetype)
    return value is None or value in ACTIVE_CONTENT_TYPES or value.endswith("+xml")


def content_type_for(filename: str, declared: str | None = None) -> str:
    """The Content-Type to store a file with: the upload's own if it is one well-formed
    type, else the one of the name (``application/octet-stream`` if the name says nothing).

    A declared type a browser would run (``text/html`` for ``photo.jpg``) is not trusted
    over the name's either.
    """
    guessed = _stored_type(mime(filename))
    value = parse_content_type(declared)
    if value is None or value in GENERIC_TYPES:
        return guessed
    if is_active_content(value) and value != guessed:
        return guessed
    return value


@functools.lru_cache(maxsize=256)
def _stored_type(guessed: str | None) -> str:
    """A type guessed from a name, as stored (every save asks)."""
    return parse_content_type(guessed) or "application/octet-stream"


def _type_set(value: Any, key: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [item for item in value.split(",") if item.strip()]
    if not isinstance(value, Iterable):
        raise ConfigurationError(f"{key} must be a list of content types, not {value!r}")
    types = set()
    for item in value:
        parsed = parse_content_type(str(item).strip())
        if parsed is None:
            raise ConfigurationError(f"{key}: {item!r} is not a content type (type/subtype)")
        types.add(parsed)
    return frozenset(types)


def inline_types(config: Mapping[str, Any]) -> frozenset[str]:
    """The types a storage shows inline: ``INLINE_TYPES`` if set, else
    :data:`SAFE_INLINE_TYPES`."""
    value = config.get("inline_types")
    if value is None:
        return SAFE_INLINE_TYPES
    return _type_set(value, "INLINE_TYPES")


def renders_inline(mimetype: str | None, config: Mapping[str, Any]) -> bool:
    """Whether a storage with ``config`` shows a file of this type inline (else: attachment)."""
    if as_bool(config.get("inline_active_content"), "inline_active_content"):
        return True
    value = parse_content_type(mimetype)
    return value is not None and value in inline_types(config)


_NO_POLICY = frozenset({"", "0", "false", "no", "off", "none"})


def check_config(config: Mapping[str, Any], storage: str) -> None:
    """Refuse a storage's serving keys now (when it is configured) rather than on each
    request: ``INLINE_TYPES``, ``INLINE_ACTIVE_CONTENT``, ``CONTENT_SECURITY_POLICY``."""
    keys = f"{storage.upper()}_FS_{{key}} or FS_{{key}}"
    for key, check in (
        ("INLINE_TYPES", inline_types),
        (
            "INLINE_ACTIVE_CONTENT",
            lambda cfg: as_bool(cfg.get("inline_active_content"), "inline_active_content"),
        ),
        ("CONTENT_SECURITY_POLICY", content_security_policy),
    ):
        try:
            check(config)
        except ConfigurationError as exc:
            raise ConfigurationError(f"Storage {storage!r}, {keys.format(key=key)}: {exc}") from None


def content_security_policy(config: Mapping[str, Any]) -> str | None:
    """The ``Content-Security-Policy`` of a storage's responses: ``CONTENT_SECURITY_POLICY``
    if set (``False``, ``None``, ``''`` or a false word from the environment such as
    ``'false'`` for none), else :data:`DEFAULT_CONTENT_SECURITY_POLICY`."""
    value = config.get("content_security_policy", DEFAULT_CONTENT_SECURITY_POLICY)
    try:
        return _cached_policy(value)
    except TypeError:  # unhashable, so no string: refused by _policy
        return _policy(value)


def _policy(value: Any) -> str | None:
    """:func:`content_security_policy` of a ``CONTENT_SECURITY_POLICY`` value."""
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in _NO_POLICY):
        return None
    if not isinstance(value, str) or "\r" in value or "\n" in value or "\0" in value:
        raise ConfigurationError(f"CONTENT_SECURITY_POLICY must be one header value, not {value!r}")
    return value


# (Asked on every response. Typed: False, no policy, is equal to 0, which is refused.)
_cached_policy = functools.lru_cache(maxsize=64, typed=True)(_policy)
