"""HTTP responses for stored files, with the semantics a CDN expects.

:func:`send_stream` turns any backend stream into a response with ``ETag``,
``Last-Modified``, ``304`` on conditional requests and ``206``/``416`` for ranges, through
werkzeug's own ``make_conditional``. The stream is opened only when the body is sent, so a
``304`` or a ``HEAD`` costs no read, and a seekable stream serves a range without reading
the bytes before it.

:func:`finish_response` adds what the core decides for every backend (see
:mod:`fs_core.content_types`): one well-formed ``Content-Type``, a ``Content-Disposition``
that is safe for any name and says ``attachment`` unless the type is on the storage's inline
allow-list, ``X-Content-Type-Options: nosniff`` and a sandboxing ``Content-Security-Policy``.

:func:`normalize_range` makes werkzeug's range handling follow RFC 9110: a ``Range`` header
that cannot be parsed, names another unit, or asks for several ranges is ignored (``200``
with the whole file) rather than refused with ``416``, and a suffix longer than the file
selects the whole file.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import posixpath
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import quote

from werkzeug.http import is_resource_modified, parse_range_header
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from .content_types import content_security_policy, parse_content_type, renders_inline
from .files import mime

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment

__all__ = [
    "SEND_CHUNK",
    "LazyStream",
    "content_disposition",
    "current_environ",
    "disposition_for",
    "finish_response",
    "http_date",
    "normalize_range",
    "send_stream",
]

#: Block size used when the body is streamed through Python.
SEND_CHUNK = 256 * 1024


class LazyStream(io.RawIOBase):
    """A readable that calls ``opener()`` at its first use, so unread bodies cost nothing."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self._opener = opener
        self._stream: IO[bytes] | None = None

    def _open(self) -> IO[bytes]:
        if self._stream is None:
            self._stream = self._opener()
        return self._stream

    def open_now(self) -> None:
        """Call ``opener()`` now (its errors raise here), not at the first read."""
        self._open()

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


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(timestamp: float) -> str:
    """``Last-Modified``'s value for a POSIX ``timestamp`` (``Sun, 06 Nov 1994 08:49:37 GMT``):
    what werkzeug's ``http_date`` writes, without its ``datetime`` and ``email.utils`` round
    trip (a fifth of the cost of an offloaded answer)."""
    t = time.gmtime(timestamp)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def current_environ() -> WSGIEnvironment:
    """The WSGI environ of the current Flask request, for callers of Flask-FS's time that
    pass none (the core passes the request's to backends)."""
    from flask import request

    return request.environ


def send_stream(
    opener: Callable[[], Any],
    *,
    environ: WSGIEnvironment | None = None,
    size: int,
    mimetype: str,
    etag: str | None = None,
    last_modified: dt.datetime | float | None = None,
) -> Response:
    """A conditional, range-aware response for the stream ``opener()`` returns, to the request
    whose WSGI ``environ`` is given (``If-None-Match``, ``If-Modified-Since``, ``If-Range`` and
    ``Range`` are read from it; the current Flask request's if ``None``)."""
    environ = environ if environ is not None else current_environ()
    environ = normalize_range(environ, size, etag=etag, last_modified=last_modified)
    stream = LazyStream(opener)
    body = wrap_file(environ, cast(IO[bytes], stream), buffer_size=SEND_CHUNK)  # a RawIOBase
    rv = Response(body, mimetype=mimetype, direct_passthrough=True)
    rv.content_length = size
    if etag:
        rv.set_etag(etag)
    if last_modified is not None:
        rv.last_modified = last_modified  # type: ignore[assignment]
    rv.cache_control.no_cache = True  # Storage.serve applies the storage's MAX_AGE
    rv = rv.make_conditional(environ, accept_ranges=True, complete_length=size)
    if rv.status_code == 200 and environ.get("REQUEST_METHOD") != "HEAD":
        # Opened now, before the status and headers go out: a file that cannot be read is an
        # error answer, not a 200 cut short. (A 206 opened it to seek; a 304 or HEAD never does.)
        try:
            stream.open_now()
        except BaseException:
            rv.close()
            raise
    return rv


def normalize_range(
    environ: dict[str, Any],
    size: int | None = None,
    *,
    etag: str | None = None,
    last_modified: dt.datetime | float | None = None,
) -> dict[str, Any]:
    """``environ`` with its ``Range`` header made one werkzeug answers as RFC 9110 says.

    Ignored (removed): a header that does not parse (``bytes=a-b``, ``bytes=5-2``), another
    unit (``items=0-1``), several ranges (``bytes=0-1,2-3``: the whole file is one of the
    answers RFC 9110 allows). With ``size`` known, a suffix range at least as long as the
    file (``bytes=-1025`` of 1,024 bytes) becomes the whole file (``bytes=0-``). A range
    that starts past the end stays unsatisfiable (``416``). An ``If-Range`` with a weak
    entity tag never matches (RFC 9110 compares strongly): the whole file. With ``etag`` or
    ``last_modified``, a request whose ``If-None-Match``/``If-Modified-Since`` already matches
    loses its range, so that it gets its ``304`` (werkzeug answers ``206`` first). Returns a
    copy when it changes anything, ``environ`` itself otherwise.
    """
    header = environ.get("HTTP_RANGE")
    if header is None:
        return environ
    if isinstance(last_modified, (int, float)):
        last_modified = dt.datetime.fromtimestamp(last_modified, dt.timezone.utc)
    parsed = parse_range_header(header)
    keep: str | None = header
    if_range = environ.get("HTTP_IF_RANGE", "").strip()
    if (
        if_range.startswith(("W/", "w/"))  # a weak validator never matches (strong comparison)
        or parsed is None
        or parsed.units != "bytes"
        or len(parsed.ranges) != 1
        or (
            (etag or last_modified)
            and not is_resource_modified(environ, etag, last_modified=last_modified, ignore_if_range=True)
        )
    ):
        keep = None
    elif size is not None:
        start, stop = parsed.ranges[0]
        if start < 0 and stop is None and -start >= size:
            keep = "bytes=0-"
    if keep == header:
        return environ
    environ = dict(environ)
    if keep is None:
        environ.pop("HTTP_RANGE", None)
    else:
        environ["HTTP_RANGE"] = keep
    return environ


#: A value ``quote_header_value`` leaves unquoted: RFC 9110 token characters.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def content_disposition(filename: str, attachment: bool = False) -> str:
    """A ``Content-Disposition`` value naming the file's base name safely.

    ASCII names are quoted; other names get an ASCII fallback and an RFC 5987
    ``filename*``, as werkzeug's ``send_file`` writes them. Quotes, backslashes and
    semicolons cannot break out of the value.
    """
    from werkzeug.http import dump_options_header

    name = posixpath.basename(filename) or "download"
    value = "attachment" if attachment else "inline"
    if _TOKEN.fullmatch(name):  # most names: what dump_options_header writes, in one step
        return f"{value}; filename={name}"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        stem, dot, ext = simple.rpartition(".") if "." in simple else (simple, "", "")
        if not stem.strip(" ._-"):  # 'файл.txt' must not fall back to the hidden '.txt'
            simple = f"download{dot}{ext}"
        quoted = quote(name, safe="!#$&+-.^_`|~")
        return dump_options_header(value, {"filename": simple, "filename*": f"UTF-8''{quoted}"})
    return dump_options_header(value, {"filename": name})


def disposition_for(
    filename: str,
    mimetype: str | None,
    config: Mapping[str, Any],
    *,
    as_attachment: bool = False,
    download_name: str | None = None,
) -> str:
    """The ``Content-Disposition`` a file of type ``mimetype`` is sent with by a storage with
    ``config``: ``attachment`` if asked, or if the type is not one the storage shows inline.

    Backends that redirect to their service (presigned URLs) have the service send it.
    """
    attachment = as_attachment or not renders_inline(mimetype, config)
    return content_disposition(download_name or filename, attachment)


def response_type(filename: str, declared: str | None) -> str:
    """The type to send a file with: ``declared`` if it is one well-formed type, else the
    name's (a file stored before types were checked may carry ``text/plain,text/html``)."""
    return parse_content_type(declared) or parse_content_type(mime(filename)) or "application/octet-stream"


@functools.lru_cache(maxsize=256)
def _content_type_value(mimetype: str) -> str:
    """The ``Content-Type`` value of a type (with ``charset=utf-8`` for text), as
    ``rv.mimetype = mimetype`` sets it (the same few types on every response)."""
    return get_content_type(mimetype, "utf-8")


def finish_response(
    rv: Response,
    filename: str,
    config: Mapping[str, Any],
    *,
    as_attachment: bool = False,
    download_name: str | None = None,
    private: bool = False,
    max_age: int | None = None,
) -> Response:
    """Apply the core's serving rules to a backend's response, for a storage with ``config``."""
    status = rv.status_code
    if 300 <= status < 400 and rv.location:
        return rv  # the service answers: the backend asked it for these rules (disposition_for)
    headers = rv.headers
    sent = headers.get("Content-Type")
    mimetype = response_type(filename, sent)
    if status != 304 or sent is not None:
        value = _content_type_value(mimetype)
        if sent != value:
            headers["Content-Type"] = value
    ours = [
        (
            "Content-Disposition",
            disposition_for(
                filename, mimetype, config, as_attachment=as_attachment, download_name=download_name
            ),
        ),
        ("X-Content-Type-Options", "nosniff"),
    ]
    policy = content_security_policy(config)
    if policy:
        ours.append(("Content-Security-Policy", policy))
    # Replaced where the backend sent them, else added: one pass over the headers, not one a header.
    present = {key.lower() for key, _ in headers}
    for key, value in ours:
        if key.lower() in present:
            headers[key] = value
        else:
            headers.add(key, value)
    if max_age is not None:
        rv.cache_control.no_cache = None
        rv.cache_control.max_age = max_age
    if private:
        rv.cache_control.private = True
        rv.cache_control.public = False  # False removes the directive
    return rv
