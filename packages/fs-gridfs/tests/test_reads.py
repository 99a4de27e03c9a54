"""Reads fetch the chunks they need: a range reads its chunks only, a whole read each chunk
once and at most ``READ_AHEAD`` worth at a time; serving answers from one name lookup."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

import fs_core as fs
from fs_core.testing import PatternStream, bind_backend
from fs_gridfs.backend import GridFSBackend

KiB = 1024
SIZE = 40 * KiB + 100  # 41 chunks of 1 KiB, the last one short


@pytest.fixture
def backend(make_backend) -> GridFSBackend:
    return make_backend(chunk_size=KiB, read_ahead=8 * KiB)


@pytest.fixture
def data(backend) -> bytes:
    content = PatternStream(SIZE).read()
    backend.save(io.BytesIO(content), "big.bin")
    return content


@pytest.fixture
def spy(backend, data, spy_on_chunks):
    return spy_on_chunks(backend)


def read_exactly(raw: Any, size: int) -> bytes:
    """``size`` bytes from a raw stream (whose reads may come back short)."""
    parts = []
    while size and (part := raw.read(size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


@pytest.fixture
def served(backend) -> tuple[Any, str]:
    """(a test client of an app serving the backend's storage, the URL of big.bin)."""
    app = Flask("ranges")
    app.config.update(SECRET_KEY="x", SERVER_NAME="ranges.test", FS_PLUGINS=[])
    storage = bind_backend(app, fs.Storage(backend.name, fs.ALL), backend)
    with app.app_context():
        return app.test_client(), storage.url("big.bin")


@pytest.mark.parametrize(
    ("start", "length", "chunks"),
    [(10, 10, [0]), (1020, 10, [0, 1]), (5 * KiB, KiB, [5]), (SIZE - 5, 5, [40]), (KiB, 20 * KiB, None)],
)
def test_a_range_fetches_its_chunks_only(data, spy, served, start, length, chunks):
    client, url = served
    response = client.get(url, headers={"Range": f"bytes={start}-{start + length - 1}"})
    assert (response.status_code, response.data) == (206, data[start : start + length])
    first, last = start // KiB, (start + length - 1) // KiB
    assert spy.fetched == (chunks or list(range(first, last + 1)))
    assert max(len(q) for q in spy.queries) <= 8  # READ_AHEAD, even for a long range


def test_a_small_read_of_the_buffered_stream_fetches_one_chunk(make_backend, spy_on_chunks):
    """With chunks at least as large as the stream's buffer (GridFS's default is 255 KiB),
    a small read after a seek fetches the one chunk it falls in."""
    backend = make_backend(chunk_size=64 * KiB)
    content = PatternStream(10 * 64 * KiB).read()
    backend.save(io.BytesIO(content), "f.bin")
    spy = spy_on_chunks(backend)
    with backend.open("f.bin", "rb") as f:
        f.seek(3 * 64 * KiB + 5)
        assert f.read(10) == content[3 * 64 * KiB + 5 : 3 * 64 * KiB + 15]
    assert spy.fetched == [3]


def test_reading_on_fetches_each_chunk_once_in_bounded_windows(backend, data, spy):
    with backend.open("big.bin", "rb") as f:
        assert f.read() == data
    assert spy.fetched == list(range(41))
    assert max(len(q) for q in spy.queries) == 8  # READ_AHEAD = 8 chunks
    assert len(spy.queries) < 10  # windows grow: not one query per chunk


def test_seeking_back_reads_again_and_forward_skips(backend, data, spy):
    with backend.open("big.bin", "rb") as f:
        f.raw.seek(30 * KiB)
        assert f.raw.read(10) == data[30 * KiB : 30 * KiB + 10]
        f.raw.seek(2 * KiB + 1)
        assert read_exactly(f.raw, KiB) == data[2 * KiB + 1 : 3 * KiB + 1]
        f.raw.seek(4 * KiB + 7)  # in the window already (3 and 4, read on from 2): no query
        assert f.raw.read(5) == data[4 * KiB + 7 : 4 * KiB + 12]
    assert spy.fetched == [30, 2, 3, 4]


def test_whole_answers_304_and_head(data, spy, served):
    client, url = served
    whole = client.get(url)
    assert (whole.status_code, whole.data) == (200, data)
    assert spy.fetched == list(range(41))
    spy.queries.clear()
    assert client.get(url, headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304
    assert client.head(url).status_code == 200
    assert spy.fetched == []  # neither a 304 nor a HEAD reads data


def test_a_range_ignored_by_if_range_still_sends_the_whole_file(data, spy, served):
    """The reader's range hint is only a hint: when the range does not apply, nothing is cut."""
    client, url = served
    headers = {"Range": "bytes=0-9", "If-Range": '"another-etag"'}
    response = client.get(url, headers=headers)
    assert (response.status_code, response.data) == (200, data)


def test_serve_answers_with_the_checksum_as_etag(backend, data):
    environ = EnvironBuilder(path="/x/big.bin").get_environ()
    response = backend.serve("big.bin", environ=environ)
    assert response.get_etag()[0] == backend.metadata("big.bin")["checksum"].partition(":")[2]
    assert response.content_length == SIZE


def test_text_and_small_reads(backend):
    backend.write("t.txt", "ligne 1\nligne 2\n" * 200)
    with backend.open("t.txt") as f:
        lines = f.readlines()
    assert lines[:2] == ["ligne 1\n", "ligne 2\n"]
    assert len(lines) == 400
