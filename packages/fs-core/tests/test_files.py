from __future__ import annotations

import pytest

import fs_core as fs
from fs_core.content_types import content_type_for


def test_flask_fs_presets_keep_their_members():
    assert {"txt"} <= set(fs.TEXT)
    assert {"rtf", "odf", "ods", "gnumeric", "abw", "doc", "docx", "xls", "xlsx"} <= set(fs.DOCUMENTS)
    assert {"jpg", "jpe", "jpeg", "png", "gif", "svg", "bmp"} <= set(fs.IMAGES)
    assert {"wav", "mp3", "aac", "ogg", "oga", "flac"} <= set(fs.AUDIO)
    assert {"csv", "ini", "json", "plist", "xml", "yaml", "yml"} <= set(fs.DATA)
    assert set(fs.SCRIPTS) == {"js", "php", "pl", "py", "rb", "sh", "bat"}
    assert {"gz", "bz2", "zip", "tar", "tgz", "txz", "7z"} <= set(fs.ARCHIVES)
    assert set(fs.EXECUTABLES) == {"so", "exe", "dll"}
    assert fs.DEFAULTS == fs.TEXT + fs.DOCUMENTS + fs.IMAGES + fs.DATA
    assert not set(fs.DEFAULTS) & set(fs.SCRIPTS + fs.EXECUTABLES)


def test_all_none_all_except():
    assert "anything" in fs.ALL
    assert "" in fs.ALL
    assert "txt" not in fs.NONE
    no_scripts = fs.AllExcept(fs.SCRIPTS + fs.EXECUTABLES)
    assert "png" in no_scripts
    assert "exe" not in no_scripts
    assert "py" not in no_scripts


def test_all_except_with_a_string_is_one_extension():
    # Flask-FS tested substrings: AllExcept('exe') also refused 'ex' and 'e'.
    only_exe = fs.AllExcept("exe")
    assert "exe" not in only_exe
    assert "ex" in only_exe
    assert "e" in only_exe
    assert "EXE" not in fs.AllExcept(".EXE")


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        ("a.txt", "txt"),
        ("a.TXT", "txt"),
        ("archive.tar.gz", "gz"),
        ("noext", ""),
        (".bashrc", ""),
        ("d.ir/f", ""),
    ],
)
def test_extension(name, ext):
    assert fs.extension(name) == ext


def test_lower_extension():
    assert fs.lower_extension("ARCHIVE.TAR.GZ") == "ARCHIVE.TAR.gz"
    assert fs.lower_extension("Photo.JPG") == "Photo.jpg"
    assert fs.lower_extension("README") == "README"


def test_mime_is_the_same_on_every_machine():
    assert fs.mime("a.txt") == "text/plain"
    assert fs.mime("a.csv") == "text/csv"
    assert fs.mime("a.webp") == "image/webp"
    assert fs.mime("a.avif") == "image/avif"
    assert fs.mime("a.svg") == "image/svg+xml"
    assert fs.mime("a.unknownext") is None
    assert fs.mime("a.unknownext", "application/octet-stream") == "application/octet-stream"


def test_content_type_for_uploads():
    assert content_type_for("a.png", "image/png") == "image/png"
    assert content_type_for("a.png", None) == "image/png"
    assert content_type_for("a.png", "application/octet-stream") == "image/png"
    assert content_type_for("blob", None) == "application/octet-stream"
    assert content_type_for("blob", "application/pdf; charset=binary") == "application/pdf"
    # A declared type that would run in a browser does not beat the name's.
    assert content_type_for("photo.jpg", "text/html") == "image/jpeg"
    assert content_type_for("blob", "text/html") == "application/octet-stream"
    assert content_type_for("page.html", "text/html") == "text/html"


def test_mime_answers_as_guess_type_for_every_kind_of_name():
    """mime() decides from the last extension where that alone decides (cached), else asks
    guess_type with the whole name: the answers must be guess_type's."""
    from fs_core import files

    table = files._MIMETYPES
    extensions = {*table.types_map[True], *table.types_map[False], *table.suffix_map, *table.encodings_map}
    names = ["a", ".bashrc", "dir.d/file", "a.", "a..", "...", "x/.hidden.txt", "data:text/plain,x"]
    for ext in extensions:
        for spelled in (ext, ext.upper(), ext.title()):
            names += [f"a{spelled}", f"a.tar{spelled}", f"dir/a.svg{spelled}", f"..a{spelled}"]
    for name in names:
        assert fs.files.mime(name) == table.guess_type(name, strict=False)[0], name
