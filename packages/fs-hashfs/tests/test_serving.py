"""URLs as Flask-HashFS built them, and the route that serves the addresses with the core's
HTTP semantics, an immutable cache lifetime and the content id as a strong ETag."""

from __future__ import annotations

import hashlib
import io

import pytest

import fs_core
from fs_hashfs import HashFSConfigError


@pytest.mark.parametrize(
    ("config", "path", "external", "expected"),
    [  # Flask-HashFS's own table
        ({}, "foo/bar/baz.txt", True, "http://localhost/foo/bar/baz.txt"),
        ({}, "foo/bar/baz.txt", False, "/foo/bar/baz.txt"),
        ({"HASHFS_HOST": "https://s3.amazon.com/foobar"}, "qux", True, "https://s3.amazon.com/foobar/qux"),
        ({"HASHFS_HOST": "https://s3.amazon.com/foobar"}, "qux", False, "/qux"),
        ({"HASHFS_PATH_PREFIX": "/aaa"}, "foo/bar/baz.txt", True, "http://localhost/aaa/foo/bar/baz.txt"),
        ({"HASHFS_PATH_PREFIX": "/aaa"}, "foo/bar/baz.txt", False, "/aaa/foo/bar/baz.txt"),
        (
            {"HASHFS_HOST": "https://s3.amazon.com/foobar", "HASHFS_PATH_PREFIX": "/aaa"},
            "qux",
            True,
            "https://s3.amazon.com/foobar/aaa/qux",
        ),
        (
            {"HASHFS_HOST": "https://s3.amazon.com/foobar", "HASHFS_PATH_PREFIX": "/aaa"},
            "qux",
            False,
            "/aaa/qux",
        ),
        ({}, "a b/é.txt", False, "/a%20b/%C3%A9.txt"),
    ],
)
def test_url_for(make_app, config, path, external, expected):
    app, fs = make_app(**config)
    with app.test_request_context():
        assert fs.url_for(path, external=external) == expected


def test_url_for_outside_a_request(make_app):
    app, fs = make_app(HASHFS_PATH_PREFIX="/files")
    with app.app_context():
        address = fs.put(io.BytesIO(b"x"))
        assert fs.url_for(address, external=False) == f"/files/{address.relpath}"
        with pytest.raises(HashFSConfigError, match="SERVER_NAME"):
            fs.url_for(address)
    app.config.update(SERVER_NAME="cdn.test", PREFERRED_URL_SCHEME="https")
    with app.app_context():
        assert fs.url_for(address) == f"https://cdn.test/files/{address.relpath}"
    with app.test_request_context(), pytest.raises(fs_core.InvalidFilename):
        fs.url_for("../../admin")


def test_served_with_an_immutable_lifetime_and_the_content_id_as_strong_etag(make_app):
    app, fs = make_app(HASHFS_PATH_PREFIX="/uploads")
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    with app.app_context():
        address = fs.put(io.BytesIO(content), extension=".png")
    with app.test_request_context():
        url = fs.url_for(address, external=False)
    client = app.test_client()

    response = client.get(url)
    assert response.status_code == 200
    assert response.data == content
    assert hashlib.sha256(response.data).hexdigest() == address.id
    assert response.headers["ETag"] == f'"{address.id}"'  # strong: no W/
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    cache = response.cache_control
    assert cache.public
    assert cache.immutable
    assert cache.max_age == 365 * 24 * 3600

    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == response.headers["ETag"]
    assert again.cache_control.immutable

    part = client.get(url, headers={"Range": "bytes=8-15", "If-Range": response.headers["ETag"]})
    assert part.status_code == 206
    assert part.data == content[8:16]
    assert part.headers["Content-Range"] == f"bytes 8-15/{len(content)}"
    stale = client.get(url, headers={"Range": "bytes=8-15", "If-Range": '"0000"'})
    assert stale.status_code == 200
    assert stale.data == content


def test_only_addresses_are_routed_and_missing_ones_are_404(make_app):
    app, fs = make_app(HASHFS_PATH_PREFIX="/uploads")
    with app.app_context():
        address = fs.put(io.BytesIO(b"here"), extension=".txt")
        fs.client.storage.write("notes.txt", b"not an address")
    client = app.test_client()
    missing = "/uploads/" + fs_core.naming.hashed_name("f" * 64, "txt")
    assert client.get(missing).status_code == 404
    assert client.get(missing, headers={"If-None-Match": f'"{"f" * 64}"'}).status_code == 404
    assert client.get("/uploads/notes.txt").status_code == 404  # not a name of the layout
    assert client.get("/uploads/" + address.relpath.replace("/", "/../", 1)).status_code == 404
    assert client.get("/uploads/" + address.relpath).status_code == 200


def test_route_at_the_site_root_catches_nothing_else(make_app):
    app, fs = make_app()  # HASHFS_PATH_PREFIX '' (Flask-HashFS's default)

    @app.get("/about")
    def about():
        return "about"

    with app.app_context():
        address = fs.put(io.BytesIO(b"root"))
    client = app.test_client()
    assert client.get("/about").data == b"about"
    assert client.get("/" + address.relpath).data == b"root"


def test_private_or_unserved_storages_are_not_served(make_app):
    app, fs = make_app(HASHFS_PATH_PREFIX="/u", HASHFS_FS_PRIVATE=True)
    with app.app_context():
        address = fs.put(io.BytesIO(b"secret"))
    assert app.test_client().get(f"/u/{address.relpath}").status_code == 403
    app, fs = make_app(HASHFS_PATH_PREFIX="/u", HASHFS_FS_SERVE=False)
    with app.app_context():
        address = fs.put(io.BytesIO(b"by the web server"))
    assert app.test_client().get(f"/u/{address.relpath}").status_code == 404


def test_other_layouts_have_their_own_route(make_app):
    app, fs = make_app(HASHFS_DEPTH=2, HASHFS_WIDTH=3, HASHFS_ALGORITHM="md5", HASHFS_PATH_PREFIX="/m")
    with app.app_context():
        address = fs.put(io.BytesIO(b"md5 content"), extension=".tar.gz")
    assert address.relpath.count("/") == 2
    assert address.relpath.endswith(".tar.gz")
    response = app.test_client().get(f"/m/{address.relpath}")
    assert response.status_code == 200
    assert response.data == b"md5 content"
    assert response.headers["ETag"] == f'"{hashlib.md5(b"md5 content").hexdigest()}"'
