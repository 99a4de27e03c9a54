from __future__ import annotations

import pytest
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
