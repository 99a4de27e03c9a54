"""fs-local's X-Accel-Redirect set-up, as its README writes it, behind a real nginx: the
headers the app decides reach the browser, and a file shown inline runs nothing."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

import fs_core as fs
from fs_testservers.fixtures import nginx  # noqa: F401  (fixture)

README = Path(__file__).resolve().parent.parent / "packages" / "fs-local" / "README.md"
PAGE = b"<html><title>page</title><script>document.title='pwned';fetch('/hit')</script></html>"


def readme_block() -> str:
    """The nginx configuration of fs-local's README, as a user copies it."""
    return re.search(r"```nginx\n(.*?)```", README.read_text(), re.S).group(1)


@pytest.fixture
def site(tmp_path, live_server, nginx):  # noqa: F811
    hits: list[str] = []
    root = tmp_path / "files"
    app = Flask("offload")
    app.config.update(
        SECRET_KEY="x",
        FS_ROOT=str(root),
        FS_OFFLOAD="x-accel-redirect",
        PAGES_FS_INLINE_ACTIVE_CONTENT=True,  # the case the policy must make harmless
    )
    downloads, pages = fs.Storage("downloads", fs.ALL), fs.Storage("pages", fs.ALL)
    fs.init_app(app, downloads, pages)
    app.add_url_rule("/hit", "hit", lambda: hits.append("hit") or "")
    with app.app_context():
        downloads.write("manual.pdf", b"%PDF-1.7 " + bytes(range(256)) * 4)
        downloads.write("notes.txt", b"plain notes")
        pages.write("page.html", PAGE)
    app_url = live_server(app)
    block = (
        readme_block().replace("http://127.0.0.1:8000", app_url).replace("/var/lib/myapp/files/", f"{root}/")
    )
    front = nginx(block)
    return front.url, hits


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_offloaded_files_keep_the_apps_headers(site):
    front, _ = site
    status, headers, body = get(f"{front}/downloads/manual.pdf")
    assert status == 200
    assert body.startswith(b"%PDF-1.7 ")
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == "inline; filename=manual.pdf"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert "X-Accel-Redirect" not in headers
    status, headers, body = get(f"{front}/downloads/manual.pdf", Range="bytes=9-12")
    assert (status, body) == (206, bytes(range(4)))
    assert "sandbox" in headers["Content-Security-Policy"]
    status, _, body = get(f"{front}/downloads/notes.txt")
    assert (status, body) == (200, b"plain notes")
    with pytest.raises(urllib.error.HTTPError) as info:
        get(f"{front}/_fs/downloads/notes.txt")  # the internal location is not reachable
    assert info.value.code == 404


def test_a_page_shown_inline_behind_nginx_runs_nothing(site, browser):
    front, hits = site
    browser.get(f"{front}/pages/page.html")
    time.sleep(0.2)
    assert browser.execute_script("return document.contentType") == "text/html"  # shown inline
    assert browser.execute_script("return origin") == "null"  # in the sandbox
    assert browser.title != "pwned"
    assert not hits
