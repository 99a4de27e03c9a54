"""Range and conditional requests answer as RFC 9110 says, checked against an oracle written
from the RFC (not from werkzeug) with generated headers."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fs_core as fs

SIZE = 1024
DATA = bytes(range(256)) * (SIZE // 256)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from flask import Flask

    files = fs.Storage("files")
    app = Flask("ranges", instance_path=str(tmp_path_factory.mktemp("instance")))
    app.config.update(TESTING=True, SECRET_KEY="x", FS_BACKEND="memory")
    fs.init_app(app, files)
    with app.app_context():
        files.write("a.bin", DATA)
        files.write("empty.bin", b"")
    return app.test_client()


def answer(response) -> tuple[int, bytes]:
    """Status and body; a 416's body is an error page, not file content."""
    return response.status_code, b"" if response.status_code == 416 else response.data


_SINGLE = re.compile(r"bytes=(\d+)-(\d*)")
_SUFFIX = re.compile(r"bytes=-(\d+)")


def expected(header: str, size: int = SIZE) -> tuple[int, bytes]:
    """RFC 9110 section 14: the answer to one GET with this Range header."""
    value = header.strip(" \t")
    if size == 0:
        return 200, b""
    if match := _SINGLE.fullmatch(value):
        first, last = int(match[1]), int(match[2]) if match[2] else None
        if last is not None and last < first:
            return 200, DATA  # invalid: ignored
        if first >= size:
            return 416, b""
        stop = size if last is None else min(last + 1, size)
        return 206, DATA[first:stop]
    if match := _SUFFIX.fullmatch(value):
        length = int(match[1])
        if length == 0:
            return 200, DATA  # not satisfiable by any byte: werkzeug ignores it, as RFC allows
        return 206, DATA[-length:] if length < size else DATA
    return 200, DATA  # unparseable, another unit, or several ranges: ignored


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=0-1", 206),
        ("bytes=1000-", 206),
        ("bytes=0-99999", 206),
        ("bytes=-10", 206),
        ("bytes=-1024", 206),
        ("bytes=-1025", 206),
        ("bytes=1024-", 416),
        ("items=0-1", 200),
        ("bytes=a-b", 200),
        ("bytes=5-2", 200),
        ("bytes=0-1,2-3", 200),
        ("bytes=0-1, 5-", 200),
        ("", 200),
        ("bytes=", 200),
    ],
)
def test_the_rfc_answers(client, header, status):
    response = client.get("/files/a.bin", headers={"Range": header})
    want_status, want_body = expected(header)
    assert answer(response) == (want_status, want_body)
    assert response.status_code == status
    if status == 206:
        first = SIZE - len(want_body) if header.startswith("bytes=-") else int(header[6:].split("-")[0])
        assert response.headers["Content-Range"] == f"bytes {first}-{first + len(want_body) - 1}/{SIZE}"
    if status == 416:
        assert response.headers["Content-Range"] == f"bytes */{SIZE}"


_RANGE_PIECES = st.sampled_from(
    [
        "bytes",
        "items",
        "BYTES",
        "=",
        "-",
        ",",
        " ",
        "\t",
        "0",
        "1",
        "2",
        "5",
        "9",
        "1023",
        "1024",
        "1025",
        "99999",
        "a",
        ";",
        "/",
        "*",
    ]
)
_HEADERS = st.one_of(
    st.lists(_RANGE_PIECES, max_size=10).map("".join),
    st.builds(lambda a, b: f"bytes={a}-{b}", st.integers(0, 2000), st.integers(0, 2000) | st.just("")),
    st.builds(lambda n: f"bytes=-{n}", st.integers(0, 2000)),
    st.text(max_size=20).filter(lambda s: s.isascii() and s.isprintable()),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_HEADERS)
def test_generated_range_headers(client, header):
    response = client.get("/files/a.bin", headers={"Range": header})
    assert answer(response) == expected(header), header


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_HEADERS, etag_matches=st.booleans(), if_range=st.booleans())
def test_generated_conditional_headers(client, header, etag_matches, if_range):
    etag = client.get("/files/a.bin").headers["ETag"]
    headers = {"Range": header}
    if if_range:
        headers["If-Range"] = etag if etag_matches else '"other"'
    response = client.get("/files/a.bin", headers=headers)
    if if_range and not etag_matches:
        assert (response.status_code, response.data) == (200, DATA)  # the whole, current file
    else:
        assert answer(response) == expected(header), header
    response = client.get("/files/a.bin", headers={"If-None-Match": etag, "Range": header})
    assert response.status_code == 304


def test_an_empty_file_ignores_ranges(client):
    response = client.get("/files/empty.bin", headers={"Range": "bytes=0-1"})
    assert (response.status_code, response.data) == (200, b"")
