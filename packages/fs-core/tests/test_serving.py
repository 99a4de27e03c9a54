from __future__ import annotations

import io

import pytest

import fs_core as fs
from fs_core.content_types import DEFAULT_CONTENT_SECURITY_POLICY
from fs_core.errors import OperationNotSupported
from fs_core.serving import content_disposition, http_date


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "inline; filename=report.pdf"),
        ("my report.pdf", 'inline; filename="my report.pdf"'),
        ('a"b\\c;d.txt', 'inline; filename="a\\"b\\\\c;d.txt"'),
        ("dir/файл.txt", "inline; filename=download.txt; filename*=UTF-8''%D1%84%D0%B0%D0%B9%D0%BB.txt"),
        ("日本.txt", "inline; filename=download.txt; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
        ("日本", "inline; filename=download; filename*=UTF-8''%E6%97%A5%E6%9C%AC"),
    ],
)
def test_content_disposition_is_safe(name, expected):
    assert content_disposition(name) == expected


@pytest.mark.parametrize(
    "name",
    ["a.txt", "a-b_c.d~e!#$&+^`|", "a'b.txt", "a%41.txt", "a*b", "a b", "a,b", "a@b", "a(b)", "a=b", ""],
)
def test_content_disposition_writes_what_werkzeug_writes(name):
    """The shortcut for names of token characters agrees with werkzeug's quoting, both ways."""
    from werkzeug.http import dump_options_header

    expected = dump_options_header("attachment", {"filename": name or "download"})
    assert content_disposition(name, attachment=True) == expected


@pytest.mark.parametrize(
    "timestamp", [0, -0.5, 1.999, 784111777, 951782400.25, 1e9 + 0.5, 4102444800, 253402300799, -62135596800]
)
def test_http_date_is_werkzeugs(timestamp):
    from werkzeug.http import http_date as werkzeug_http_date

    assert http_date(timestamp) == werkzeug_http_date(timestamp)


def test_the_view_answers_with_the_apps_response_class(make_app):
    """A backend's werkzeug response becomes the app's response class (as Flask's
    make_response does), so that an app's own response class sees every answer."""
    from flask import Response

    class AppResponse(Response):
        pass

    files = fs.Storage("files")
    app = make_app(files)
    app.response_class = AppResponse
    with app.app_context():
        files.write("a.txt", b"x")
    seen = []
    app.after_request(lambda rv: seen.append(type(rv)) or rv)
    response = app.test_client().get("/files/a.txt")
    assert response.status_code == 200
    assert response.data == b"x"
    assert seen == [AppResponse]


def test_a_query_string_without_a_signature_is_no_grant(make_app):
    """Signatures are looked for only where there is a query string; one without a signature
    (or a signature spelled another way) is still refused on a private storage."""
    files = fs.Storage("files")
    app = make_app(files, FILES_FS_PRIVATE=True, SECRET_KEY="s")
    with app.app_context():
        files.write("a.txt", b"x")
    with app.test_request_context():
        signed = files.signed_url("a.txt")
    client = app.test_client()
    assert client.get("/files/a.txt").status_code == 403
    assert client.get("/files/a.txt?download=1").status_code == 403
    assert client.get("/files/a.txt?SIGNATURE=x&expires=1").status_code == 403
    assert client.get(signed).status_code == 200


def test_attachment_disposition():
    assert content_disposition("x.svg", attachment=True) == "attachment; filename=x.svg"


def test_urls_follow_the_cascade(make_app):
    files, avatars, images = fs.Storage("files"), fs.Storage("avatars"), fs.Storage("images")
    app = make_app(
        files,
        avatars,
        images,
        SERVER_NAME="app.test",
        FS_MEMORY_URL="https://cdn.example.com/static",  # no trailing slash: Flask-FS dropped 'static'
        IMAGES_FS_URL="https://images.example.com/",
        FILES_FS_URL="files.example.com",
    )
    with app.test_request_context(base_url="https://app.test/"):
        assert avatars.base_url == "https://cdn.example.com/static/avatars/"
        assert avatars.url("a b/c.png") == "https://cdn.example.com/static/avatars/a%20b/c.png"
        assert avatars.has_url  # Flask-FS ignored FS_{BACKEND}_URL here
        assert images.url("/x.png") == "https://images.example.com/x.png"
        assert files.url("x.txt") == "https://files.example.com/x.txt"  # scheme of the request


def test_urls_without_public_url_use_the_view(make_app):
    files = fs.Storage("files")
    app = make_app(files, SERVER_NAME="app.test", FS_PREFIX="/media")
    with app.app_context():
        assert not files.has_url
        assert files.url("a/b c.txt") == "/media/files/a/b%20c.txt"
        assert files.url("a.txt", external=True) == "http://app.test/media/files/a.txt"
        assert files.base_url == "http://app.test/media/files/"
        files.write("a.txt", b"x")
    assert app.test_client().get("/media/files/a.txt").data == b"x"


def test_url_outside_a_request_without_server_name_says_what_to_set(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context(), pytest.raises(fs.ConfigurationError, match="SERVER_NAME"):
        files.url("a.txt")


def test_private_storage_has_no_url_and_serves_signed_urls_only(make_app):
    secret = fs.Storage("secret")
    app = make_app(secret, SECRET_FS_PRIVATE=True, SERVER_NAME="app.test", FS_URL="https://cdn.example/")
    client = app.test_client()
    with app.app_context():
        secret.write("doc.txt", b"classified")
        assert not secret.has_url
        assert secret.base_url == "http://app.test/secret/"  # the view's, never FS_URL's
        with pytest.raises(OperationNotSupported, match="signed_url"):
            secret.url("doc.txt")
        assert secret.metadata("doc.txt")["url"] is None
        signed = secret.signed_url("doc.txt", expires=60)
        download = secret.signed_url("doc.txt", expires=60, as_attachment=True)
        expired = secret.signed_url("doc.txt", expires=-1)
        other_file = secret.signed_url("other.txt", expires=60)
    assert signed.startswith("http://app.test/secret/doc.txt?")
    response = client.get(signed)
    assert response.status_code == 200
    assert response.data == b"classified"
    assert "private" in response.headers["Cache-Control"]
    assert client.get(download).headers["Content-Disposition"].startswith("attachment")
    assert client.get("/secret/doc.txt").status_code == 403
    assert client.get(expired).status_code == 403
    forged = signed.replace("doc.txt", "other.txt")
    assert client.get(forged).status_code == 403
    assert client.get(other_file).status_code == 404  # valid signature, missing file
    longer = signed.replace("expires=", "expires=9")
    assert client.get(longer).status_code == 403


def test_signed_url_of_a_storage_the_view_does_not_serve_is_refused(make_app):
    """The view answers 404 for a storage with SERVE off: a signed URL to it cannot work."""
    hidden = fs.Storage("hidden")
    app = make_app(hidden, HIDDEN_FS_SERVE=False, HIDDEN_FS_PRIVATE=True, SERVER_NAME="app.test")
    with app.app_context(), pytest.raises(OperationNotSupported, match="SERVE"):
        hidden.signed_url("a.txt")


def test_signed_url_download_name_is_signed_and_served(make_app):
    """Content-addressed files need a name to be downloaded under; a client must not pick
    one (a trusted site naming a file 'setup.exe' is a reflected file download)."""
    blobs = fs.Storage("blobs", fs.ALL)
    app = make_app(blobs, BLOBS_FS_PRIVATE=True, SERVER_NAME="app.test")
    with app.app_context():
        blobs.write("ab/cdef.pdf", b"%PDF")
        url = blobs.signed_url("ab/cdef.pdf", download_name="Facture 2024.pdf", as_attachment=True)
        inline = blobs.signed_url("ab/cdef.pdf", download_name="Facture.pdf")
    client = app.test_client()
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="Facture 2024.pdf"'
    assert client.get(inline).headers["Content-Disposition"] == "inline; filename=Facture.pdf"
    for forged in (
        url.replace("name=Facture+2024.pdf", "name=setup.exe"),
        url.replace("download=1", "download=0"),
        inline + "&download=1",
    ):
        assert forged not in (url, inline)
        assert client.get(forged).status_code == 403, forged
    with app.app_context(), pytest.raises(fs.InvalidFilename):
        blobs.signed_url("ab/cdef.pdf", download_name="a\r\nSet-Cookie: x=1")


def test_signed_urls_need_a_secret(make_app):
    files = fs.Storage("files")
    app = make_app(files, SECRET_KEY=None, SERVER_NAME="app.test")
    with app.app_context(), pytest.raises(fs.ConfigurationError, match="SECRET_KEY"):
        files.signed_url("a.txt")


def test_serve_can_be_turned_off(make_app):
    files, hidden = fs.Storage("files"), fs.Storage("hidden")
    app = make_app(files, hidden, HIDDEN_FS_SERVE=False)
    with app.app_context():
        files.write("a.txt", b"x")
        hidden.write("a.txt", b"x")
    client = app.test_client()
    assert client.get("/files/a.txt").status_code == 200
    assert client.get("/hidden/a.txt").status_code == 404
    assert client.get("/unknown/a.txt").status_code == 404
    assert client.get("/files/..%2F..%2Fetc/passwd").status_code == 404


def test_active_content_inline_when_allowed_is_sandboxed(make_app):
    files = fs.Storage("files", fs.ALL)
    app = make_app(files, FILES_FS_INLINE_ACTIVE_CONTENT=True)
    with app.app_context():
        files.write("pic.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    response = app.test_client().get("/files/pic.svg")
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Content-Security-Policy"].endswith("; sandbox")
    assert response.mimetype == "image/svg+xml"


def test_max_age(make_app):
    files = fs.Storage("files")
    app = make_app(files, FILES_FS_MAX_AGE=3600)
    with app.app_context():
        files.write("a.txt", b"x")
    response = app.test_client().get("/files/a.txt")
    assert response.cache_control.max_age == 3600
    assert not response.cache_control.no_cache


def test_storage_serve_outside_the_view(make_app):
    files = fs.Storage("files")
    app = make_app(files)

    @app.get("/download/<path:name>")
    def download(name):
        return files.serve(name, as_attachment=True, download_name="renamed.txt")

    with app.app_context():
        files.write("a.txt", b"x")
    client = app.test_client()
    response = client.get("/download/a.txt")
    assert response.data == b"x"
    assert response.headers["Content-Disposition"] == "attachment; filename=renamed.txt"
    assert client.get("/download/missing.txt").status_code == 404
    assert client.get("/download/a/../../x").status_code == 404


def _app_with_backends(make_app, fs_register_plugin, **backends):
    """An app where each storage named in ``backends`` uses its own backend class (the
    backend registered under the storage's name); returns the app and the storages."""

    class Plugin:
        @fs.hookimpl
        def register_backends(self, register):
            for name, backend in backends.items():
                register(name, backend)

    storages = [fs.Storage(name) for name in backends]
    app = make_app(**{f"{name.upper()}_FS_BACKEND": name for name in backends})
    fs_register_plugin(app, Plugin())
    fs.init_app(app, *storages)
    return app, storages


def test_a_redirecting_backend_gets_the_disposition_and_a_flask_fs_one_still_serves(
    make_app, fs_register_plugin
):
    from flask import redirect

    from fs_core.memory import MemoryBackend

    asked = []

    class Redirecting(MemoryBackend):
        def serve(self, filename, *, as_attachment=False, download_name=None):
            asked.append((filename, as_attachment, download_name))
            return redirect(f"https://cdn.test/{filename}?dl={download_name}")

    class FlaskFS(MemoryBackend):  # Flask-FS's signature: the file name only
        def serve(self, filename):
            return super().serve(filename)

    app, (remote, legacy) = _app_with_backends(
        make_app, fs_register_plugin, remote=Redirecting, legacy=FlaskFS
    )

    @app.get("/download/<storage>/<path:name>")
    def download(storage, name):
        files = remote if storage == "remote" else legacy
        return files.serve(name, as_attachment=True, download_name="renamed.txt")

    with app.app_context():
        remote.write("a.txt", b"x")
        legacy.write("a.txt", b"y")
    client = app.test_client()
    assert client.get("/download/remote/a.txt").location == "https://cdn.test/a.txt?dl=renamed.txt"
    assert asked == [("a.txt", True, "renamed.txt")]
    client.get("/remote/a.txt")  # the view, no disposition asked: the Flask-FS call
    assert asked[-1] == ("a.txt", False, None)
    response = client.get("/download/legacy/a.txt")
    assert response.data == b"y"
    assert response.headers["Content-Disposition"] == "attachment; filename=renamed.txt"


def test_a_backend_serve_with_keyword_arguments_gets_the_disposition(make_app, fs_register_plugin):
    from flask import redirect

    from fs_core.memory import MemoryBackend

    class Redirecting(MemoryBackend):
        def serve(self, filename, **options):
            return redirect(f"https://cdn.test/{filename}?dl={options.get('download_name')}")

    app, (files,) = _app_with_backends(make_app, fs_register_plugin, files=Redirecting)
    with app.test_request_context():
        files.write("a.txt", b"x")
        assert files.serve("a.txt", download_name="b.txt").location == "https://cdn.test/a.txt?dl=b.txt"
        with pytest.raises(fs.InvalidFilename):
            files.serve("a.txt", download_name="b\r\nSet-Cookie: x=1")


def test_conditional_requests_do_not_read_the_file(make_app, fs_register_plugin):
    """A 304 or a HEAD must not open the stored file (it may be on a remote service)."""
    from fs_core.memory import MemoryBackend

    opened = []

    class Counting(MemoryBackend):
        def open_read(self, filename):
            opened.append(filename)
            return super().open_read(filename)

    app, (files,) = _app_with_backends(make_app, fs_register_plugin, files=Counting)
    with app.app_context():
        files.write("a.txt", b"content")
    client = app.test_client()
    etag = client.get("/files/a.txt").headers["ETag"]
    assert opened == ["a.txt"]
    assert client.get("/files/a.txt", headers={"If-None-Match": etag}).status_code == 304
    assert client.head("/files/a.txt").status_code == 200
    assert opened == ["a.txt"]


def test_crafted_signature_arguments_are_refused_not_a_server_error(make_app):
    secret, public = fs.Storage("secret"), fs.Storage("public")
    app = make_app(secret, public, SECRET_FS_PRIVATE=True)
    with app.app_context():
        secret.write("doc.txt", b"classified")
        public.write("doc.txt", b"open")
    client = app.test_client()
    # '²' and '١' are digits to str.isdigit(), but int() refuses the first and reads the second.
    for expires in ("%C2%B2", "%D9%A1" * 11, "1e99", "-1"):
        response = client.get(f"/secret/doc.txt?expires={expires}&signature=x")
        assert response.status_code == 403, expires


def test_signature_arguments_without_a_secret_key_do_not_break_public_files(make_app):
    public = fs.Storage("public")
    app = make_app(public, SECRET_KEY=None)
    with app.app_context():
        public.write("doc.txt", b"open")
    response = app.test_client().get("/public/doc.txt?expires=99999999999&signature=x")
    assert response.status_code == 200
    assert response.data == b"open"


@pytest.mark.parametrize(
    "declared", ["application/atom+xml", "application/rss+xml", "application/mathml+xml", "text/xsl"]
)
def test_every_xml_type_is_active_content(make_app, declared):
    """A browser runs <html:script> in any XML document, whatever its +xml type."""
    from fs_core.content_types import content_type_for

    assert content_type_for("feed.bin", declared) == "application/octet-stream"
    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    with app.app_context():
        files.backend.save(io.BytesIO(b"<feed/>"), "feed.bin", content_type=declared)
    response = app.test_client().get("/files/feed.bin")
    assert response.mimetype == declared
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_one_grant_has_one_signed_url(make_app):
    """Other spellings of a valid signature (padding, zero-padded expiry, download=0, an
    empty name) are refused: only the URL sign() wrote verifies."""
    from urllib.parse import parse_qs, urlsplit

    secret = fs.Storage("secret")
    app = make_app(secret, SECRET_FS_PRIVATE=True, SERVER_NAME="app.test")
    with app.app_context():
        secret.write("doc.txt", b"classified")
        signed = secret.signed_url("doc.txt", expires=60)
        download = secret.signed_url("doc.txt", expires=60, as_attachment=True)
    client = app.test_client()
    assert client.get(signed).status_code == 200
    query = parse_qs(urlsplit(signed).query)
    expires, signature = query["expires"][0], query["signature"][0]
    for variant in (
        signed.replace(f"signature={signature}", f"signature={signature}="),
        signed.replace(f"signature={signature}", f"signature={signature}%3D%3D"),
        signed.replace(f"expires={expires}", f"expires=0{expires}"),
        signed.replace(f"expires={expires}", f"expires=00{expires}"),
        signed + "&download=0",
        signed + "&name=",
        signed + f"&expires={expires}",
        signed + f"&signature={signature}",
        signed.replace(f"expires={expires}", "expires=" + "9" * 5000),
        download.replace("download=1", "download=01"),
    ):
        assert variant != signed
        assert client.get(variant).status_code == 403, variant


def test_error_answers_of_the_view_are_inert_too(make_app):
    files, secret = fs.Storage("files"), fs.Storage("secret")
    app = make_app(files, secret, SECRET_FS_PRIVATE=True, FILES_FS_CONTENT_SECURITY_POLICY="sandbox")
    with app.app_context():
        files.write("a.txt", b"0123456789")
        secret.write("s.txt", b"x")
    client = app.test_client()
    for url, headers, status, policy in (
        ("/files/missing.txt", {}, 404, "sandbox"),
        ("/files/a.txt", {"Range": "bytes=100-"}, 416, "sandbox"),
        ("/secret/s.txt", {}, 403, DEFAULT_CONTENT_SECURITY_POLICY),
        ("/nowhere/x.txt", {}, 404, DEFAULT_CONTENT_SECURITY_POLICY),
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == status, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Content-Security-Policy"] == policy, url


def test_a_weak_if_range_never_matches(make_app):
    files = fs.Storage("files")
    app = make_app(files)
    with app.app_context():
        files.write("a.txt", b"0123456789")
    client = app.test_client()
    etag = client.get("/files/a.txt").headers["ETag"]
    strong = client.get("/files/a.txt", headers={"Range": "bytes=0-1", "If-Range": etag})
    assert (strong.status_code, strong.data) == (206, b"01")
    weak = client.get("/files/a.txt", headers={"Range": "bytes=0-1", "If-Range": f"W/{etag}"})
    assert (weak.status_code, weak.data) == (200, b"0123456789")


def test_a_file_that_cannot_be_read_is_an_error_answer_not_a_short_200(make_app, fs_register_plugin):
    """send_stream opens the body before the status goes out: a read that fails is a 5xx (or
    a 404 if the file went away), never a 200 whose body stops early."""
    from fs_core.memory import MemoryBackend

    class Unreadable(MemoryBackend):
        def open_read(self, filename):
            if filename == "gone.txt":
                raise fs.FileNotFound(filename)
            raise fs.BackendError("disk failed", OSError(5, "EIO"))

    class Plugin:
        @fs.hookimpl
        def register_backends(self, register):
            register("unreadable", Unreadable)

    files = fs.Storage("files")
    app = make_app(FILES_FS_BACKEND="unreadable")
    app.config["TESTING"] = False  # an error answer, as in production
    fs_register_plugin(app, Plugin())
    fs.init_app(app, files)
    with app.app_context():
        files.write("a.txt", b"content")
        files.write("gone.txt", b"content")
    client = app.test_client()
    assert client.get("/files/a.txt").status_code == 500
    assert client.get("/files/gone.txt").status_code == 404
    assert client.head("/files/a.txt").status_code == 200  # HEAD reads nothing


def test_a_serve_replaced_after_requests_answers_the_next_ones(make_app, monkeypatch):
    """The ``fs`` view serves directly only while ``Storage.serve`` is fs-core's own: an
    access check an application adds to its storage class later (or to one storage) is not
    bypassed by what the first request worked out."""

    class Files(fs.Storage):
        pass

    files = Files("files", fs.ALL)
    app = make_app(files)
    with app.app_context():
        files.write("a.txt", b"x")
    client = app.test_client()
    assert client.get("/files/a.txt").data == b"x"  # served by the core directly
    monkeypatch.setattr(Files, "serve", lambda self, filename, **options: fs_abort(403))
    assert client.get("/files/a.txt").status_code == 403
    monkeypatch.undo()
    assert client.get("/files/a.txt").data == b"x"
    monkeypatch.setattr(files, "serve", lambda filename, **options: fs_abort(401))  # one storage
    assert client.get("/files/a.txt").status_code == 401


def fs_abort(code: int):
    from flask import abort

    abort(code)
