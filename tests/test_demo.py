"""The demo app: upload, list, download, delete, and readable messages for bad uploads."""

from __future__ import annotations

import io
import re

import pytest


@pytest.fixture
def client(demo_module, tmp_path):
    app = demo_module.create_app({"FS_ROOT": str(tmp_path), "UPLOADS_FS_MAX_SIZE": 1000, "TESTING": True})
    client = app.test_client()
    client.root = tmp_path / "uploads"
    return client


def csrf(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def upload(client, *files, token=None):
    data = {"csrf": token or csrf(client), "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/upload", data=data, follow_redirects=True).get_data(as_text=True)


def test_empty_list(client):
    assert "No files yet" in client.get("/").get_data(as_text=True)


def test_upload_list_download_delete(client):
    page = upload(client, ("notes.txt", b"hello"), ("фото.png", b"\x89PNG"))
    assert "Saved notes.txt." in page
    assert "Saved фото.png." in page
    assert 'href="/uploads/notes.txt"' in page
    assert "image/png" in page
    assert (client.root / "notes.txt").read_bytes() == b"hello"
    download = client.get("/uploads/notes.txt")
    assert download.data == b"hello"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    page = client.post("/delete", data={"csrf": csrf(client), "name": "notes.txt"}, follow_redirects=True)
    assert "Deleted notes.txt." in page.get_data(as_text=True)
    assert not (client.root / "notes.txt").exists()
    assert client.get("/uploads/notes.txt").status_code == 404


def test_same_name_twice_is_renamed(client):
    upload(client, ("a.txt", b"1"))
    page = upload(client, ("a.txt", b"2"))
    assert "Saved a_1.txt." in page
    assert (client.root / "a.txt").read_bytes() == b"1"


def test_bad_uploads_get_readable_messages(client):
    page = upload(client, ("run.exe", b"MZ"), ("big.txt", b"x" * 2000), ("ok.txt", b"fine"))
    assert "run.exe: this type of file is not accepted here." in page
    assert "big.txt: too large (the limit is 1,000 bytes)." in page
    assert "Saved ok.txt." in page
    assert sorted(p.name for p in client.root.iterdir()) == ["ok.txt"]


def test_empty_form_and_expired_session(client):
    assert "Choose at least one file" in upload(client)
    page = upload(client, ("a.txt", b"x"), token="forged")
    assert "Your session expired" in page
    assert not client.root.exists() or not any(client.root.iterdir())


def test_delete_of_a_missing_or_unsafe_name(client):
    token = csrf(client)
    gone = client.post("/delete", data={"csrf": token, "name": "nope.txt"}, follow_redirects=True)
    assert "nope.txt: already gone." in gone.get_data(as_text=True)
    unsafe = client.post("/delete", data={"csrf": token, "name": "../../etc/passwd"}, follow_redirects=True)
    assert "contains a &#39;..&#39; segment" in unsafe.get_data(as_text=True)
