"""What ``flask fs`` asks of fs-s3 beyond the contract, on both servers: a listing with sizes,
dates and ETags (``scan``), copies from another S3 storage inside the service
(``copy_from``), and the stored type carried by the stream a read opens."""

from __future__ import annotations

import hashlib

import pytest

from fs_core.errors import FileExists
from fs_core.memory import MemoryBackend
from fs_core.transfer import copy_file
from fs_s3.settings import MiB
from fs_testservers import CallRecorder, unique_name


def test_scan_lists_sizes_dates_and_md5s_in_pages(s3_server, make_backend):
    backend = make_backend(s3_server, multipart_threshold="5MiB", multipart_chunksize="5MiB")
    backend.write("a/one.txt", b"one")
    backend.write("a/two.bin", b"\x00" * 11 * MiB)  # multipart: its ETag is no MD5
    backend.write("ab.txt", b"not in a/")
    calls = CallRecorder(backend.client)
    infos = {info.name: info for info in backend.scan("a")}
    assert calls.count("ListObjectsV2") == 1
    assert calls.count("HeadObject") == 0  # one request, not one per file
    assert set(infos) == {"a/one.txt", "a/two.bin"}
    one = infos["a/one.txt"]
    assert one.size == 3
    assert one.checksum == f"md5:{hashlib.md5(b'one').hexdigest()}"
    assert one.checksum == backend.metadata("a/one.txt")["checksum"]
    assert one.modified == backend.metadata("a/one.txt")["modified"]
    assert one.mime is None  # not listed
    assert infos["a/two.bin"].checksum.startswith("etag:")
    assert infos["a/two.bin"].checksum.endswith("-3")
    assert len(list(backend.scan())) == 3


def test_copy_from_another_bucket_of_the_service(s3_server, make_backend):
    source = make_backend(s3_server)
    target = make_backend(s3_server)
    source.write("doc.pdf", b"%PDF-1.7", content_type="application/pdf")
    calls = CallRecorder(source.client, target.client)
    assert target.copy_from(source, "doc.pdf", "in/doc.pdf") is True
    assert calls.count("CopyObject") == 1
    assert calls.count("GetObject") == 0
    assert calls.count("PutObject") == 0
    assert target.read("in/doc.pdf") == b"%PDF-1.7"
    assert target.metadata("in/doc.pdf")["mime"] == "application/pdf"
    with pytest.raises(FileExists):
        target.copy_from(source, "doc.pdf", "in/doc.pdf")
    assert target.copy_from(source, "doc.pdf", "in/doc.pdf", overwrite=True) is True


def test_copy_from_a_prefix_of_a_shared_bucket(s3_server, make_backend):
    shared = unique_name("shared")
    first = make_backend(s3_server, bucket=shared)
    second = make_backend(s3_server, bucket=shared)
    first.write("a.txt", b"first's")
    assert copy_file(first, "a.txt", second, "b.txt") is True  # server-side
    assert second.read("b.txt") == b"first's"
    assert list(first.list_files()) == ["a.txt"]


def test_no_copy_from_other_services_or_credentials(s3_server, make_backend):
    source = make_backend(s3_server)
    source.write("a.txt", b"a")
    other_key = make_backend(s3_server, access_key="someone-else")
    assert other_key.copy_from(source, "a.txt", "a.txt") is False
    memory = MemoryBackend("memory")
    memory.write("m.txt", b"m")
    assert source.copy_from(memory, "m.txt", "m.txt") is False
    assert not source.exists("m.txt")
    # Streamed instead, with the stored type the GET answered (no HEAD).
    source.write("page.html", b"<p>", content_type="text/html")
    with source.open_read("page.html") as stream:
        assert stream.raw.content_type == "text/html"
    calls = CallRecorder(source.client)
    assert copy_file(source, "page.html", memory, "page.html") is False
    assert calls.count("HeadObject") == 0
    assert memory.metadata("page.html")["mime"] == "text/html"
