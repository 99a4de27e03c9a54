"""The hooks that run before an upload is first stored: check_target and prepare_upload,
and MAX_SIZE refusing an upload before any policy plugin reads it."""

from __future__ import annotations

import hashlib
import io

import pytest

import fs_core as fs


class Upload(io.BytesIO):
    def __init__(self, data: bytes, filename: str) -> None:
        super().__init__(data)
        self.filename = filename


class Thumbnails:
    """Gives each image 'x.png' a derived 'x-small.png', and claims that name up front."""

    def __init__(self) -> None:
        self.checked: list[tuple[str, bool]] = []

    @staticmethod
    def derived(name: str) -> str:
        stem, _, ext = name.rpartition(".")
        return f"{stem}-small.{ext}"

    @fs.hookimpl
    def check_target(self, storage, filename, replace):
        self.checked.append((filename, replace))
        if not filename.endswith(".png"):
            return
        if not replace and storage.exists(self.derived(filename)):
            taken = self.derived(filename)
            raise fs.FileExists(taken, message=f"{taken} would be replaced by the thumbnail of {filename}")
        stem = filename.rpartition(".")[0]
        if stem.endswith("-small") and storage.exists(stem[: -len("-small")] + ".png"):
            raise fs.UnauthorizedFileType(f"{filename} is the name of a thumbnail")

    @fs.hookimpl
    def after_save(self, storage, filename):
        if filename.endswith(".png"):
            storage.write(self.derived(filename), b"thumb of " + storage.read(filename), overwrite=True)


@pytest.fixture
def app_and_files(make_app, fs_register_plugin):
    def make(**config):
        files = fs.Storage("files", fs.ALL)
        app = make_app(files, **config)
        plugin = Thumbnails()
        fs_register_plugin(app, plugin)
        return app, files, plugin

    return make


def test_a_name_whose_derived_names_are_taken_is_refused(app_and_files):
    app, files, plugin = app_and_files()
    with app.app_context():
        files.write("a/holiday-small.png", b"someone else's")
        with pytest.raises(fs.FileExists, match="would be replaced by the thumbnail"):
            files.save(Upload(b"mine", "holiday.png"), prefix="a")
        assert not files.exists("a/holiday.png")
        assert files.read("a/holiday-small.png") == b"someone else's"
        assert ("a/holiday.png", False) in plugin.checked


def test_rename_skips_names_a_plugin_refuses(app_and_files):
    app, files, plugin = app_and_files(FILES_FS_ON_CONFLICT="rename")
    with app.app_context():
        files.write("holiday-small.png", b"someone else's")  # holiday.png is free, its thumbnail not
        files.write("holiday_1-small.png", b"another one")  # nor holiday_1.png's
        name = files.save(Upload(b"mine", "holiday.png"))
        assert name == "holiday_2.png"
        assert files.read("holiday_2-small.png") == b"thumb of mine"
        assert files.read("holiday-small.png") == b"someone else's"
        assert files.read("holiday_1-small.png") == b"another one"
        assert [n for n, _ in plugin.checked if n.startswith("holiday")] == [
            "holiday-small.png",
            "holiday_1-small.png",
            "holiday.png",
            "holiday_1.png",
            "holiday_2.png",
        ]


def test_an_overwrite_is_checked_as_a_replacement(app_and_files):
    app, files, plugin = app_and_files()
    with app.app_context():
        files.write("p.png", b"one")
        plugin.checked.clear()
        files.write("p.png", b"two", overwrite=True)  # its own thumbnail may be replaced
        assert plugin.checked == [("p.png", True)]  # the processor's own write is not checked
        assert files.read("p-small.png") == b"thumb of two"


def test_a_plugin_refuses_a_name_with_its_own_error(app_and_files):
    app, files, _ = app_and_files()
    with app.app_context():
        files.write("x.png", b"image")
        with pytest.raises(fs.UnauthorizedFileType, match="name of a thumbnail"):
            files.save(Upload(b"fake thumbnail", "x-small.png"), overwrite=True)
        assert files.read("x-small.png") == b"thumb of image"


class StripSecrets:
    def __init__(self) -> None:
        self.returned: list[io.BytesIO] = []

    @fs.hookimpl
    def prepare_upload(self, storage, filename, file):
        if not filename.endswith(".txt"):
            return None
        cleaned = io.BytesIO(file.read().replace(b"SECRET", b"******"))
        self.returned.append(cleaned)
        return cleaned


@pytest.mark.parametrize("naming", ["plain", "hash"])
def test_prepare_upload_replaces_what_is_first_stored(make_app, fs_register_plugin, naming):
    seen_by_processors = []

    class Processor:
        @fs.hookimpl
        def after_save(self, storage, filename):
            seen_by_processors.append(storage.read(filename))
            if filename.endswith(".txt"):
                storage.write(filename + ".copy", b"SECRET kept by a processor", overwrite=True)

    files = fs.Storage("files", fs.ALL)
    app = make_app(files, **({"FILES_FS_NAMING": "hash"} if naming == "hash" else {}))
    plugin = StripSecrets()
    fs_register_plugin(app, plugin)
    fs_register_plugin(app, Processor())
    with app.app_context():
        name = files.save(Upload(b"a SECRET note", "note.txt"))
        assert files.read(name) == b"a ****** note"
        assert seen_by_processors == [b"a ****** note"]
        assert files.read(name + ".copy") == b"SECRET kept by a processor"  # processors' own writes
        if naming == "hash":
            assert name.replace("/", "").startswith(hashlib.sha256(b"a ****** note").hexdigest()[:8])
        files.write("w.txt", b"SECRET")
        assert files.read("w.txt") == b"******"
        assert files.read(files.save(Upload(b"SECRET", "data.bin"))) == b"SECRET"  # abstained
    assert plugin.returned
    assert all(stream.closed for stream in plugin.returned)


def test_max_size_refuses_before_a_policy_plugin_reads_the_upload(make_app, fs_register_plugin):
    read = []

    class Inspector:
        @fs.hookimpl
        def file_allowed(self, storage, file, filename):
            read.append(filename)
            return None

    files = fs.Storage("files", fs.ALL)
    app = make_app(files, FILES_FS_MAX_SIZE=10)
    fs_register_plugin(app, Inspector())
    with app.app_context():
        with pytest.raises(fs.FileTooLarge):
            files.save(Upload(b"x" * 11, "big.bin"))
        assert read == []
        assert files.save(Upload(b"x" * 10, "fits.bin")) == "fits.bin"
        assert read == ["fits.bin"]


def test_copies_and_moves_are_checked_too(app_and_files):
    app, files, plugin = app_and_files()
    with app.app_context():
        files.write("mine.png", b"mine")
        files.write("theirs-small.png", b"someone else's")
        plugin.checked.clear()
        for relocate in (files.copy, files.move):
            with pytest.raises(fs.FileExists, match="would be replaced by the thumbnail"):
                relocate("mine.png", "theirs.png")
        assert files.read("theirs-small.png") == b"someone else's"
        assert not files.exists("theirs.png")
        assert plugin.checked == [("theirs.png", False), ("theirs.png", False)]
        assert files.copy("mine.png", "free.png") == "free.png"
