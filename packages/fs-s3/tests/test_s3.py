"""S3-specific behaviour, on both servers: buckets, prefixes, paging, create-only, ranges,
server-side copies, Content-Type, SSE/ACL, presigned URLs and serving."""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

import fs_core
from fs_core import ATOMIC_CREATE, SERVER_SIDE_COPY, SIGNED_URLS
from fs_core.config import Config
from fs_core.errors import BackendError, FileExists, InvalidFilename, OperationNotSupported
from fs_core.testing import FailingStream, PatternStream
from fs_s3.backend import PROBE_PREFIX, S3Backend
from fs_s3.settings import MiB
from fs_testservers import CallRecorder, empty_bucket, fail_requests, lose_responses, unique_name


def put_many(client: Any, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))


class ShortReads(io.RawIOBase):
    """A non-seekable upload that hands out at most 1,000 bytes a read, as a socket may."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), 1000, len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


# -- buckets and prefixes ---------------------------------------------------------------------


def test_shared_bucket_isolates_storages(s3_server, make_backend):
    bucket, name = unique_name("shared"), unique_name("s")
    docs = make_backend(s3_server, name, bucket=bucket)
    docs2 = make_backend(s3_server, name + "2", bucket=bucket)
    for backend in (docs, docs2):
        for key in ("a/1.txt", "ab/2.txt", "a.txt", "top.txt"):
            backend.write(key, backend.name.encode())
    assert set(docs.list_files()) == {"a/1.txt", "ab/2.txt", "a.txt", "top.txt"}
    assert set(docs2.list_files("a")) == {"a/1.txt"}
    assert docs.read("top.txt") == name.encode()

    docs.delete("a")
    assert set(docs.list_files()) == {"ab/2.txt", "a.txt", "top.txt"}
    assert set(docs2.list_files()) == {"a/1.txt", "ab/2.txt", "a.txt", "top.txt"}
    raw = docs.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert {item["Key"].split("/")[0] for item in raw} == {name, name + "2"}
    empty_bucket(docs.client, bucket, delete_bucket=True)


def test_listing_and_deleting_more_than_1000_keys(s3_server, make_backend):
    backend = make_backend(s3_server)
    client = backend._ready()
    keys = [f"many/{i:05d}.txt" for i in range(1105)] + ["many2/kept.txt", "manyx"]
    put_many(client, backend.bucket, keys)
    calls = CallRecorder(backend.client, backend._creator())

    listed = list(backend.list_files("many"))
    assert len(listed) == 1105
    assert set(listed) == set(keys[:1105])
    assert calls.count("ListObjectsV2") >= 2

    backend.delete("many")
    batches = calls.named("DeleteObjects")
    assert [len(b["Delete"]["Objects"]) for b in batches] == [1000, 105]
    assert set(backend.list_files()) == {"many2/kept.txt", "manyx"}


def test_delete_removes_the_key_and_its_folder_but_move_only_the_key(s3_server, make_backend):
    backend = make_backend(s3_server)
    for key in ("a", "a/b", "ab"):
        backend.write(key, key.encode())
    backend.move("a", "c")
    assert set(backend.list_files()) == {"a/b", "ab", "c"}
    backend.write("a", b"again")
    backend.delete("a")
    assert set(backend.list_files()) == {"ab", "c"}


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_bucket_created_in_the_configured_region(moto_server, make_backend, region):
    backend = make_backend(moto_server, region=region)
    backend.write("x.txt", b"x")
    location = backend.client.get_bucket_location(Bucket=backend.bucket)["LocationConstraint"]
    assert (location or "us-east-1") == region


def test_existing_bucket_is_used_as_it_is(s3_server, make_backend):
    backend = make_backend(s3_server)
    raw = S3Backend("other", Config(s3_server.fs_config(create_bucket=False))).client
    raw.create_bucket(Bucket=backend.bucket)
    raw.put_object(Bucket=backend.bucket, Key="before.txt", Body=b"kept")
    calls = CallRecorder(backend.client, backend._creator())
    backend.write("after.txt", b"new")
    assert backend.read("before.txt") == b"kept"
    assert calls.count("CreateBucket") == 0


def test_concurrent_first_uses_tolerate_each_others_bucket(s3_server, make_backend):
    name = unique_name()
    backends = [make_backend(s3_server, name) for _ in range(6)]
    barrier = threading.Barrier(len(backends))
    errors: list[BaseException] = []

    def first_use(backend: S3Backend) -> None:
        backend.client  # noqa: B018 - build the client before the barrier
        barrier.wait()
        try:
            backend.exists("x")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_use, args=(b,)) for b in backends]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_create_bucket_off(s3_server, make_backend):
    backend = make_backend(s3_server, create_bucket=False)
    calls = CallRecorder(backend.client, backend._creator())
    with pytest.raises(
        BackendError, match=f"bucket '{backend.bucket}' does not exist.*CREATE_BUCKET"
    ) as info:
        backend.write("x.txt", b"x")
    assert info.value.original is not None
    assert calls.count("CreateBucket") == calls.count("HeadBucket") == 0
    with pytest.raises(Exception, match=r"404|NoSuchBucket|Not Found"):
        backend.client.head_bucket(Bucket=backend.bucket)
    backend.client.create_bucket(Bucket=backend.bucket)
    backend.write("x.txt", b"x")
    assert backend.read("x.txt") == b"x"


# -- create-only ------------------------------------------------------------------------------


def test_create_only_semantics_follow_the_service(s3_server, make_backend):
    backend = make_backend(s3_server)
    backend.write("first.txt", b"1", overwrite=False)
    assert (ATOMIC_CREATE in backend.capabilities) is s3_server.supports_if_none_match
    assert {SERVER_SIDE_COPY, SIGNED_URLS} <= backend.capabilities
    calls = CallRecorder(backend.client, backend._creator())
    with pytest.raises(FileExists):
        backend.write("first.txt", b"2", overwrite=False)
    puts = calls.named("PutObject")
    if s3_server.supports_if_none_match:
        assert [p.get("IfNoneMatch") for p in puts] == ["*"]  # refused by the service itself
    else:
        assert puts == []  # refused by the HEAD before the upload
    assert backend.read("first.txt") == b"1"
    raw = backend.client.list_objects_v2(Bucket=backend.bucket, Prefix=PROBE_PREFIX)
    assert raw.get("KeyCount", 0) == 0, "the probe object must be deleted"


def test_the_probes_folder_is_reserved(moto_server, make_backend):
    """No file of the storage can live where leftover probes are looked for (and removed)."""
    backend = make_backend(moto_server)
    for name in (f"{PROBE_PREFIX}report.txt", PROBE_PREFIX.rstrip("/")):
        with pytest.raises(InvalidFilename, match="reserved"):
            backend.write(name, b"x")
        with pytest.raises(InvalidFilename, match="reserved"):
            backend.read(name)
    backend.write(f"docs/{PROBE_PREFIX}report.txt", b"deeper is fine")
    assert list(backend.list_files()) == [f"docs/{PROBE_PREFIX}report.txt"]


def test_create_only_multipart_upload_over_an_existing_file(moto_server, make_backend):
    backend = make_backend(moto_server, multipart_chunksize="5MiB", multipart_threshold="5MiB")
    backend.write("big.bin", b"old")
    assert ATOMIC_CREATE in backend.capabilities
    calls = CallRecorder(backend.client, backend._creator())
    with pytest.raises(FileExists):  # found by a HEAD before any part is sent
        backend.save(PatternStream(12 * MiB), "big.bin")
    assert calls.count("UploadPart") == 0
    # A creator that passed the HEAD while another was finishing: the service refuses it.
    backend.exists = lambda name: False  # type: ignore[method-assign]
    with pytest.raises(FileExists):
        backend.save(PatternStream(12 * MiB), "big.bin")
    assert calls.named("CompleteMultipartUpload")[-1]["IfNoneMatch"] == "*"
    assert backend.read("big.bin") == b"old"
    assert backend.client.list_multipart_uploads(Bucket=backend.bucket).get("Uploads", []) == []


def test_atomic_create_configured(s3_server, make_backend):
    off = make_backend(s3_server, atomic_create=False)
    assert ATOMIC_CREATE not in off.capabilities
    off.write("a.txt", b"a", overwrite=False)
    assert off._create_client is None  # no conditional PUT, no probe
    with pytest.raises(FileExists):
        off.write("a.txt", b"b", overwrite=False)

    forced = make_backend(s3_server, atomic_create=True)
    assert ATOMIC_CREATE in forced.capabilities
    if s3_server.supports_if_none_match:
        forced.write("a.txt", b"a", overwrite=False)
    else:
        with pytest.raises(BackendError, match="does not support"):
            forced.write("a.txt", b"a", overwrite=False)


# -- streaming ----------------------------------------------------------------------------------


def test_ranged_reads(s3_server, make_backend):
    backend = make_backend(s3_server)
    data = PatternStream(3 * MiB).read(3 * MiB)
    backend.write("r.bin", data)
    calls = CallRecorder(backend.client, backend._creator())

    with backend.open_read("r.bin") as f:
        assert f.read(10) == data[:10]
        f.seek(2 * MiB)
        assert f.read(10) == data[2 * MiB : 2 * MiB + 10]
        assert f.read(5) == data[2 * MiB + 10 : 2 * MiB + 15]  # same GET, read on
        f.seek(-4, io.SEEK_END)
        assert f.read() == data[-4:]
        assert f.read() == b""
    gets = calls.named("GetObject")
    assert [g.get("Range") for g in gets] == [None, f"bytes={2 * MiB}-", f"bytes={len(data) - 4}-"]
    assert all(g.get("IfMatch") for g in gets[1:])

    with backend.open_read("r.bin") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest()
    assert len(calls.named("GetObject")) == 4  # a whole read is one GET


def test_file_replaced_while_read_is_an_error(s3_server, make_backend):
    backend = make_backend(s3_server)
    backend.write("v.txt", b"version one " * 20_000)
    with backend.open_read("v.txt") as f:
        f.read(10)
        backend.write("v.txt", b"version two " * 20_000)
        f.seek(200_000)  # beyond what the first GET buffered
        with pytest.raises(BackendError, match="replaced while it was being read"):
            f.read(10)


def test_short_reads_of_a_non_seekable_upload(s3_server, make_backend):
    """Parts are full (S3 and Swift refuse parts under 5 MiB but the last) even when the
    stream returns little at a time; the bytes arrive in order."""
    backend = make_backend(s3_server, multipart_chunksize="5MiB", multipart_threshold="5MiB")
    data = PatternStream(11 * MiB).read(11 * MiB)
    backend.save(ShortReads(data), "short.bin")
    assert hashlib.md5(backend.read("short.bin")).digest() == hashlib.md5(data).digest()
    assert backend.metadata("short.bin")["checksum"].startswith("etag:")  # a multipart ETag


@pytest.mark.parametrize("seekable", [True, False], ids=["seekable", "non-seekable"])
def test_a_threshold_above_the_part_size_stores_the_whole_file(moto_server, make_backend, seekable):
    """``MULTIPART_THRESHOLD`` larger than ``MULTIPART_CHUNKSIZE``: a file over the threshold
    is more than its first part; all of it is stored (the first part alone once was, as if it
    were the whole file), in one PUT below the threshold and in parts above it."""
    backend = make_backend(moto_server, multipart_chunksize="5MiB", multipart_threshold="12MiB")
    for size in (11 * MiB, 13 * MiB):
        data = PatternStream(size).read(size)
        backend.save(io.BytesIO(data) if seekable else ShortReads(data), f"{size}.bin")
        stored = backend.read(f"{size}.bin")
        assert len(stored) == size
        assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
        multipart = "-" in backend.metadata(f"{size}.bin")["etag"]
        assert multipart is (size > 12 * MiB)


def test_retried_put_resends_from_where_the_stream_was(s3_server, make_backend):
    """botocore rewinds the body of a retried request to offset 0: a stream that did not
    start there must still be stored from its own position, not from the beginning."""
    backend = make_backend(s3_server, multipart_chunksize="5MiB", multipart_threshold="5MiB")
    backend._ready()
    put = fail_requests(backend.client, "PutObject")  # one transient 500, retried by botocore
    stream = io.BytesIO(b"skipped|kept")
    stream.seek(8)
    backend.save(stream, "pos.txt", overwrite=True)
    assert put == [0]
    assert backend.read("pos.txt") == b"kept"

    large = PatternStream(11 * MiB).read(11 * MiB)
    part = fail_requests(backend.client, "UploadPart")
    stream = io.BytesIO(b"skipped|" + large)
    stream.seek(8)
    backend.save(stream, "large.bin", overwrite=True)
    assert part == [0]
    assert hashlib.sha256(backend.read("large.bin")).digest() == hashlib.sha256(large).digest()


@pytest.mark.parametrize("size", [10, 11 * MiB], ids=["single PUT", "multipart"])
def test_a_create_whose_answer_was_lost_is_its_own_not_a_conflict(s3_server, make_backend, size):
    """The service stored the object, the answer never came, botocore sent the create again:
    the retry meets the object (``If-None-Match: *`` refuses it) but it is the save's own."""
    backend = make_backend(s3_server, multipart_chunksize="5MiB", multipart_threshold="5MiB")
    backend.save(io.BytesIO(b"first"), "first.txt")  # the bucket made, If-None-Match probed
    data = PatternStream(size).read(size)
    operation = "PutObject" if size < 5 * MiB else "CompleteMultipartUpload"
    # on whichever client sends it (create-only multipart uploads have a client of their own)
    lost = [lose_responses(client, operation) for client in (backend.client, backend._creator())]
    assert backend.save(io.BytesIO(data), "lost.bin") == "lost.bin"
    assert sorted(left for [left] in lost) == [0, 1]  # one answer was lost
    assert backend.read("lost.bin") == data
    with pytest.raises(FileExists):  # a create over it is still refused
        backend.save(io.BytesIO(b"other"), "lost.bin")
    assert backend.read("lost.bin") == data


def test_failed_multipart_upload_is_aborted(s3_server, make_backend):
    backend = make_backend(s3_server, multipart_chunksize="5MiB", multipart_threshold="5MiB")
    with pytest.raises(Exception, match="went away"):
        backend.save(FailingStream(12 * MiB), "broken.bin")
    assert not backend.exists("broken.bin")
    assert backend.client.list_multipart_uploads(Bucket=backend.bucket).get("Uploads", []) == []


# -- copies ---------------------------------------------------------------------------------------


def test_server_side_copy_of_a_multipart_object(s3_server, make_backend):
    backend = make_backend(
        s3_server,
        multipart_chunksize="5MiB",
        multipart_threshold="5MiB",
        multipart_copy_threshold="5MiB",
        multipart_copy_chunksize="5MiB",
    )
    source = PatternStream(12 * MiB)
    backend.save(source, "video.mp4")
    assert backend.metadata("video.mp4")["etag"].endswith('-3"')
    calls = CallRecorder(backend.client, backend._creator())
    backend.copy("video.mp4", "copies/vidéo.mp4")
    backend.move("copies/vidéo.mp4", "moved.mp4")
    assert calls.count("GetObject") == 0  # no byte went through the app
    assert calls.count("UploadPartCopy") >= 6
    for name in ("video.mp4", "moved.mp4"):
        with backend.open_read(name) as f:
            assert hashlib.sha256(f.read()).hexdigest() == source.digest
        assert backend.metadata(name)["mime"] == "video/mp4"
    assert set(backend.list_files()) == {"video.mp4", "moved.mp4"}
    # Swift cannot match a multipart ETag in UploadPartCopy: the backend copies without it.
    assert backend._multipart_if_match is s3_server.supports_if_none_match


def test_small_copy_is_one_request_and_keeps_the_type(s3_server, make_backend):
    backend = make_backend(s3_server)
    backend.write("doc", b"%PDF", content_type="application/pdf")
    calls = CallRecorder(backend.client, backend._creator())
    backend.copy("doc", "dir/ünï.pdf")
    assert calls.count("CopyObject") == 1
    assert backend.metadata("dir/ünï.pdf")["mime"] == "application/pdf"
    assert backend.read("dir/ünï.pdf") == b"%PDF"


# -- Content-Type, SSE, ACL ---------------------------------------------------------------------


def test_content_type_is_stored_on_every_write(s3_server, make_backend):
    backend = make_backend(s3_server, multipart_chunksize="5MiB", multipart_threshold="5MiB")
    backend.write("photo.jpg", b"\xff\xd8")
    backend.write("blob", b"%PDF", content_type="application/pdf")
    backend.save(PatternStream(6 * MiB), "clip.webm")
    with backend.open("notes.md", "wb") as f:
        f.write(b"# hi")
    head = lambda key: backend.client.head_object(Bucket=backend.bucket, Key=key)["ContentType"]  # noqa: E731
    assert head("photo.jpg") == "image/jpeg"
    assert head("blob") == "application/pdf"
    assert head("clip.webm") == "video/webm"
    assert head("notes.md") == "text/markdown"
    # An object written by another tool with a generic type: reported by its name's type.
    backend.client.put_object(Bucket=backend.bucket, Key="data.json", Body=b"{}")
    assert backend.metadata("data.json")["mime"] == "application/json"


def test_sse_and_acl_on_moto(moto_server, make_backend):
    backend = make_backend(
        moto_server, sse="AES256", acl="public-read", multipart_chunksize="5MiB", multipart_threshold="5MiB"
    )
    backend.write("small.txt", b"x")
    backend.save(PatternStream(6 * MiB), "large.bin")
    backend.copy("small.txt", "copied.txt")
    for key in ("small.txt", "large.bin", "copied.txt"):
        head = backend.client.head_object(Bucket=backend.bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256", key
        grants = backend.client.get_object_acl(Bucket=backend.bucket, Key=key)["Grants"]
        assert any(
            g["Grantee"].get("URI", "").endswith("/AllUsers") and g["Permission"] == "READ" for g in grants
        )

    kms = make_backend(moto_server, sse_kms_key_id="alias/fs-test")
    kms.write("secret.txt", b"secret")
    head = kms.client.head_object(Bucket=kms.bucket, Key="secret.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith("alias/fs-test")
    assert kms.metadata("secret.txt")["checksum"].startswith("etag:")  # not an MD5 under KMS


def test_sse_refused_by_swift_is_a_clear_error(swift_server, make_backend):
    backend = make_backend(swift_server, sse="AES256")
    with pytest.raises(BackendError, match=r"does not support.*encryption"):
        backend.write("x.txt", b"x", overwrite=True)
    public = make_backend(swift_server, acl="public-read")
    public.write("x.txt", b"x")  # canned ACLs on PUT are accepted
    assert public.read("x.txt") == b"x"


# -- presigned URLs and serving -------------------------------------------------------------------


def test_presigned_get_and_put(s3_server, make_backend):
    backend = make_backend(s3_server)
    backend.write("report.txt", b"numbers")
    url = backend.signed_url("report.txt", 60, download_name="Q1 report.txt", as_attachment=True)
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"numbers"
        assert response.headers["Content-Disposition"] == 'attachment; filename="Q1 report.txt"'

    put = backend.signed_url("upload/data.csv", 60, method="PUT")
    request = urllib.request.Request(put, data=b"a,b\n", method="PUT", headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert backend.read("upload/data.csv") == b"a,b\n"
    assert backend.metadata("upload/data.csv")["mime"] == "text/csv"

    assert backend.signed_url("report.txt", 60, method="PATCH") is None
    with pytest.raises(OperationNotSupported, match="7 days"):
        backend.signed_url("report.txt", 8 * 24 * 3600)


def test_presigned_get_of_active_content_is_an_attachment(s3_server, make_backend):
    """As when the app serves them: SVG and HTML are downloads unless the storage says
    otherwise, or a script would run on the service's (often the app's sibling) domain."""
    backend = make_backend(s3_server)
    inline = make_backend(s3_server, bucket=backend.bucket, inline_active_content=True)
    for each in (backend, inline):
        each.write("page.html", b"<script>alert(1)</script>")
    backend.write("note.txt", b"note")

    def disposition(url: str) -> str | None:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.headers.get("Content-Disposition")

    assert disposition(backend.signed_url("page.html", 60)).startswith("attachment")
    assert disposition(backend.signed_url("note.txt", 60)) == "inline; filename=note.txt"
    assert disposition(inline.signed_url("page.html", 60)).startswith("inline")


def test_presigned_urls_send_one_type_by_the_core_rules(app_storage):
    """An object stored with a list of types (by an older version, or another tool) is never
    sent with it, redirect or signed URL: browsers render the last type of such a list."""
    app, files = app_storage(serve="redirect")
    with app.app_context():
        backend = files.backend
        client = backend._ready()
        for name in ("notes.txt", "data.csv"):
            client.put_object(
                Bucket=backend.bucket,
                Key=backend._key(name),
                Body=b"<script>document.title='pwned'</script>",
                ContentType="text/plain,text/html",
            )
        signed = {name: files.signed_url(name, 60) for name in ("notes.txt", "data.csv")}
    redirected = {name: app.test_client().get(f"/files/{name}").location for name in signed}
    for name, inline in (("notes.txt", True), ("data.csv", False)):
        for url in (signed[name], redirected[name]):
            with urllib.request.urlopen(url, timeout=30) as fetched:
                assert "," not in fetched.headers["Content-Type"]
                assert fetched.headers["Content-Type"].split(";")[0] == mimetypes_of[name]
                disposition = fetched.headers["Content-Disposition"]
                assert disposition.startswith("inline" if inline else "attachment"), (name, url)


mimetypes_of = {"notes.txt": "text/plain", "data.csv": "text/csv"}


def test_presigned_put_is_the_storages_first_use(s3_server, make_backend):
    """A browser upload may be the first thing a new storage does: its bucket exists then."""
    backend = make_backend(s3_server)
    put = backend.signed_url("first.txt", 60, method="PUT")
    request = urllib.request.Request(put, b"first", {"Content-Type": "text/plain"}, method="PUT")
    with urllib.request.urlopen(request, timeout=30):
        pass
    assert backend.read("first.txt") == b"first"


def test_presigned_put_carries_the_storages_sse_and_acl(moto_server, make_backend):
    """A PUT URL is a write like the others: it is signed with the storage's SSE and ACL
    headers, which the uploader sends (as it sends the Content-Type)."""
    backend = make_backend(moto_server, sse="AES256", acl="public-read")
    backend.write("before.txt", b"the bucket exists")
    put = backend.signed_url("up.txt", 60, method="PUT")
    signed = parse_qs(urlsplit(put).query)["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-type", "x-amz-server-side-encryption", "x-amz-acl"} <= set(signed)
    headers = {
        "Content-Type": "text/plain",
        "x-amz-server-side-encryption": "AES256",
        "x-amz-acl": "public-read",
    }
    with urllib.request.urlopen(urllib.request.Request(put, b"up", headers, method="PUT"), timeout=30):
        pass
    assert backend.client.head_object(Bucket=backend.bucket, Key="up.txt")["ServerSideEncryption"] == "AES256"
    grants = backend.client.get_object_acl(Bucket=backend.bucket, Key="up.txt")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)


def test_presigned_urls_are_checked_by_swift(swift_server, make_backend):
    backend = make_backend(swift_server, acl="public-read")
    backend.write("a.txt", b"a")
    put = backend.signed_url("b.txt", 60, method="PUT")
    for headers in (
        {"Content-Type": "image/png", "x-amz-acl": "public-read"},
        {"Content-Type": "text/plain"},
    ):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(urllib.request.Request(put, b"b", headers, method="PUT"), timeout=30)
        assert info.value.code == 403, headers
    headers = {"Content-Type": "text/plain", "x-amz-acl": "public-read"}
    with urllib.request.urlopen(urllib.request.Request(put, b"b", headers, method="PUT"), timeout=30):
        pass
    assert backend.read("b.txt") == b"b"
    # A GET URL's type and disposition are signed: a client cannot turn a download inline.
    backend.write("page.html", b"<script>alert(1)</script>")
    get = backend.signed_url("page.html", 60)
    query = parse_qs(urlsplit(get).query)
    assert query["response-content-disposition"][0].startswith("attachment")
    assert query["response-content-type"] == ["text/html"]
    for tampered in (
        get.replace("response-content-disposition=attachment", "response-content-disposition=inline"),
        get.replace("response-content-type=text%2Fhtml", "response-content-type=text%2Fplain"),
        re.sub(r"&?response-content-disposition=[^&]*", "", get),
    ):
        assert tampered != get
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(tampered, timeout=30)
        assert info.value.code == 403, tampered
    expired = backend.signed_url("a.txt", 1)
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(expired, timeout=30)
    assert info.value.code == 403


def make_app(server, **config) -> tuple[Flask, fs_core.Storage]:
    """An app whose storage ``files`` is configured through the cascade, as users do."""
    app = Flask(unique_name("app"))
    app.config.update(
        SECRET_KEY="s",
        FS_BACKEND="s3",
        FS_S3_ENDPOINT=server.endpoint,
        FS_S3_ACCESS_KEY=server.access_key,
        FS_S3_SECRET_KEY=server.secret_key,
        FS_S3_REGION=server.region,
        FS_S3_BUCKET=unique_name("app"),
    )
    app.config.update({f"FILES_FS_{k.upper()}": v for k, v in config.items()})
    storage = fs_core.Storage("files", fs_core.ALL)
    fs_core.init_app(app, storage)
    return app, storage


@pytest.fixture
def app_storage(s3_server, request):
    made: list[fs_core.Storage] = []

    def make(**config) -> tuple[Flask, fs_core.Storage]:
        app, storage = make_app(s3_server, **config)
        made.append((app, storage))
        return app, storage

    yield make
    for app, storage in made:
        with app.app_context():
            backend = storage.backend
            if backend._client is not None:
                empty_bucket(backend.client, backend.bucket, delete_bucket=True)


def test_serve_streams_ranges_through_the_app(app_storage):
    app, files = app_storage()
    with app.app_context():
        files.write("big.bin", PatternStream(2 * MiB).read(2 * MiB))
        data = files.read("big.bin")
        backend = files.backend
        calls = CallRecorder(backend.client, backend._creator())
    client = app.test_client()
    partial = client.get("/files/big.bin", headers={"Range": "bytes=1500000-1500009"})
    assert partial.status_code == 206
    assert partial.data == data[1500000:1500010]
    assert [g.get("Range") for g in calls.named("GetObject")] == ["bytes=1500000-"]
    etag = partial.headers["ETag"]
    assert client.get("/files/big.bin", headers={"If-None-Match": etag}).status_code == 304
    assert calls.count("GetObject") == 1  # a 304 reads no body


def test_serve_redirects_to_a_presigned_url(app_storage):
    app, files = app_storage(serve="redirect")

    @app.get("/download/<path:name>")
    def download(name):
        return files.serve(name, as_attachment=True, download_name="грüße.txt")

    with app.app_context():
        files.write("page.html", b"<script>alert(1)</script>")
        files.write("dir/hello.txt", b"hello")
    client = app.test_client()
    response = client.get("/files/dir/hello.txt")
    assert response.status_code == 302
    assert "no-store" in response.headers["Cache-Control"]
    with urllib.request.urlopen(response.location, timeout=30) as fetched:
        assert fetched.read() == b"hello"
        assert fetched.headers["Content-Type"].startswith("text/plain")
        assert fetched.headers["Content-Disposition"].startswith("inline")
    active = client.get("/files/page.html")
    with urllib.request.urlopen(active.location, timeout=30) as fetched:
        assert fetched.headers["Content-Disposition"].startswith("attachment")
    assert client.get("/files/missing.txt").status_code == 404

    redirected = client.get("/download/dir/hello.txt")
    assert redirected.status_code == 302
    with urllib.request.urlopen(redirected.location, timeout=30) as fetched:
        assert fetched.read() == b"hello"
        assert fetched.headers["Content-Disposition"] == (
            "attachment; filename=ue.txt; filename*=UTF-8''%D0%B3%D1%80%C3%BC%C3%9Fe.txt"
        )


def test_storage_signed_url_is_the_services(app_storage):
    app, files = app_storage(private=True)
    with app.app_context():
        files.write("private.txt", b"secret")
        url = files.signed_url("private.txt", expires=60)
        assert url.startswith(files.backend.settings.endpoint)
        assert files.metadata("private.txt")["url"] is None
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"secret"
    assert app.test_client().get("/files/private.txt").status_code == 403


def test_readme_example_works(moto_server):
    """The README's example, run as written against moto (only the endpoint replaced)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    code = re.search(r"## A working example\n\n```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(
        compile(code.replace('"http://127.0.0.1:9000"', repr(moto_server.endpoint)), "README.md", "exec"),
        namespace,
    )
    app, exports = namespace["app"], namespace["exports"]
    client = app.test_client()
    upload = {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n"), "photo.png")}
    url = client.post("/avatar", data=upload).json["url"]
    assert url == "/avatars/users/42/photo.png"
    redirected = client.get(url)
    assert redirected.status_code == 302
    with urllib.request.urlopen(redirected.location, timeout=30) as response:
        assert response.read() == b"\x89PNG\r\n\x1a\n"
    with app.app_context():
        exports.write("report.csv", b"a,b")
        backend = exports.backend
        assert backend.settings.write_args == {"ServerSideEncryption": "AES256"}
    signed = client.get("/download/report.csv").json["url"]
    with urllib.request.urlopen(signed, timeout=30) as response:
        assert response.read() == b"a,b"
        assert response.headers["Content-Disposition"].startswith("attachment")
    assert client.get("/exports/report.csv").status_code == 403  # private: signed URLs only
    empty_bucket(backend.client, backend.bucket, delete_bucket=True)


@pytest.mark.parametrize("size", [10, 6 * MiB], ids=["put", "multipart"])
def test_a_key_prefix_leaves_less_room_for_names(s3_server, make_backend, size):
    """S3 keys are at most 1,024 bytes, the storage's key prefix included: a name that fits
    with the prefix is stored (on moto, which takes longer keys, and on Swift's s3api, which
    answered ``KeyTooLongError`` as a BackendError); a longer one is InvalidFilename before
    any request, so no object and no unfinished multipart upload is left. A multipart upload
    needs 54 bytes more (Swift's s3api names its parts ``<key>/<upload id>/<part>`` and
    answered a bare ``InternalError``)."""
    from fs_core.testing import name_of_length

    bucket = unique_name()
    backend = make_backend(
        s3_server,
        bucket=bucket,
        key_prefix="tenant-a/files",
        multipart_chunksize="5MiB",
        multipart_threshold="5MiB",
    )
    assert backend.max_name_bytes == 1024 - len("tenant-a/files/")
    room = backend.max_name_bytes - (54 if size > 5 * MiB else 0)
    fits, too_long = name_of_length(room), name_of_length(room + 1)
    data = PatternStream(size).read(size)
    backend.save(io.BytesIO(data), fits)
    assert backend.read(fits) == data
    with pytest.raises(InvalidFilename, match=r"too long for storage .*shorten it by 1 byte$"):
        backend.save(io.BytesIO(data), too_long)
    too_long = name_of_length(backend.max_name_bytes + 1)  # copies below 5 GiB have no parts
    for operation in (backend.copy, backend.move):
        with pytest.raises(InvalidFilename, match="too long"):
            operation(fits, too_long)
    neighbour = make_backend(s3_server, bucket=bucket, key_prefix="b")
    neighbour.write("x.txt", b"x")
    with pytest.raises(InvalidFilename, match="too long"):
        backend.copy_from(neighbour, "x.txt", too_long)
    assert list(backend.list_files()) == [fits]
    assert list(backend.leftovers(0)) == []
