"""HTTP responses for a file fs-local has already opened.

werkzeug's ``send_file(path)`` stats and opens the path itself, following any link on the
way; fs-local opens the file beneath its root first (see :mod:`fs_local.beneath`) and hands
``send_file`` that open file instead. Given a file object, ``send_file`` knows neither its size
nor its modification time, and its conditional step then refuses ranges (no size, no
``206``): :func:`file_response` passes what ``send_file`` would have read from the path
(``fstat`` of the open file, the same ``ETag``) and makes the response conditional itself,
as ``send_file`` does for a path, with the core's RFC 9110 reading of ``Range``
(:func:`fs_core.serving.normalize_range`).
"""

from __future__ import annotations

import os
from typing import BinaryIO
from zlib import adler32

from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from fs_core.serving import normalize_range

__all__ = ["file_response", "path_etag"]


def path_etag(path: str, st: os.stat_result) -> str:
    """The ETag werkzeug's ``send_file`` gives the file at ``path`` (kept, so that caches
    holding one from before still revalidate)."""
    return f"{st.st_mtime}-{st.st_size}-{adler32(path.encode()) & 0xFFFFFFFF}"


def file_response(
    environ: dict[str, object],
    file: BinaryIO | None,
    st: os.stat_result,
    *,
    mimetype: str,
    etag: str,
    x_sendfile: str | None = None,
) -> Response:
    """A conditional, range-aware response for the open ``file`` whose ``fstat`` is ``st``:
    what ``send_file(path)`` answers.

    With ``x_sendfile``, the body is left to the web server (the header carries that value;
    ``send_file`` would stat the path itself for it) and ``file`` is not used. The response
    closes ``file`` when it is done, or this function does if the range cannot be satisfied.
    """
    if x_sendfile is None:
        assert file is not None
        rv = send_file(
            file, environ, mimetype=mimetype, conditional=False, etag=etag, last_modified=st.st_mtime
        )
    else:
        rv = Response(None, mimetype=mimetype, direct_passthrough=True)
        rv.headers["X-Sendfile"] = x_sendfile
        rv.last_modified = st.st_mtime  # type: ignore[assignment]  # werkzeug takes a timestamp
        rv.cache_control.no_cache = True
        rv.set_etag(etag)
    rv.content_length = st.st_size
    environ = normalize_range(environ, st.st_size, etag=etag, last_modified=st.st_mtime)
    try:
        rv = rv.make_conditional(environ, accept_ranges=True, complete_length=st.st_size)
    except RequestedRangeNotSatisfiable:
        if file is not None:
            file.close()
        raise
    if rv.status_code == 304:  # some X-Sendfile implementations send the file regardless
        rv.headers.pop("X-Sendfile", None)
    return rv
