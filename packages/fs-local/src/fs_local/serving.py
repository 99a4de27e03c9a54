"""HTTP responses for a file fs-local has already opened.

werkzeug's ``send_file(path)`` stats and opens the path itself, following any link on the
way; fs-local opens the file beneath its root first (see :mod:`fs_local.beneath`) and answers
from that descriptor. ``send_file(file)`` would not do: given a file object it knows neither
the size (so no ``206``) nor the modification time, so :func:`file_response` builds what it
builds for a path, from ``fstat`` of the open file, with the same ``ETag``.
"""

from __future__ import annotations

import os
from typing import BinaryIO
from zlib import adler32

from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

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
    """A conditional, range-aware response for the open ``file`` whose ``fstat`` is ``st``.

    With ``x_sendfile``, the body is left to the web server (the header carries that value)
    and ``file`` may be ``None``. The response closes ``file`` when it is done, or here if the
    requested range cannot be satisfied.
    """
    data = None if x_sendfile is not None or file is None else wrap_file(environ, file)
    rv = Response(data, mimetype=mimetype, direct_passthrough=True)
    if x_sendfile is not None:
        rv.headers["X-Sendfile"] = x_sendfile
    rv.content_length = st.st_size
    rv.last_modified = st.st_mtime  # type: ignore[assignment]  # werkzeug takes a timestamp
    rv.cache_control.no_cache = True
    rv.set_etag(etag)
    try:
        rv = rv.make_conditional(environ, accept_ranges=True, complete_length=st.st_size)
    except RequestedRangeNotSatisfiable:
        if file is not None:
            file.close()
        raise
    if rv.status_code == 304:  # some X-Sendfile implementations send the file regardless
        rv.headers.pop("X-Sendfile", None)
    return rv
