"""Stored files in a real browser (Debian's Chromium): whatever type an upload declares, no
script in it runs with the app's origin (or the bucket's, for redirects to S3).

A script that runs sets the page title to 'pwned' and requests ``/hit`` of the app; each
visit checks both. Control cases (the protections turned off) show that the detection works.
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import pytest
from flask import Flask, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fs_core as fs

PAYLOAD = (
    "<html><head><title>file</title></head><body>"
    "<script>document.title='pwned';new Image().src='{hit}?script'</script>"
    "<img src=x onerror=\"document.title='pwned';new Image().src='{hit}?onerror'\">"
    "<svg xmlns='http://www.w3.org/2000/svg' onload=\"document.title='pwned'\"></svg>"
    "</body></html>"
)


class Site:
    """An app with one storage on local disk, served on loopback, and a hit counter."""

    def __init__(self, live_server: Any, root: str, **config: Any) -> None:
        self.hits: list[str] = []
        self.storage = fs.Storage("files", fs.ALL)
        app = Flask(f"site{uuid.uuid4().hex[:6]}")
        app.config.update(SECRET_KEY="x", FS_ROOT=root, FILES_FS_OVERWRITE=True, **config)
        fs.init_app(app, self.storage)

        @app.get("/hit")
        def hit() -> str:
            self.hits.append(request.query_string.decode())
            return ""

        @app.post("/upload")
        def upload() -> str:
            return self.storage.save(request.files["file"])

        self.app = app
        self.url = live_server(app)
        self.payload = PAYLOAD.format(hit=f"{self.url}/hit").encode()

    def upload(self, name: str, declared: str | None, data: bytes | None = None) -> str:
        """POST a file with the client's declared type, as a browser or curl would send it."""
        content = self.payload if data is None else data
        file = (io.BytesIO(content), name, declared) if declared is not None else (io.BytesIO(content), name)
        response = self.app.test_client().post("/upload", data={"file": file})
        assert response.status_code == 200, response.data
        return response.get_data(as_text=True)


def visit(browser: Any, site: Site, path: str) -> dict[str, Any]:
    """Open ``path`` in Chromium; what the page became, and whether a script ran."""
    browser.get("about:blank")
    site.hits.clear()
    browser.get(site.url + path)
    time.sleep(0.15)  # an onerror handler runs after load
    state = browser.execute_script(
        "return {title: document.title, type: document.contentType, url: location.href,"
        " width: document.images.length ? document.images[0].naturalWidth : null}"
    )
    state["hits"] = list(site.hits)
    state["ran"] = state["title"] == "pwned" or bool(site.hits)
    return state


@pytest.fixture
def site(live_server, tmp_path):
    return Site(live_server, str(tmp_path / "fs"))


@pytest.mark.parametrize(
    ("name", "declared"),
    [
        ("notes.txt", "text/plain,text/html"),
        ("notes.txt", "text/plain, text/html"),
        ("notes.txt", "text/plain;charset=utf-8,text/html"),
        ("notes.txt", "text/html"),
        ("photo.png", "image/png, text/html"),
        ("blob", "text/html"),
        ("blob", "text/plain,text/html"),
        ("page.html", "text/html"),
        ("page.htm", None),
        ("feed.xml", "application/xml"),
        ("pic.svg", "image/svg+xml"),
        ("doc.xhtml", "application/xhtml+xml"),
        ("data.json", "text/html"),
    ],
)
def test_declared_types_never_run_script(browser, site, name, declared):
    stored = site.upload(name, declared)
    state = visit(browser, site, f"/files/{stored}")
    assert not state["ran"], state


def test_a_text_file_is_shown_as_text(browser, site):
    """Inline as plain text, not as the HTML its declared list ends with."""
    site.upload("notes.txt", "text/plain,text/html")
    state = visit(browser, site, "/files/notes.txt")
    assert state["type"] == "text/plain"
    assert state["url"].endswith("/files/notes.txt")
    assert not state["ran"]


def test_a_type_stored_before_the_fix_is_not_sent(browser, site):
    with site.app.app_context():
        site.storage.backend.save(io.BytesIO(site.payload), "old.txt", content_type="text/plain,text/html")
    state = visit(browser, site, "/files/old.txt")
    assert state["type"] == "text/plain"
    assert not state["ran"]


def test_inline_active_content_runs_nothing_in_its_sandbox(browser, live_server, tmp_path):
    site = Site(live_server, str(tmp_path / "fs"), FILES_FS_INLINE_ACTIVE_CONTENT=True)
    for name in ("page.html", "pic.svg"):
        site.upload(name, None)
        state = visit(browser, site, f"/files/{name}")
        assert state["type"] in ("text/html", "image/svg+xml")  # shown inline...
        assert not state["ran"], state  # ...with nothing run


def test_the_detection_works_when_protections_are_off(browser, live_server, tmp_path):
    """Control: inline HTML without the sandbox runs its script, and the test sees it."""
    site = Site(
        live_server,
        str(tmp_path / "fs"),
        FILES_FS_INLINE_ACTIVE_CONTENT=True,
        FILES_FS_CONTENT_SECURITY_POLICY="",
    )
    site.upload("page.html", None)
    state = visit(browser, site, "/files/page.html")
    assert state["ran"]
    assert state["title"] == "pwned"
    assert state["hits"]


def test_images_and_pdfs_still_display_under_the_policy(browser, site):
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(png, "PNG")
    site.upload("photo.png", "image/png", png.getvalue())
    state = visit(browser, site, "/files/photo.png")
    assert (state["type"], state["width"]) == ("image/png", 40)
    pdf = (
        b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
        b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF"
    )
    site.upload("doc.pdf", "application/pdf", pdf)
    state = visit(browser, site, "/files/doc.pdf")
    assert state["type"] == "application/pdf"  # opened in the viewer, not downloaded


_PIECES = st.sampled_from(
    [
        "text/html",
        "text/plain",
        "image/png",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/xml",
        ",",
        ", ",
        ";",
        "; ",
        "charset=utf-8",
        '"',
        "=",
        " ",
        "\t",
        "*/*",
        "text/",
        "html",
        "+xml",
        "x",
    ]
)
_TYPES = st.sampled_from(["text/html", "text/plain", "image/png", "image/svg+xml", "text/xml", "*/*"])
_DECLARED = st.one_of(
    st.builds(lambda a, sep, b: a + sep + b, _TYPES, st.sampled_from([",", ", ", ";,", " ,\t"]), _TYPES),
    st.lists(_PIECES, min_size=1, max_size=6).map("".join),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(declared=_DECLARED, name=st.sampled_from(["a.txt", "a.png", "a", "a.pdf", "a.csv", "a.gif"]))
def test_generated_declared_types_never_run_script(browser, site, declared, name):
    stored = site.upload(name, declared)
    state = visit(browser, site, f"/files/{stored}")
    assert not state["ran"], (declared, state)


def test_the_demo_shows_a_declared_list_as_text(browser, make_demo_app, live_server):
    app = make_demo_app()
    hits: list[str] = []
    app.add_url_rule("/hit", "hit", lambda: hits.append("x") or "")
    url = live_server(app)
    client = app.test_client()
    payload = PAYLOAD.format(hit=f"{url}/hit").encode()
    data = {"file": (io.BytesIO(payload), "notes.txt", "text/plain,text/html")}
    assert client.post("/api/files", data=data).status_code == 201
    browser.get(f"{url}/media/shared/notes.txt")
    time.sleep(0.15)
    assert browser.execute_script("return document.contentType") == "text/plain"
    assert browser.title != "pwned"
    assert not hits


@pytest.mark.parametrize("mode", ["stream", "redirect"])
def test_s3_never_runs_script_either(browser, live_server, moto_server, mode):
    """fs-s3 streams through the app or redirects to a presigned URL of the bucket: the
    type and disposition the bucket sends follow the same rules."""
    hits: list[str] = []
    app = Flask(f"s3site{uuid.uuid4().hex[:6]}")
    app.config.update(
        SECRET_KEY="x",
        FS_BACKEND="s3",
        FS_S3_ENDPOINT=moto_server.endpoint,
        FS_S3_ACCESS_KEY=moto_server.access_key,
        FS_S3_SECRET_KEY=moto_server.secret_key,
        FS_S3_REGION=moto_server.region,
        FS_S3_BUCKET=f"browser-{uuid.uuid4().hex[:8]}",
        FILES_FS_SERVE=mode,
    )
    storage = fs.Storage("files", fs.ALL)
    fs.init_app(app, storage)
    app.add_url_rule("/hit", "hit", lambda: hits.append("x") or "")
    url = live_server(app)
    payload = PAYLOAD.format(hit=f"{url}/hit").encode()
    with app.app_context():
        backend = storage.backend
        backend._ready().put_object(  # as an older version or another tool stored it
            Bucket=backend.bucket,
            Key=backend._key("old.txt"),
            Body=payload,
            ContentType="text/plain,text/html",
        )
        for name, declared in (("notes.txt", "text/plain,text/html"), ("page.html", "text/html")):
            upload = io.BytesIO(payload)
            upload.filename, upload.mimetype = name, declared
            storage.save(upload)
        signed = storage.signed_url("old.txt", 60)
    for target in (f"{url}/files/old.txt", f"{url}/files/notes.txt", f"{url}/files/page.html", signed):
        browser.get("about:blank")
        browser.get(target)
        time.sleep(0.15)
        assert browser.title != "pwned", target
        assert not hits, target
        if target.endswith(".txt") or target == signed:
            assert browser.execute_script("return document.contentType") == "text/plain", target
