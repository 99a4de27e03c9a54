"""HTTP responses for stored files, with the semantics a CDN expects.

:func:`send_stream` turns any backend stream into a response with ``ETag``,
``Last-Modified``, ``304`` on conditional requests and ``206``/``416`` for ranges, through
werkzeug's own ``make_conditional``. The stream is opened only when the body is sent, so a
``304`` or a ``HEAD`` costs no read, and a seekable stream serves a range without reading
the bytes before it.

:func:`finish_response` adds what the core decides for every backend: a
``Content-Disposition`` that is safe for any name, ``X-Content-Type-Options: nosniff``, and
attachment for types a browser would run (SVG, HTML, XML, JavaScript) unless the storage allows them inline.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import request
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from .files import is_active_content

__all__ = ["SEND_CHUNK", "LazyStream", "content_disposition", "finish_response", "send_stream"]

#: Block size used when the body is streamed through Python.
SEND_CHUNK = 256 * 1024


class LazyStream(io.RawIOBase):
    """A readable that calls ``opener()`` at its first use, so unread bodies cost nothing."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self._opener = opener
        self._stream: Any = None

    def _open(self) -> Any:
        if self._stream is None:
            self._stream = self._opener()
        return self._stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        stream = self._open()
        return bool(getattr(stream, "seekable", lambda: False)())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._open().seek(offset, whence)

    def tell(self) -> int:
        return self._open().tell()

    def readinto(self, buffer: Any) -> int:
        stream = self._open()
        readinto = getattr(stream, "readinto", None)
        if readinto is not None:
            return readinto(buffer) or 0
        data = stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        return self._open().read(size)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        super().close()


def send_stream(
    opener: Callable[[], Any],
    *,
    size: int,
    mimetype: str,
    etag: str | None = None,
    last_modified: dt.datetime | float | None = None,
) -> Response:
    """A conditional, range-aware response for the stream ``opener()`` returns.

    Must run inside a request: ``If-None-Match``, ``If-Modified-Since``, ``If-Range`` and
    ``Range`` are read from it.
    """
    environ = request.environ
    body = wrap_file(environ, LazyStream(opener), buffer_size=SEND_CHUNK)
    rv = Response(body, mimetype=mimetype, direct_passthrough=True)
    rv.content_length = size
    if etag:
        rv.set_etag(etag)
    if last_modified is not None:
        rv.last_modified = last_modified  # type: ignore[assignment]
    rv.cache_control.no_cache = True  # Storage.serve applies the storage's MAX_AGE
    return rv.make_conditional(environ, accept_ranges=True, complete_length=size)


def content_disposition(filename: str, attachment: bool = False) -> str:
    """A ``Content-Disposition`` value naming the file's base name safely.

    ASCII names are quoted; other names get an ASCII fallback and an RFC 5987
    ``filename*``, as werkzeug's ``send_file`` writes them. Quotes, backslashes and
    semicolons cannot break out of the value.
    """
    from werkzeug.http import dump_options_header

    name = posixpath.basename(filename) or "download"
    value = "attachment" if attachment else "inline"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        quoted = quote(name, safe="!#$&+-.^_`|~")
        return dump_options_header(value, {"filename": simple or "download", "filename*": f"UTF-8''{quoted}"})
    return dump_options_header(value, {"filename": name})


def finish_response(
    rv: Response,
    filename: str,
    *,
    inline_active_content: bool = False,
    as_attachment: bool = False,
    download_name: str | None = None,
    private: bool = False,
    max_age: int | None = None,
) -> Response:
    """Apply the core's serving rules to a backend's response."""
    if 300 <= rv.status_code < 400 and rv.location:
        return rv
    active = is_active_content(rv.mimetype)
    attachment = as_attachment or (active and not inline_active_content)
    if "Content-Disposition" not in rv.headers or attachment:
        rv.headers["Content-Disposition"] = content_disposition(download_name or filename, attachment)
    rv.headers["X-Content-Type-Options"] = "nosniff"
    if active and inline_active_content:
        # Allowed inline, but never with the app's origin privileges.
        rv.headers.setdefault("Content-Security-Policy", "sandbox")
    if max_age is not None:
        rv.cache_control.no_cache = None
        rv.cache_control.max_age = max_age
    if private:
        rv.cache_control.private = True
        rv.cache_control.public = None
    return rv
