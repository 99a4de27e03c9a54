from __future__ import annotations

import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.utils import secure_filename as werkzeug_secure_filename

from fs_core.errors import InvalidFilename
from fs_core.naming import hashed_name, join_name, secure_filename, validate_name, validate_prefix


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "a/../../b",
        "a/..",
        "./a",
        "a/./b",
        "/abs/path",
        "a\\b",
        "..\\..\\win",
        "nul\x00byte",
        "line\nbreak",
        "tab\there",
        "esc\x1b[31m",
        "del\x7f",
        "c1\x85control",
        "bidi\u202egpj.exe",
        "sep\u2028line",
        "a//b",
        "trailing/",
        "",
        "x" * 256,
        "a/" + "é" * 128,  # 256 UTF-8 bytes in one segment
        "/".join(["abcdefgh"] * 120),  # > 1024 bytes
    ],
)
def test_unsafe_names_are_refused(name):
    with pytest.raises(InvalidFilename):
        validate_name(name)


def test_invalid_filename_is_a_value_error_and_an_fs_error():
    from fs_core.errors import FSError

    with pytest.raises(ValueError):
        validate_name("../x")
    with pytest.raises(FSError):
        validate_name("../x")


@pytest.mark.parametrize(
    "name",
    [
        "file.txt",
        "a/b/c.txt",
        "файл.txt",
        "日本/語.txt",
        "emoji 😀.png",
        "x" * 255,
        ".hidden",
        "a..b",
        "...dots",
    ],
)
def test_safe_names_pass_unchanged(name):
    assert validate_name(name) == name


def test_names_are_nfc_normalised():
    decomposed = "cafe\u0301.txt"
    assert validate_name(decomposed) == "caf\u00e9.txt"


def test_non_strings_are_refused():
    with pytest.raises(InvalidFilename):
        validate_name(None)
    with pytest.raises(InvalidFilename):
        validate_name(b"bytes.txt")


def test_prefix_and_join():
    assert validate_prefix("/a/b/") == "a/b"
    assert validate_prefix("") is None
    assert validate_prefix("/") is None
    assert join_name("a/", None, "/b", "c.txt") == "a/b/c.txt"
    with pytest.raises(InvalidFilename):
        validate_prefix("../up")
    with pytest.raises(InvalidFilename):
        join_name("ok", "../x.txt")


@pytest.mark.parametrize(
    "name",
    ["My Photo.JPG", "../../etc/passwd", "a/b\\c.txt", "  spaces  .txt", "..hidden", "in-valid!@#$.tar.GZ"],
)
def test_ascii_names_get_werkzeugs_secure_filename(name):
    expected = werkzeug_secure_filename(name)
    head, dot, ext = expected.rpartition(".")
    expected = f"{head}.{ext.lower()}" if dot else expected
    assert secure_filename(name) == expected


def test_non_ascii_names_keep_their_letters():
    assert secure_filename("файл.txt") == "файл.txt"
    assert secure_filename("Ñandú Ärger.PNG") == "Ñandú_Ärger.png"
    assert secure_filename("日本語 ファイル.pdf") == "日本語_ファイル.pdf"
    assert secure_filename("../../файл.txt") == "файл.txt"
    assert secure_filename("a/б\\в.txt") == "a_б_в.txt"
    assert secure_filename("файл\x00\u202e.txt") == "файл.txt"


def test_nothing_usable_keeps_the_extension():
    name = secure_filename("файл.txt", ascii_only=True)
    assert name.startswith("file-")
    assert name.endswith(".txt")
    assert name != secure_filename("другой.txt", ascii_only=True)
    assert secure_filename("!!!").startswith("file-")
    assert secure_filename("") == ""


def test_long_names_are_truncated_keeping_the_extension():
    name = secure_filename("ж" * 300 + ".jpeg")
    assert len(name.encode()) <= 255
    assert name.endswith(".jpeg")
    validate_name(name)


@pytest.mark.parametrize(
    "client_name",
    [
        "a." + "\u0130" * 127,  # 'İ' lowercases to 'i' + U+0307: 2 bytes become 3, after the cut
        "\u023a." + "\u023a" * 111,  # 'Ⱥ' lowercases to 'ⱥ' (2 bytes to 3): 225 bytes become 337
        "A" * 300 + "." + "\u0130" * 16,  # the kept extension grows by 16 bytes when lowercased
        "\u1100!\u1161.txt",  # Hangul jamo that compose (NFC) once the '!' between them is dropped
    ],
)
def test_a_secure_name_is_one_the_storage_accepts_as_it_is(client_name):
    # Lowercasing the extension can make it longer in bytes, and dropping a character can
    # leave two that NFC composes: the name secure_filename gives must still be a valid
    # segment, unchanged by validate_name (else the upload is refused, or stored under
    # another name than the one secure_filename returned).
    for ascii_only in (False, True):
        name = secure_filename(client_name, ascii_only=ascii_only)
        assert validate_name(name) == name
        assert "/" not in name
        assert len(name.encode()) <= 255


# Any text, with more of what broke it: letters whose lowercase is longer, composing jamo,
# and long stems and extensions (a piece repeated: near or past 255 bytes).
_CLIENT_CHARS = st.one_of(st.characters(), st.sampled_from("\u0130\u023a\u1100\u1161!./ "))
_PART = st.one_of(
    st.text(_CLIENT_CHARS, max_size=12),
    st.builds(operator.mul, st.text(_CLIENT_CHARS, min_size=1, max_size=3), st.integers(1, 260)),
)
_CLIENT_NAMES = st.one_of(
    st.text(_CLIENT_CHARS, min_size=1, max_size=40),
    st.builds(lambda stem, ext: f"{stem}.{ext}", _PART, _PART),
)


@settings(max_examples=300, deadline=None, database=None)
@given(client_name=_CLIENT_NAMES, ascii_only=st.booleans())
def test_every_client_name_becomes_a_valid_segment(client_name, ascii_only):
    name = secure_filename(client_name, ascii_only=ascii_only)
    assert name
    assert "/" not in name
    assert validate_name(name) == name


def test_hashed_name_layout():
    digest = "abcdef0123456789"
    assert hashed_name(digest, "jpg", depth=2, width=2) == "ab/cd/ef0123456789.jpg"
    assert hashed_name(digest, ".png") == "a/b/c/d/ef0123456789.png"
    assert hashed_name(digest, "", depth=0) == digest
    with pytest.raises(InvalidFilename):
        hashed_name(digest, "x", depth=8, width=2)
    with pytest.raises(InvalidFilename):
        hashed_name("../../etc", "x")


def test_check_chars_refuses_exactly_controls_surrogates_and_bidi_characters():
    """One scan (a regular expression) in place of a category per character: the same
    characters are refused, over the whole of Unicode."""
    import unicodedata

    from fs_core.naming import _FORBIDDEN_CHARS, check_chars

    refused = []
    for code in range(0x110000):
        char = chr(code)
        try:
            check_chars(f"a{char}b")
        except InvalidFilename:
            refused.append(code)
    expected = [
        code
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Cc", "Cs") or chr(code) in _FORBIDDEN_CHARS
    ]
    assert refused == expected
