"""Content types by construction: one well-formed type stored and sent, inline only for an
allow-list, a sandboxing Content-Security-Policy on every response."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fs_core as fs
from fs_core.content_types import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    SAFE_INLINE_TYPES,
    content_type_for,
    parse_content_type,
    renders_inline,
)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("image/png", "image/png"),
        ("Image/PNG", "image/png"),
        ("  text/plain  ", "text/plain"),
        ("text/plain; charset=utf-8", "text/plain"),
        ('text/plain;charset="utf-8"; format=flowed', "text/plain"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
        ("application/vnd.ms-excel", "application/vnd.ms-excel"),
        ("application/atom+xml", "application/atom+xml"),
        ("text/plain;", "text/plain"),
        # more than one type: browsers render the last one
        ("text/plain,text/html", None),
        ("image/png, text/html", None),
        ("text/plain;charset=utf-8,text/html", None),
        ('text/plain; charset="a,text/html', None),
        # not a type at all
        ("", None),
        ("text", None),
        ("*/*", None),
        ("text/*", None),
        ("/html", None),
        ("text/html/x", None),
        ("text/plain\r\nX-Injected: 1", None),
        ("text/plain\x00", None),
        ("text/plain; charset", None),
        ("text/plain; =utf-8", None),
        ("text/pl ain", None),
        ("tèxt/plain", None),
        (None, None),
        (b"text/plain", None),
    ],
)
def test_parse_content_type(value, parsed):
    if value == "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        parsed = value  # long, but well formed
    assert parse_content_type(value) == parsed


def test_an_overlong_type_is_not_one():
    assert parse_content_type("a/" + "b" * 127) == "a/" + "b" * 127  # RFC 6838: 127 at most
    assert parse_content_type("a/" + "b" * 128) is None


@pytest.mark.parametrize(
    ("name", "declared", "stored"),
    [
        ("notes.txt", "text/plain,text/html", "text/plain"),
        ("notes.txt", "text/html", "text/plain"),
        ("photo.png", "image/png, text/html", "image/png"),
        ("photo.png", "image/png", "image/png"),
        ("blob", "text/plain,text/html", "application/octet-stream"),
        ("blob", "image/png", "image/png"),
        ("blob", "application/octet-stream", "application/octet-stream"),
        ("report.pdf", "application/octet-stream", "application/pdf"),
        ("page.html", "text/html", "text/html"),
        ("feed.bin", "application/atom+xml", "application/octet-stream"),
        ("a.txt", "TEXT/PLAIN; charset=latin-1", "text/plain"),
        ("data.csv", "text/csv", "text/csv"),
    ],
)
def test_content_type_for(name, declared, stored):
    assert content_type_for(name, declared) == stored


# Any string at all, and strings built from the pieces of media types, lists and parameters.
_PIECES = st.sampled_from(
    [
        "text",
        "html",
        "plain",
        "image",
        "svg+xml",
        "png",
        "/",
        ",",
        ";",
        " ",
        "\t",
        "=",
        '"',
        "\\",
        "charset",
        "utf-8",
        "*",
        "+",
        "\r",
        "\n",
        "\x00",
        "x-",
        "application",
        "xhtml+xml",
    ]
)
_DECLARED = st.one_of(st.text(max_size=40), st.lists(_PIECES, max_size=12).map("".join))


@settings(max_examples=2000, deadline=None)
@given(declared=_DECLARED, name=st.sampled_from(["a.txt", "a.png", "a", "a.html", "a.svg"]))
def test_declared_types_reduce_to_one_well_formed_type(declared, name):
    stored = content_type_for(name, declared)
    assert parse_content_type(stored) == stored  # one type, lowercased, no parameters
    assert "," not in stored
    if stored in ("text/html", "image/svg+xml"):  # only ever from the name
        assert name.endswith((".html", ".svg"))


def _serve(make_app, name, declared=None, **config):
    files = fs.Storage("files", fs.ALL)
    app = make_app(files, **config)
    payload = b"<script>document.title='pwned'</script>"
    with app.app_context():
        files.save(_Upload(payload, name, declared))
    return app.test_client().get(f"/files/{name}")


class _Upload(io.BytesIO):
    """An upload with the client's declared type, as werkzeug's FileStorage exposes it."""

    def __init__(self, data: bytes, filename: str, mimetype: str | None) -> None:
        super().__init__(data)
        self.filename = filename
        self.mimetype = mimetype


@pytest.mark.parametrize(
    ("name", "declared", "sent"),
    [
        ("notes.txt", "text/plain,text/html", "text/plain"),
        ("notes.txt", "text/plain, text/html", "text/plain"),
        ("photo.png", "image/png, text/html", "image/png"),
        ("photo.png", "image/png;,text/html", "image/png"),
        ("blob", "text/html", "application/octet-stream"),
    ],
)
def test_a_list_of_declared_types_is_never_sent(make_app, name, declared, sent):
    response = _serve(make_app, name, declared)
    assert response.status_code == 200
    assert response.mimetype == sent
    assert "," not in response.headers["Content-Type"]
    assert response.headers["Content-Security-Policy"] == DEFAULT_CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_malformed_type_already_stored_is_not_sent(make_app):
    """Files stored before types were checked may carry any string: the name decides."""
    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    with app.app_context():
        files.backend.save(
            io.BytesIO(b"<script>x</script>"), "notes.txt", content_type="text/plain,text/html"
        )
        files.backend.save(io.BytesIO(b"<script>x</script>"), "blob", content_type="image/png,text/html")
        assert files.metadata("notes.txt")["mime"] == "text/plain"
    client = app.test_client()
    response = client.get("/files/notes.txt")
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"].startswith("inline")
    response = client.get("/files/blob")
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("name", "inline"),
    [
        ("a.png", True),
        ("a.jpg", True),
        ("a.webp", True),
        ("a.gif", True),
        ("a.mp4", True),
        ("a.mp3", True),
        ("a.txt", True),
        ("a.pdf", True),
        ("a.svg", False),
        ("a.html", False),
        ("a.xml", False),
        ("a.csv", False),
        ("a.json", False),
        ("a.js", False),
        ("a.md", False),
        ("a.zip", False),
        ("a.docx", False),
        ("a", False),
    ],
)
def test_only_allow_listed_types_are_inline(make_app, name, inline):
    response = _serve(make_app, name)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline" if inline else "attachment"), (name, response.mimetype)


def test_inline_types_can_be_configured(make_app):
    response = _serve(make_app, "a.csv", FILES_FS_INLINE_TYPES=[*SAFE_INLINE_TYPES, "text/csv"])
    assert response.headers["Content-Disposition"].startswith("inline")
    response = _serve(make_app, "a.png", FS_INLINE_TYPES="text/plain, application/pdf")
    assert response.headers["Content-Disposition"].startswith("attachment")
    with pytest.raises(fs.ConfigurationError, match="INLINE_TYPES: 'text/plain,text/html'"):
        _serve(make_app, "a.png", FILES_FS_INLINE_TYPES=["text/plain,text/html"])


def test_inline_active_content_still_sandboxed(make_app):
    response = _serve(make_app, "a.html", FILES_FS_INLINE_ACTIVE_CONTENT=True)
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Content-Security-Policy"] == DEFAULT_CONTENT_SECURITY_POLICY


def test_the_content_security_policy_is_configurable(make_app):
    response = _serve(make_app, "a.txt", FILES_FS_CONTENT_SECURITY_POLICY="sandbox allow-scripts")
    assert response.headers["Content-Security-Policy"] == "sandbox allow-scripts"
    response = _serve(make_app, "a.txt", FS_CONTENT_SECURITY_POLICY="")
    assert "Content-Security-Policy" not in response.headers
    response = _serve(make_app, "a.txt", FILES_FS_CONTENT_SECURITY_POLICY=False)
    assert "Content-Security-Policy" not in response.headers
    with pytest.raises(fs.ConfigurationError, match="CONTENT_SECURITY_POLICY"):
        _serve(make_app, "a.txt", FILES_FS_CONTENT_SECURITY_POLICY="sandbox\r\nSet-Cookie: a=b")


def test_renders_inline_refuses_what_is_not_one_type():
    assert renders_inline("image/png", {})
    assert not renders_inline("image/png,text/html", {})
    assert not renders_inline("text/html,image/png", {})
    assert not renders_inline(None, {})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("FILES_FS_INLINE_TYPES", "png"),
        ("FS_INLINE_TYPES", ["image/png", "text/plain,text/html"]),
        ("FILES_FS_INLINE_ACTIVE_CONTENT", "yes please"),
        ("FILES_FS_CONTENT_SECURITY_POLICY", "sandbox\nX: y"),
    ],
)
def test_serving_keys_are_checked_when_the_storage_is_configured(make_app, key, value):
    short = key.split("FS_", 1)[1]
    with pytest.raises(fs.ConfigurationError, match=rf"Storage 'files', FILES_FS_{short} or FS_{short}: "):
        make_app(fs.Storage("files"), **{key: value})


@pytest.mark.parametrize("value", ["false", "0", "off", "None", " "])
def test_a_false_word_turns_the_policy_off(make_app, value):
    response = _serve(make_app, "a.txt", FILES_FS_CONTENT_SECURITY_POLICY=value)
    assert "Content-Security-Policy" not in response.headers


def test_no_inline_types_means_every_file_is_an_attachment(make_app):
    response = _serve(make_app, "a.png", FILES_FS_INLINE_TYPES="")
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_a_policy_value_is_judged_by_its_type_not_an_equal_one_seen_before():
    """``False`` means no policy; ``0`` (equal to it, with the same hash) is no header value
    and is refused, whichever was asked first (the parsed values are cached)."""
    from fs_core.content_types import content_security_policy
    from fs_core.errors import ConfigurationError

    assert content_security_policy({"content_security_policy": False}) is None
    for wrong in (0, 0.0):
        with pytest.raises(ConfigurationError):
            content_security_policy({"content_security_policy": wrong})
