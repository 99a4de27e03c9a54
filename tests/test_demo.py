"""The demo app through Flask's test client: pages, messages, the JSON API, the private area.

The tests taking ``demo_backend`` run on every backend of ``fs_demo.backends.BACKENDS``
(local disk, and S3 on a moto server...): the same app, configured differently.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import time
import urllib.request

import pytest
from PIL import Image

from demo_pictures import GPS, camera_jpeg, landscape


def csrf(client, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def form_upload(client, *files, area: str = "", token=None) -> str:
    """Post files as the page's form does without JavaScript; the page it leads to."""
    data = {"csrf": token or csrf(client, area + "/"), "file": [(io.BytesIO(c), name) for name, c in files]}
    return client.post(f"{area}/upload", data=data, follow_redirects=True).get_data(as_text=True)


def messages(page: str) -> list[str]:
    """The messages of a page, as text."""
    found = re.findall(r'<li class="message (\w+)"[^>]*>(.*?)</li>', page, re.DOTALL)
    return [f"{kind}: " + html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for kind, text in found]


def checksum(content: bytes, like: str) -> str:
    """The checksum of ``content`` in the algorithm of ``like`` (local disk gives sha256,
    S3 an md5 of the content)."""
    algorithm = like.split(":")[0]
    assert algorithm in ("sha256", "md5"), like
    return f"{algorithm}:{hashlib.new(algorithm, content).hexdigest()}"


def photo(size=(1200, 800), palette="noon") -> bytes:
    return camera_jpeg(landscape(palette, size))


@pytest.fixture
def client(make_demo_app, demo_backend):
    return make_demo_app(demo_backend, FS_MAX_SIZE=1_000_000).test_client()


@pytest.fixture
def local(make_demo_app):
    """The demo on local disk (for what does not depend on the backend)."""
    app = make_demo_app(FS_MAX_SIZE=1_000_000)
    client = app.test_client()
    client.root = app.config["FS_ROOT"]
    return client


# -- pages -------------------------------------------------------------------------------------


def test_an_empty_gallery_says_so(client):
    page = client.get("/").get_data(as_text=True)
    assert "Nothing here yet" in page
    assert "Up to 1 MB each" in page


def test_several_files_get_one_verdict_each(client):
    page = form_upload(
        client,
        ("holiday.jpg", photo()),
        ("notes.txt", b"hello"),
        ("setup.exe", b"MZ"),
        ("big.txt", b"x" * 1_048_576),  # 1 MiB: over a limit of 1 MB
        ("fake.jpg", b"not a jpeg"),
    )
    assert messages(page) == [
        "ok: holiday.jpg: Saved.",
        "ok: notes.txt: Saved.",
        "error: setup.exe: '.exe' files are not accepted here: only photos, documents, text, audio, video "
        "and archives.",
        "error: big.txt: Too large (1.05 MB; the limit is 1 MB).",
        "error: fake.jpg: Not really a JPG image: its content is something else, or damaged.",
    ]
    names = client.get("/api/files").json["files"]
    assert sorted(f["name"] for f in names) == ["holiday.jpg", "notes.txt"]


def test_an_upload_without_files(local):
    assert messages(form_upload(local)) == ["error: Choose at least one file to upload."]
    token = csrf(local)
    answer = local.post("/upload", data={"csrf": token}, headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert answer.json["errors"][0]["code"] == "no_file"


def test_files_below_the_limit_are_saved_whatever_their_total(local):
    # Three files of 0.9 MB: 2.7 MB in one request, each under the 1 MB limit.
    page = form_upload(local, *[(f"part{i}.txt", b"x" * 900_000) for i in range(3)])
    assert messages(page) == [f"ok: part{i}.txt: Saved." for i in range(3)]


def test_a_request_over_the_total_limit_says_it_is_the_total(make_demo_app):
    # 10 files of 1,000 bytes, plus 1 MB for the form around them.
    client = make_demo_app(FS_MAX_SIZE=1000).test_client()
    page = form_upload(client, *[(f"part{i}.txt", b"x" * 600_000) for i in range(2)])
    assert messages(page) == [
        "error: This upload is 1.2 MB in all: one upload takes at most 10 files and 1.01 MB. "
        "Send fewer files at a time."
    ]
    page = form_upload(client, *[(f"part{i}.txt", b"x") for i in range(11)])
    assert messages(page) == ["error: 11 files at once is too many: send at most 10 at a time."]


@pytest.mark.parametrize(
    "name",
    [
        "setup.exe",
        "app.jar",
        "app.apk",
        "setup.msi",
        "run.sh",
        "page.html",
        "screen.scr",
        "run.bat",
        "run.ps1",
        "disk.dmg",
        "pkg.deb",
        "run.com",
        "run.vbs",
        "link.lnk",
        "lib.so",
        "page.svgz",
        "README",
    ],
)
def test_programs_and_scripts_are_refused(local, name):
    answer = local.post("/api/files", data={"file": (io.BytesIO(b"MZ\x90\x00"), name)})
    assert answer.status_code == 415
    assert answer.json["errors"][0]["code"] == "type_refused"
    assert answer.json["files"] == []
    assert local.get("/api/files").json["files"] == []


def test_names_with_bidi_characters_cannot_disguise_themselves(local):
    # U+202E shows "invoice<RLO>fdp.exe" as "invoiceexe.pdf".
    disguised = "invoice\u202efdp.exe"
    page = form_upload(local, (disguised, b"MZ"))
    assert "\u202e" not in page
    assert messages(page)[0].startswith("error: invoice[U+202E]fdp.exe: '.exe' files are not accepted")
    assert '<bdi class="name">invoice[U+202E]fdp.exe</bdi>' in page
    answer = local.post("/api/files", data={"file": (io.BytesIO(b"MZ"), disguised)})
    assert answer.json["errors"][0]["name"] == "invoice[U+202E]fdp.exe"
    # A stored name never holds one: the client's name is made safe.
    page = form_upload(local, ("report\u202etxt.pdf", b"%PDF-1.4"))
    assert messages(page) == ["ok: reporttxt.pdf: Saved."]


def test_the_detail_view_of_a_photo(client):
    upload = photo((2000, 1250), "dusk")
    with Image.open(io.BytesIO(upload)) as sent:
        assert sent.getexif().get_ifd(GPS)  # the camera's position
    form_upload(client, ("ridge.jpg", upload))
    page = client.get("/view/ridge.jpg").get_data(as_text=True)
    assert "1600 &times; 1000 pixels" in page  # shrunk to the display size
    assert "EXIF removed: no camera, date or GPS position is stored" in page
    assert ">2000 &times; 1250</a>, as uploaded" in page  # the -original
    meta = client.get("/api/files/ridge.jpg").json
    stored = client.get(meta["url"]).data
    assert f'<code class="checksum">{checksum(stored, meta["checksum"])}</code>' in page
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (1600, 1000)
        assert not image.getexif().get_ifd(GPS)
        assert set(image.getexif()) <= {0x0112}  # at most the orientation
    for variant in (
        "ridge-original.jpg",
        "ridge-240.jpg",
        "ridge-480.jpg",
        "ridge.jpg.webp",
        "ridge-240.jpg.webp",
    ):
        assert f">{variant}</bdi>" in page
        assert client.get(f"/media/shared/{variant}").status_code == 200
    assert client.get("/view/ridge-240.jpg").status_code == 404  # a part of ridge.jpg, not a file of its own


def test_the_gallery_shows_photos_as_a_grid_and_other_files_as_a_list(client):
    form_upload(
        client,
        ("lake.jpg", photo()),
        ("song.mp3", b"ID3" + bytes(2_500_000 // 1000)),
        ("plan.pdf", b"%PDF-1.4"),
    )
    page = client.get("/").get_data(as_text=True)
    grid = page[page.index('<ul class="grid">') : page.index("</ul>", page.index('<ul class="grid">'))]
    assert 'href="/view/lake.jpg"' in grid
    webp = "/media/shared/lake-240.jpg.webp 240w, /media/shared/lake-480.jpg.webp 480w"
    assert f'<source type="image/webp" srcset="{webp}"' in grid
    assert 'srcset="/media/shared/lake-240.jpg 240w, /media/shared/lake-480.jpg 480w"' in grid
    table = page[page.index('<table class="files">') :]
    assert "song.mp3" in table
    assert "audio/mpeg" in table
    assert ">2.5 kB<" in table
    assert "plan.pdf" in table
    assert "application/pdf" in table
    assert 'class="icon kind-document"' in table
    assert "lake" not in table


def test_delete_asks_first(client):
    form_upload(client, ("lake.jpg", photo()))
    confirm = client.get("/delete/lake.jpg")
    assert confirm.status_code == 200
    assert 'Delete <bdi class="name">lake.jpg</bdi>?' in confirm.get_data(as_text=True)
    assert client.get("/api/files/lake.jpg").status_code == 200  # asking deletes nothing
    refused = client.post("/delete/lake.jpg", data={"csrf": "forged"}, follow_redirects=True)
    assert messages(refused.get_data(as_text=True)) == [
        "error: Your session expired: reload the page and try again."
    ]
    assert client.get("/api/files/lake.jpg").status_code == 200
    done = client.post("/delete/lake.jpg", data={"csrf": csrf(client)}, follow_redirects=True)
    assert messages(done.get_data(as_text=True)) == ["ok: lake.jpg: Deleted."]
    assert client.get("/api/files").json["files"] == []
    assert client.get("/media/shared/lake-240.jpg").status_code == 404  # its thumbnails went too
    again = client.post("/delete/lake.jpg", data={"csrf": csrf(client)}, follow_redirects=True)
    assert messages(again.get_data(as_text=True)) == ["error: lake.jpg: Already gone."]


def test_not_found_is_a_page_of_the_demo(local):
    for path in ("/nope", "/view/missing.jpg", "/media/shared/missing.jpg", "/delete/missing.jpg"):
        answer = local.get(path)
        assert answer.status_code == 404, path
        page = answer.get_data(as_text=True)
        assert "<h1>Nothing here</h1>" in page, path
        assert "Back to the shared photos" in page
    assert "There is no file named &#39;missing.jpg&#39; here." in local.get("/view/missing.jpg").get_data(
        as_text=True
    )
    assert "This address leads to no page and no file." in local.get("/nope").get_data(as_text=True)
    # Under /media/ the files' own sandboxing policy stays.
    assert "sandbox" in local.get("/media/shared/missing.jpg").headers["Content-Security-Policy"]


def test_the_site_has_an_icon(local):
    icon = local.get("/favicon.ico")  # what browsers ask for, whatever the page says
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert 'rel="icon" href="/static/favicon.svg"' in local.get("/").get_data(as_text=True)


def test_pages_carry_a_content_security_policy(local):
    policy = local.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy


def test_durations_read_as_people_say_them(demo):
    from fs_demo.text import human_duration

    assert [human_duration(n) for n in (1, 2, 59, 60, 90, 600, 3600, 7200)] == [
        "1 second",
        "2 seconds",
        "59 seconds",
        "1 minute",
        "90 seconds",
        "10 minutes",
        "1 hour",
        "2 hours",
    ]


def test_sizes_are_decimal(demo):
    from fs_demo.text import human_size

    assert [
        human_size(n) for n in (0, 1, 999, 1000, 1_048_576, 999_499, 999_999, 50_000_000, 12_345_678_901)
    ] == [
        "0 bytes",
        "1 byte",
        "999 bytes",
        "1 kB",
        "1.05 MB",
        "999 kB",
        "1 MB",
        "50 MB",
        "12.3 GB",
    ]


def test_the_default_limit_is_50_mb(make_demo_app):
    app = make_demo_app()
    assert app.config["FS_MAX_SIZE"] == 50_000_000
    assert "Up to 50 MB each" in app.test_client().get("/").get_data(as_text=True)


# -- the JSON API -----------------------------------------------------------------------------


def test_api_list_upload_metadata_delete(client):
    answer = client.post(
        "/api/files", data={"file": [(io.BytesIO(photo()), "lake.jpg"), (io.BytesIO(b"hi"), "a.txt")]}
    )
    assert answer.status_code == 201
    saved = {f["name"]: f for f in answer.json["files"]}
    assert answer.json["errors"] == []
    lake = saved["lake.jpg"]
    assert lake["kind"] == "image"
    assert lake["mime"] == "image/jpeg"
    media = "http://localhost/media/shared"  # absolute: for the API's clients
    assert lake["thumbnails"] == {"240": f"{media}/lake-240.jpg", "480": f"{media}/lake-480.jpg"}
    assert lake["webp"] == f"{media}/lake.jpg.webp"
    assert lake["original"] is None  # 1200 px: not resized, so nothing to keep
    assert lake["checksum"] == checksum(client.get(lake["url"]).data, lake["checksum"])
    assert saved["a.txt"] == {
        **saved["a.txt"],
        "kind": "text",
        "size": 2,
        "size_text": "2 bytes",
        "mime": "text/plain",
        "url": f"{media}/a.txt",
    }
    listed = client.get("/api/files").json["files"]
    assert sorted(f["name"] for f in listed) == ["a.txt", "lake.jpg"]  # variants belong to their photo
    assert client.get("/api/files/lake.jpg").json == {**lake, "width": 1200, "height": 800}
    assert "width" not in client.get("/api/files/a.txt").json
    assert client.delete("/api/files/lake.jpg").status_code == 204
    gone = client.get("/api/files/lake.jpg")
    assert gone.status_code == 404
    assert gone.json["error"]["code"] == "not_found"
    assert gone.json["error"]["message"] == "No file named 'lake.jpg'"
    assert client.delete("/api/files/lake.jpg").status_code == 404
    assert [f["name"] for f in client.get("/api/files").json["files"]] == ["a.txt"]


@pytest.mark.parametrize(
    ("name", "content", "status", "code", "message"),
    [
        ("x.exe", b"MZ", 415, "type_refused", "'.exe' files are not allowed in storage 'shared'"),
        (
            "big.txt",
            b"x" * 1_000_001,
            413,
            "too_large",
            "The file is larger than the 1,000,000 bytes this storage accepts",
        ),
        ("fake.png", b"GIF89a", 422, "not_an_image", None),
    ],
)
def test_api_errors_carry_a_code_and_the_core_message(client, name, content, status, code, message):
    answer = client.post("/api/files", data={"file": (io.BytesIO(content), name)})
    assert answer.status_code == status
    (error,) = answer.json["errors"]
    assert error["code"] == code
    assert error["name"] == name
    if message:
        assert error["message"] == message
    assert error["text"]
    assert client.get("/api/files").json["files"] == []


def test_an_image_with_too_many_pixels_is_refused_as_such(make_demo_app):
    client = make_demo_app(SHARED_FS_IMAGES_MAX_PIXELS=100_000).test_client()
    answer = client.post("/api/files", data={"file": (io.BytesIO(photo((400, 300))), "big.jpg")})
    assert answer.status_code == 413
    (error,) = answer.json["errors"]
    assert error["code"] == "image_too_large"
    assert error["text"] == "This image has too many pixels (or frames) to process."
    assert client.get("/api/files").json["files"] == []


def test_a_name_taken_by_a_thumbnail_is_renamed(client):
    form_upload(client, ("lake.jpg", photo()))
    page = form_upload(client, ("lake-240.jpg", photo(palette="night")))
    assert messages(page) == ["ok: lake-240_1.jpg: Saved."]
    names = sorted(f["name"] for f in client.get("/api/files").json["files"])
    assert names == ["lake-240_1.jpg", "lake.jpg"]  # two photos, each with its thumbnails
    assert client.get("/api/files/lake-240_1.jpg").json["thumbnails"]["240"].endswith("/lake-240_1-240.jpg")


def test_api_answers_in_json_even_when_nothing_matches(local):
    assert local.post("/api/files").json == {
        "error": {
            "code": "no_file",
            "message": "no file in the request",
            "name": "",
            "text": "Send the file in a form field named 'file'.",
        }
    }
    missing = local.get("/api/nothing")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong = local.put("/api/files")
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "method_not_allowed"
    hostile = local.get("/api/files/..%2F..%2Fetc%2Fpasswd")
    assert hostile.status_code == 400
    assert hostile.json["error"]["code"] == "invalid_name"


# -- the private area -------------------------------------------------------------------------


def private_upload(client, name: str, content: bytes, token: str | None = None):
    token = csrf(client, "/private/") if token is None else token
    return client.post(
        "/private/upload",
        data={"file": (io.BytesIO(content), name)},
        headers={"Accept": "application/json", "X-CSRF-Token": token},
    )


def test_private_files_are_each_visitors_own(client, make_demo_app):
    answer = private_upload(client, "diary.txt", b"dear diary")
    assert answer.status_code == 201
    (saved,) = answer.json["files"]
    link = saved["url"]
    page = client.get("/private/").get_data(as_text=True)
    assert "diary.txt" in page
    assert "stops\n     working 10 minutes after this page was made" in page
    assert "diary.txt" not in client.get("/").get_data(as_text=True)  # not shared
    assert client.get("/api/files").json["files"] == []
    other = client.application.test_client()  # another visitor, same site
    assert "diary.txt" not in other.get("/private/").get_data(as_text=True)
    gone = other.post(
        "/private/delete/diary.txt", data={"csrf": csrf(other, "/private/")}, follow_redirects=True
    )
    assert messages(gone.get_data(as_text=True)) == ["error: diary.txt: Already gone."]
    assert "diary.txt" in client.get("/private/").get_data(as_text=True)
    # Whoever holds a signed link may use it: a URL of the app's view (local), or S3's own.
    if link.startswith("http://localhost/"):
        assert other.get(link).data == b"dear diary"
    else:  # the service's own signed URL (S3 presigned, Swift TempURL), on its own origin
        assert "?" in link
        with urllib.request.urlopen(link, timeout=10) as response:
            assert response.read() == b"dear diary"


def test_private_files_need_a_signature_that_has_not_expired(make_demo_app):
    client = make_demo_app(DEMO_LINK_EXPIRES=1).test_client()
    assert private_upload(client, "diary.txt", b"dear diary").status_code == 201
    link = client.get("/api/files/diary.txt")  # not in the shared area
    assert link.status_code == 404
    page = client.get("/private/").get_data(as_text=True)
    signed = (
        re.search(r'href="(/media/private/[^"]+/diary.txt\?[^"]+)" download', page)
        .group(1)
        .replace("&amp;", "&")
    )
    unsigned = signed.split("?")[0]
    assert client.get(signed).data == b"dear diary"
    assert client.get(unsigned).status_code == 403
    forged = re.sub(r"signature=[^&]+", "signature=" + "A" * 43, signed)
    assert client.get(forged).status_code == 403
    time.sleep(2.1)
    assert client.get(signed).status_code == 403


def test_private_uploads_need_the_pages_token(local):
    answer = private_upload(local, "diary.txt", b"x", token="forged")
    assert answer.status_code == 403
    assert answer.json["errors"][0]["code"] == "session_expired"
    assert "diary.txt" not in local.get("/private/").get_data(as_text=True)


def test_visitors_cannot_reach_outside_their_folder(local):
    private_upload(local, "mine.txt", b"x")
    for name in ("../shared/x.txt", "../../etc/passwd", "%2e%2e/x"):
        assert local.get(f"/private/view/{name}").status_code == 404
        answer = local.post(
            f"/private/delete/{name}", data={"csrf": csrf(local, "/private/")}, follow_redirects=True
        )
        assert answer.status_code == 200
    assert "mine.txt" in local.get("/private/").get_data(as_text=True)


def test_the_secret_key_is_kept_in_the_instance_folder(demo, tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = demo.create_app({"FS_ROOT": str(tmp_path / "fs")}, instance_path=str(instance))
    key = instance / "secret_key"
    assert first.config["SECRET_KEY"] == key.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64
    assert key.stat().st_mode & 0o077 == 0  # readable by its owner only
    again = demo.create_app({"FS_ROOT": str(tmp_path / "fs")}, instance_path=str(instance))
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]  # a restart keeps sessions
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]  # no temporary left
    monkeypatch.setenv("SECRET_KEY", "from the environment")
    assert demo.create_app({}, instance_path=str(instance)).config["SECRET_KEY"] == "from the environment"


# -- profiles (fs-mongoengine) ----------------------------------------------------------------


def save_profile(
    client, name: str, picture: tuple[bytes, str] | None = None, token: str | None = None
) -> str:
    data = {"csrf": token or csrf(client, "/private/"), "name": name}
    if picture:
        data["avatar"] = (io.BytesIO(picture[0]), picture[1])
    return client.post("/private/profile", data=data, follow_redirects=True).get_data(as_text=True)


def header_profile(page: str) -> str:
    found = re.search(r'<a class="me"[^>]*>(.*?)</a>', page, re.DOTALL)
    return found.group(1) if found else ""


def test_a_profile_with_a_picture(client):
    assert header_profile(client.get("/").get_data(as_text=True)) == ""
    page = save_profile(client, "Ann", (photo((800, 600), "dawn"), "me.jpg"))
    assert messages(page) == ["ok: Profile saved."]
    shown = header_profile(client.get("/").get_data(as_text=True))
    assert '<img src="/media/avatars/me-32.jpg" width="32" height="32" alt="">' in shown
    assert "<bdi>Ann</bdi>" in shown
    with Image.open(io.BytesIO(client.get("/media/avatars/me-32.jpg").data)) as small:
        assert small.size == (32, 32)
    with Image.open(io.BytesIO(client.get("/media/avatars/me.jpg").data)) as picture:
        assert picture.size == (512, 384)  # the field's max_size
        assert not picture.getexif().get_ifd(GPS)
    assert 'src="/media/avatars/me-96.jpg"' in client.get("/private/").get_data(as_text=True)

    # A refused picture leaves the profile as it was.
    page = save_profile(client, "Ann", (b"junk", "bad.png"))
    assert messages(page) == [
        "error: bad.png: Not really a PNG image: its content is something else, or damaged."
    ]
    assert "me-32.jpg" in header_profile(page)
    # A new picture replaces the old one, whose files go with it.
    save_profile(client, "Ann B.", (photo((300, 300), "night"), "me.jpg"))
    shown = header_profile(client.get("/").get_data(as_text=True))
    assert "<bdi>Ann B.</bdi>" in shown
    assert "me_1-32.jpg" in shown  # a fresh name: caches never show the old picture
    for old in ("me.jpg", "me-32.jpg", "me-96.jpg", "me-original.jpg"):
        assert client.get(f"/media/avatars/{old}").status_code == 404, old
    assert client.get("/media/avatars/me_1-96.jpg").status_code == 200


def test_profiles_are_each_visitors_own(local):
    save_profile(local, "Ann")
    assert "<bdi>Ann</bdi>" in header_profile(local.get("/").get_data(as_text=True))
    other = local.application.test_client()
    assert header_profile(other.get("/").get_data(as_text=True)) == ""
    assert "Ann" not in other.get("/private/").get_data(as_text=True)
    page = save_profile(other, "Eve", token="forged")
    assert messages(page) == ["error: Your session expired: reload the page and try again."]
    page = save_profile(local, "x" * 61)
    assert messages(page) == ["error: Profile not saved: a name has 60 characters at most."]
    assert "<bdi>Ann</bdi>" in header_profile(page)
    assert local.post("/profile", data={"csrf": csrf(local), "name": "x"}).status_code == 404  # private only
