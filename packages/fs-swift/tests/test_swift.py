"""Swift-specific behaviour on a real Swift: Static Large Objects and their segments, ranges,
listings beyond one page, bulk deletes, shared containers, create-only, TempURLs, serving."""

from __future__ import annotations

import hashlib
import io
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from flask import Flask

import fs_core
from fs_core import ATOMIC_CREATE, SERVER_SIDE_COPY, SIGNED_URLS
from fs_core.errors import BackendError, ConfigurationError, FileExists, InvalidFilename
from fs_core.testing import FailingStream, PatternStream, bind_backend
from fs_swift import listing
from fs_swift.backend import SwiftBackend
from fs_swift.listing import list_objects
from fs_swift.settings import MiB
from fs_testservers import unique_name

KiB = 1024
#: Files above 512 KiB go up in segments of 256 KiB.
SMALL_SLO = {"slo_threshold": 512 * KiB, "segment_size": 256 * KiB}
SIGNING = {"temp_url_key": "test-secret", "set_temp_url_key": True}


def segments(backend: SwiftBackend) -> list[str]:
    """Every segment under the backend's prefix, as named in the segment container."""
    conn = backend.connections.get()
    try:
        return [item["name"] for item in list_objects(conn, backend.segment_container, backend.key_prefix)]
    except Exception:
        return []  # no segment container yet


def raw_head(backend: SwiftBackend, name: str) -> dict[str, str]:
    return backend.connections.get().head_object(backend.container, backend._key(name))


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def storage_on(backend: SwiftBackend) -> tuple[Flask, fs_core.Storage]:
    app = Flask(unique_name("app"))
    app.config.update(SECRET_KEY="x", SERVER_NAME="swift.test", FS_PLUGINS=[])
    storage = fs_core.Storage(backend.name, fs_core.ALL)
    bind_backend(app, storage, backend)
    return app, storage


# -- Static Large Objects ------------------------------------------------------------------------


@pytest.mark.parametrize("seekable", [True, False], ids=["known size", "unknown size"])
def test_large_object_round_trip_in_segments(make_backend, seekable):
    backend = make_backend(**SMALL_SLO)
    size = 5 * 256 * KiB + 1000  # five whole segments and a short one
    data = PatternStream(size).read(size)
    backend.save(io.BytesIO(data) if seekable else PatternStream(size), "big/file.bin")

    head = raw_head(backend, "big/file.bin")
    assert head["x-static-large-object"] == "True"
    assert int(head["content-length"]) == size
    stored = segments(backend)
    assert len(stored) == 6
    assert all(name.startswith(backend._key("big/file.bin") + "/") for name in stored)
    assert hashlib.sha256(backend.read("big/file.bin")).digest() == hashlib.sha256(data).digest()

    with backend.open("big/file.bin", "rb") as f:  # a range across a segment border
        f.seek(256 * KiB - 5)
        assert f.read(10) == data[256 * KiB - 5 : 256 * KiB + 5]
        f.seek(-3, io.SEEK_END)
        assert f.read() == data[-3:]
    meta = backend.metadata("big/file.bin")
    assert meta["size"] == size
    assert meta["checksum"] == f"etag:{head['etag'].strip(chr(34))}"  # not the content's MD5
    assert list(backend.list_files()) == ["big/file.bin"]  # segments are never files


def test_files_up_to_the_threshold_are_one_object(make_backend):
    backend = make_backend(**SMALL_SLO)
    backend.save(io.BytesIO(b"x" * 512 * KiB), "at-threshold.bin")
    backend.save(PatternStream(512 * KiB), "unknown-size.bin")
    for name in ("at-threshold.bin", "unknown-size.bin"):
        assert "x-static-large-object" not in raw_head(backend, name)
        assert backend.metadata(name)["checksum"].startswith("md5:")
    assert segments(backend) == []


def test_overwrite_removes_the_segments_it_replaces(make_backend):
    backend = make_backend(**SMALL_SLO)
    backend.save(PatternStream(MiB), "f.bin")
    first = segments(backend)
    assert len(first) == 4
    backend.save(PatternStream(600 * KiB, seed=b"two"), "f.bin", overwrite=True)  # SLO over SLO
    second = segments(backend)
    assert len(second) == 3
    assert not set(first) & set(second)
    assert hashlib.sha256(backend.read("f.bin")).hexdigest() == PatternStream(600 * KiB, seed=b"two").digest
    backend.save(io.BytesIO(b"small now"), "f.bin", overwrite=True)  # plain over SLO
    assert segments(backend) == []
    assert backend.read("f.bin") == b"small now"


def test_delete_removes_segments_of_the_file_and_its_folder_only(make_backend):
    backend = make_backend(**SMALL_SLO)
    for name in ("a", "a/b/c.bin", "ab"):
        backend.save(PatternStream(600 * KiB), name)
    backend.delete("a")
    assert set(backend.list_files()) == {"ab"}
    remaining = segments(backend)
    assert remaining
    assert all(name.startswith(backend._key("ab") + "/") for name in remaining)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_failed_large_upload_leaves_no_segment_and_the_previous_file(make_backend, overwrite):
    backend = make_backend(**SMALL_SLO)
    if overwrite:
        backend.write("f.bin", b"previous")
    with pytest.raises(OSError, match="went away"):
        backend.save(FailingStream(900 * KiB), "f.bin", overwrite=overwrite)
    assert segments(backend) == []
    assert list(backend.leftovers(0)) == []
    assert backend.read("f.bin") == b"previous" if overwrite else not backend.exists("f.bin")


def test_copy_and_move_of_a_large_object_get_their_own_segments(make_backend):
    backend = make_backend(**SMALL_SLO)
    backend.save(PatternStream(700 * KiB), "src.bin")
    backend.copy("src.bin", "copy.bin")
    backend.move("src.bin", "moved.bin")
    assert set(backend.list_files()) == {"copy.bin", "moved.bin"}
    digest = PatternStream(700 * KiB).digest
    backend.delete("copy.bin")
    assert hashlib.sha256(backend.read("moved.bin")).hexdigest() == digest
    assert {name.split("/")[-3] for name in segments(backend)} == {"moved.bin"}
    assert list(backend.leftovers(0)) == []


def test_copy_keeps_type_and_refuses_an_existing_target(make_backend):
    backend = make_backend()
    backend.save(io.BytesIO(b"{}"), "a.json")
    backend.copy("a.json", "b.json")
    assert raw_head(backend, "b.json")["content-type"] == "application/json"
    backend.write("c.json", b"[]")
    with pytest.raises(FileExists):
        backend.copy("a.json", "c.json")
    assert backend.read("c.json") == b"[]"


# -- listing and deleting ------------------------------------------------------------------------


def test_listing_more_than_10000_objects(make_backend, swift_server):
    backend = make_backend()
    backend.write("many/real.txt", b"a real object")
    backend.write("many2/kept.txt", b"x")
    names = [f"many/{i:05d}.txt" for i in range(10_050)]
    swift_server.seed_listing(backend.container, names)
    pages: list[Any] = []
    real_get_container = backend.connections.get().get_container

    def counting(*args: Any, **kwargs: Any) -> Any:
        pages.append(kwargs.get("marker"))
        return real_get_container(*args, **kwargs)

    backend.connections.get().get_container = counting
    listed = list(backend.list_files("many"))
    assert len(listed) == 10_051
    assert set(listed) == {*names, "many/real.txt"}
    assert pages == [None, "many/09999.txt"]  # two pages, the second after the last name
    assert len(list(backend.list_files())) == 10_052
    # The seeded names have no objects: deleting them one by one would take minutes.
    backend.delete("many/real.txt")
    backend.delete("many2")
    backend._container_ready = False  # (make_backend then leaves the container as it is)


def test_bulk_delete_in_batches(make_backend, monkeypatch):
    backend = make_backend()
    names = [f"many/{i:04d}.txt" for i in range(250)]
    conn = backend._conn()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: backend._conn().put_object(backend.container, n, b"x"), names))
    backend.write("many2/kept.txt", b"x")
    batches: list[int] = []
    real = listing._bulk_delete
    monkeypatch.setattr(listing, "BULK_BATCH", 100)
    monkeypatch.setattr(
        listing, "_bulk_delete", lambda c, paths, s: batches.append(len(paths)) or real(c, paths, s)
    )
    backend.delete("many")
    assert batches == [100, 100, 50]
    assert list(backend.list_files()) == ["many2/kept.txt"]
    assert conn.head_container(backend.container)["x-container-object-count"] == "1"


def test_without_bulk_delete_objects_go_one_by_one(make_backend, monkeypatch):
    backend = make_backend(bulk_delete=False)
    for i in range(3):
        backend.write(f"d/{i}.txt", b"x")
    monkeypatch.setattr(listing, "_bulk_delete", lambda *a: pytest.fail("bulk delete used"))
    backend.delete("d")
    assert list(backend.list_files()) == []


def test_shared_container_isolates_storages(make_backend):
    container, name = unique_name("shared"), unique_name("s")
    docs = make_backend(name, container=container, **SMALL_SLO)
    docs2 = make_backend(name + "2", container=container, **SMALL_SLO)
    for backend in (docs, docs2):
        for key in ("a/1.txt", "ab/2.txt", "a.txt"):
            backend.write(key, backend.name.encode())
        backend.save(PatternStream(600 * KiB), "a/big.bin")
    docs.delete("a")
    assert set(docs.list_files()) == {"ab/2.txt", "a.txt"}
    assert set(docs2.list_files()) == {"a/1.txt", "ab/2.txt", "a.txt", "a/big.bin"}
    assert segments(docs) == []
    assert len(segments(docs2)) == 3
    raw = list_objects(docs.connections.get(), container, "")
    assert {item["name"].split("/")[0] for item in raw} == {name, name + "2"}


# -- containers ----------------------------------------------------------------------------------


def test_existing_container_is_used_and_creation_can_be_off(make_backend):
    off = make_backend(create_container=False)
    with pytest.raises(BackendError, match=f"container '{off.container}' does not exist.*CREATE_CONTAINER"):
        off.write("x.txt", b"x")
    off.connections.get().put_container(off.container, headers={"X-Container-Meta-Kept": "yes"})
    off.write("x.txt", b"x")
    on = make_backend(off.name)  # creation on: the existing container is used as it is
    assert on.read("x.txt") == b"x"
    assert on.connections.get().head_container(on.container)["x-container-meta-kept"] == "yes"


# -- create-only ---------------------------------------------------------------------------------


def test_create_only_is_refused_by_swift_and_not_declared_atomic(make_backend):
    backend = make_backend()
    assert ATOMIC_CREATE not in backend.capabilities
    assert {SERVER_SIDE_COPY, SIGNED_URLS} <= backend.capabilities
    backend.write("once.txt", b"1", overwrite=False)
    sent: list[dict[str, str]] = []
    conn = backend.connections.get()
    real_put = conn.put_object
    conn.put_object = lambda *a, **kw: sent.append(kw.get("headers") or {}) or real_put(*a, **kw)
    with pytest.raises(FileExists):
        backend.write("once.txt", b"2", overwrite=False)
    assert [h.get("If-None-Match") for h in sent] == ["*"]  # refused by Swift itself, no HEAD first
    assert backend.read("once.txt") == b"1"


def test_a_create_whose_answer_was_lost_is_its_own(make_backend):
    """Swift stored the object, the answer was lost, swiftclient sent the PUT again: its
    ``If-None-Match: *`` meets the object (412), which carries the save's own token."""
    backend = make_backend()
    backend.write("warm.txt", b"x")
    conn = backend.connections.get()
    real_put = conn.put_object

    def put_then_conflict(container: str, name: str, contents: Any, **kw: Any) -> Any:
        real_put(container, name, contents, **kw)
        from swiftclient.exceptions import ClientException

        raise ClientException("Object PUT failed", http_status=412)

    conn.put_object = put_then_conflict
    assert backend.save(io.BytesIO(b"mine"), "lost.txt") == "lost.txt"
    conn.put_object = real_put
    backend.write("other.txt", b"theirs")
    conn.put_object = lambda *a, **kw: (_ for _ in ()).throw(
        __import__("swiftclient").ClientException("Object PUT failed", http_status=412)
    )
    with pytest.raises(FileExists):
        backend.save(io.BytesIO(b"mine"), "other.txt")


def test_a_large_create_only_save_is_refused_before_any_segment(make_backend):
    backend = make_backend(**SMALL_SLO)
    backend.write("big.bin", b"old")
    with pytest.raises(FileExists):
        backend.save(PatternStream(MiB), "big.bin")
    assert segments(backend) == []
    assert backend.read("big.bin") == b"old"


# -- TempURLs and serving ------------------------------------------------------------------------


def test_temp_url_works_until_it_expires(make_backend):
    backend = make_backend(**SIGNING)
    backend.write("report.txt", b"quarterly")
    url = backend.signed_url("report.txt", expires=2)
    status, headers, body = fetch(url)
    assert (status, body) == (200, b"quarterly")
    assert headers["Content-Disposition"].startswith("inline")
    assert fetch(url, "DELETE")[0] == 401  # signed for GET (Swift lets a GET signature HEAD too)
    time.sleep(3.2)
    assert fetch(url)[0] == 401


def test_tampered_temp_urls_are_refused(make_backend):
    backend = make_backend(**SIGNING)
    backend.write("a.txt", b"a")
    backend.write("b.txt", b"b")
    url = backend.signed_url("a.txt", expires=60)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    sig = query["temp_url_sig"][0]
    forged_sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    other_path = parts._replace(path=parts.path.replace("a.txt", "b.txt"))
    longer = parts._replace(
        query=parts.query.replace(query["temp_url_expires"][0], str(int(time.time()) + 9999))
    )
    for forged in (
        urlunsplit(parts._replace(query=parts.query.replace(sig, forged_sig))),
        urlunsplit(other_path),
        urlunsplit(longer),
    ):
        assert fetch(forged)[0] == 401, forged
    assert fetch(url)[2] == b"a"


@pytest.mark.parametrize(
    "name",
    ["q?x=1.txt", "dir/a b#c%d&e+f;g.txt", "é/\u2028\u202etxt.exe", "d/%2e%2e/x.txt", "..txt"],
)
def test_temp_urls_of_odd_names_open_that_file(make_backend, name):
    backend = make_backend(container=unique_name("odd"), **SIGNING)
    backend.write(name, b"the file")
    backend.write("q", b"a neighbour")  # what a '?' cut short would reach
    status, headers, body = fetch(backend.signed_url(name, expires=60, as_attachment=True))
    assert (status, body) == (200, b"the file")
    assert headers["Content-Disposition"].startswith("attachment")


def test_large_objects_with_a_containers_key_are_signed_and_served_by_the_app(make_backend):
    """A container's TempURL key cannot open the segment container (Swift answers 409): the
    core's view URL, which streams, stands in for the TempURL, and redirects stream too."""
    backend = make_backend(serve="redirect", **SMALL_SLO, **SIGNING)
    large = PatternStream(3 * 256 * KiB)
    backend.save(large, "big.bin")
    backend.write("small.txt", b"one object")
    raw = backend._sign("big.bin", 60, "GET")
    assert fetch(raw)[0] == 409  # what a TempURL of it would get
    assert backend.signed_url("big.bin", 60) is None
    assert backend.signed_url("big.bin", 60, method="HEAD")  # a HEAD reads no segment
    assert backend.signed_url("small.txt", 60)
    app, storage = storage_on(backend)
    client = app.test_client()
    with app.app_context():
        url = storage.signed_url("big.bin", 60, external=False)
        assert "temp_url_sig" not in url
    response = client.get(url)
    assert (response.status_code, hashlib.sha256(response.data).hexdigest()) == (200, large.digest)
    response = client.get(storage.url("big.bin"))
    assert (response.status_code, hashlib.sha256(response.data).hexdigest()) == (200, large.digest)
    assert client.get(storage.url("small.txt")).status_code == 302


def test_large_objects_with_the_accounts_key_redirect_to_a_temp_url(make_backend):
    """An account's key opens the segment container too: large objects get TempURLs. (In
    another tempauth account than the other tests', which its key must not change.)"""
    backend = make_backend(
        user="test2:tester2", key="testing2", temp_url_key="account-secret", serve="redirect", **SMALL_SLO
    )
    conn = backend.connections.get()
    conn.post_account({"X-Account-Meta-Temp-URL-Key": "account-secret"})
    try:
        large = PatternStream(3 * 256 * KiB)
        backend.save(large, "big.bin")
        status, _, body = fetch(backend.signed_url("big.bin", 60))
        assert (status, hashlib.sha256(body).hexdigest()) == (200, large.digest)
        app, storage = storage_on(backend)
        response = app.test_client().get(storage.url("big.bin"))
        assert response.status_code == 302
        status, _, body = fetch(response.location)
        assert (status, hashlib.sha256(body).hexdigest()) == (200, large.digest)
    finally:
        backend.delete("big.bin")
        conn.post_account({"X-Account-Meta-Temp-URL-Key": ""})


def test_temp_url_key_stored_on_the_container_and_read_back(make_backend):
    backend = make_backend(**SIGNING)
    backend.write("k.txt", b"k")
    backend.signed_url("k.txt", expires=60)
    head = backend.connections.get().head_container(backend.container)
    assert head["x-container-meta-temp-url-key"] == "test-secret"
    reader = make_backend(backend.name)  # no key configured: the container's is found
    assert fetch(reader.signed_url("k.txt", expires=60))[2] == b"k"
    unkeyed = make_backend()
    unkeyed.write("x.txt", b"x")
    with pytest.raises(ConfigurationError, match="TEMP_URL_KEY"):
        unkeyed.signed_url("x.txt", expires=60)


def test_signed_put_and_delete(make_backend):
    backend = make_backend(**SIGNING)
    backend.write("warm.txt", b"x")
    request = urllib.request.Request(
        backend.signed_url("up.txt", 60, method="PUT"),
        data=b"uploaded",
        method="PUT",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
    assert backend.read("up.txt") == b"uploaded"
    assert fetch(backend.signed_url("up.txt", 60, method="DELETE"), "DELETE")[0] == 204
    assert not backend.exists("up.txt")
    assert backend.signed_url("up.txt", 60, method="POST") is None


@pytest.mark.parametrize(
    ("name", "kwargs", "disposition"),
    [
        ("notes.txt", {}, "inline; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"),
        ("page.html", {}, "attachment; filename=\"page.html\"; filename*=UTF-8''page.html"),
        ("notes.txt", {"as_attachment": True}, 'attachment; filename="notes.txt"'),
        ("notes.txt", {"download_name": "résumé.txt"}, 'inline; filename="r%C3%A9sum%C3%A9.txt"'),
    ],
)
def test_redirect_to_a_temp_url_with_the_cores_disposition(make_backend, name, kwargs, disposition):
    backend = make_backend(serve="redirect", **SIGNING)
    backend.write(name, b"<p>content</p>")
    app, _ = storage_on(backend)
    with app.test_request_context():
        response = backend.serve(name, **kwargs)
    assert response.status_code == 302
    assert response.cache_control.no_store
    status, headers, body = fetch(response.location)
    assert (status, body) == (200, b"<p>content</p>")
    assert headers["Content-Disposition"].startswith(disposition)
    assert headers["Content-Type"].startswith("text/html" if name.endswith(".html") else "text/plain")


def test_a_stored_type_swift_would_send_wrongly_is_streamed_not_redirected(make_backend):
    backend = make_backend(serve="redirect", **SIGNING)
    conn = backend._conn()
    conn.put_object(backend.container, "old.txt", b"<script>", content_type="text/plain,text/html")
    app, storage = storage_on(backend)
    response = app.test_client().get(storage.url("old.txt"))
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.data == b"<script>"


def test_streamed_serving_reads_only_the_range(make_backend):
    backend = make_backend(**SMALL_SLO)
    data = PatternStream(MiB).read(MiB)
    backend.save(io.BytesIO(data), "v.bin")
    app, storage = storage_on(backend)
    ranges: list[str] = []
    conn = backend.connections.get()
    real_get = conn.get_object
    conn.get_object = lambda *a, **kw: ranges.append(kw["headers"]["Range"]) or real_get(*a, **kw)
    client = app.test_client()
    response = client.get(storage.url("v.bin"), headers={"Range": "bytes=600000-600009"})
    assert (response.status_code, response.data) == (206, data[600000:600010])
    assert ranges == ["bytes=600000-"]
    etag = response.headers["ETag"]
    assert client.get(storage.url("v.bin"), headers={"If-None-Match": etag}).status_code == 304
    assert ranges == ["bytes=600000-"]  # a 304 reads nothing


def test_file_replaced_while_read_is_an_error(make_backend):
    backend = make_backend()
    backend.write("v.txt", b"version one " * 100_000)
    with backend.open_read("v.txt") as f:
        f.read(10)
        backend.write("v.txt", b"version two " * 100_000)
        f.seek(1_000_000)  # beyond what the first GET buffered
        with pytest.raises(BackendError, match="replaced while it was being read"):
            f.read(10)


def test_a_name_prefix_leaves_less_room_for_names(make_backend):
    """The cluster's limit (``max_object_name_length``, 1,024 bytes) counts the storage's name
    prefix: ``max_name_bytes`` says what is left, and a name of exactly that many bytes is
    stored (fs-core's contract suite found the prefix counted nowhere else)."""
    from fs_core.testing import name_of_length

    backend = make_backend(container=unique_name(), key_prefix="tenant-a/files")
    assert backend.max_name_bytes == 1024 - len("tenant-a/files/")
    fits = name_of_length(backend.max_name_bytes)
    backend.write(fits, b"x")
    with pytest.raises(
        InvalidFilename, match=r"under the name prefix 'tenant-a/files/'.*shorten it by 1 byte$"
    ):
        backend.write(name_of_length(backend.max_name_bytes + 1), b"x")
    assert list(backend.list_files()) == [fits]


def test_names_too_long_for_swift_are_refused_before_anything_is_sent(make_backend):
    backend = make_backend(**SMALL_SLO)
    fits = "d/" + "é" * 490 + "a" * 40  # 1,022 bytes in UTF-8 (Swift counts bytes)
    backend.write(fits, b"small: one object")
    assert backend.read(fits) == b"small: one object"
    # The same name as a large object: its segments' names would pass 1,024 bytes.
    with pytest.raises(InvalidFilename, match=r"1064 bytes \(42 of them for its segments"):
        backend.save(io.BytesIO(b"L" * (MiB)), fits, overwrite=True)
    assert backend.read(fits) == b"small: one object"
    with pytest.raises(InvalidFilename, match="1025 bytes, and it takes names of at most 1024 bytes"):
        backend.write(fits + "xyz", b"x")
    with pytest.raises(InvalidFilename, match="too long"):
        backend.copy(fits, fits + "xyz")
    assert segments(backend) == []
    assert list(backend.list_files()) == [fits]
    # Deleting its folder: too long a line for a bulk delete (3,000 bytes quoted), deleted alone.
    backend.write("d/short.txt", b"x")
    backend.delete("d")
    assert list(backend.list_files()) == []
