from __future__ import annotations

import io
import re
import threading

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage

import fs_core as fs
from fs_core.errors import ConfigurationError, NotConfigured, OperationNotSupported, ProcessingError


def upload(data: bytes, filename: str, content_type: str | None = None) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)


# -- configuration and app binding ---------------------------------------------------------


def test_unconfigured_storage_says_how_to_fix_it():
    orphan = fs.Storage("orphan")
    with pytest.raises(NotConfigured, match=r"init_app\(app, storage\)"):
        orphan.read("a.txt")


def test_storage_not_configured_for_this_app_never_falls_back(make_app):
    files = fs.Storage("files")
    make_app(files)
    other = Flask("other")
    fs.init_app(other)
    with (
        other.app_context(),
        pytest.raises(NotConfigured, match=r"not configured for app 'other'.*not fall back"),
    ):
        files.write("a.txt", b"x")


def test_one_storage_two_apps_configured_differently(make_app, fs_register_plugin):
    from fs_core.memory import MemoryBackend

    class OtherBackend(MemoryBackend):
        pass

    class Other:
        @fs.hookimpl
        def register_backends(self, register):
            register("other", OtherBackend)

    files = fs.Storage("files")
    on_memory = make_app(files, FILES_FS_MAX_SIZE=10)
    on_other = make_app()
    fs_register_plugin(on_other, Other())
    on_other.config.update(FILES_FS_BACKEND="other", FILES_FS_MAX_SIZE=2)
    fs.init_app(on_other, files)
    with on_memory.app_context():
        files.write("a.txt", b"memory")
        assert files.backend_name == "memory"
        assert files.config["max_size"] == 10
    with on_other.app_context():
        assert not files.exists("a.txt")
        files.write("a.txt", b"other")
        assert files.backend_name == "other"
        assert isinstance(files.backend, OtherBackend)
        with pytest.raises(fs.FileTooLarge):
            files.save(io.BytesIO(b"too big"), "b.txt")
    with on_memory.app_context():
        assert files.read("a.txt") == b"memory"
        files.save(io.BytesIO(b"fits here"), "b.txt")


def test_outside_an_app_context_the_only_app_is_used(make_app):
    files = fs.Storage("files")
    app = make_app(files)  # kept alive: a storage holds its apps weakly
    files.write("worker.txt", b"from a worker")
    assert files.read("worker.txt") == b"from a worker"
    assert list(files.list_files()) == ["worker.txt"]
    with app.app_context():
        assert files.read("worker.txt") == b"from a worker"


def test_outside_an_app_context_with_two_apps_asks_for_one(make_app):
    files = fs.Storage("files")
    apps = [make_app(files), make_app(files)]
    with pytest.raises(NotConfigured, match="app_context"):
        files.read("x.txt")
    del apps[1]
    import gc

    gc.collect()
    assert files.exists("x.txt") is False  # one app left: it is used


def test_init_app_is_idempotent_and_storages_can_come_later(make_app):
    files, images = fs.Storage("files"), fs.Storage("images", fs.IMAGES)
    app = make_app(files)
    with app.app_context():
        files.write("kept.txt", b"x")
    state = fs.init_app(app, files)
    fs.init_app(app, images)
    assert app.extensions["fs"] is state
    assert set(state) == {"files", "images"}
    with app.app_context():
        assert files.read("kept.txt") == b"x"  # not reconfigured: the memory backend kept its data
        assert fs.by_name("images") is images
        assert fs.by_name("nope") is None


def test_init_app_after_first_request_still_adds_storages(make_app):
    files = fs.Storage("files")
    app = make_app()
    assert app.test_client().get("/").status_code == 404
    fs.init_app(app, files)
    with app.app_context():
        files.write("late.txt", b"ok")
    assert app.test_client().get("/files/late.txt").data == b"ok"


def test_two_storages_with_one_name_are_refused(make_app):
    app = make_app(fs.Storage("files"))
    with pytest.raises(ConfigurationError, match="Two different storages"):
        fs.init_app(app, fs.Storage("files"))


def test_storages_whose_names_share_config_keys_are_refused(make_app):
    # 'Files' and 'files' would both read FILES_FS_ROOT: two storages in one directory.
    app = make_app(fs.Storage("files"))
    for name in ("Files", "FILES"):
        with pytest.raises(ConfigurationError, match=r"FILES_FS_"):
            fs.init_app(app, fs.Storage(name))
    assert set(app.extensions["fs"]) == {"files"}


def test_storage_names_are_checked():
    with pytest.raises(ConfigurationError):
        fs.Storage("bad name/../")


# -- saving --------------------------------------------------------------------------------


def test_save_uses_a_safe_client_name(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        assert files.save(upload(b"x", "../../My Report.TXT")) == "My_Report.txt"
        assert files.save(upload(b"y", "файл.txt")) == "файл.txt"
        assert files.read("файл.txt") == b"y"


def test_save_without_any_name_is_refused(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        with pytest.raises(fs.InvalidFilename, match="filename is required"):
            files.save(io.BytesIO(b"x"))
        with pytest.raises(ValueError):
            files.save(upload(b"x", ""))


def test_explicit_names_are_validated_not_rewritten(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        assert files.save(io.BytesIO(b"x"), "sub/Dir/Name.TXT") == "sub/Dir/Name.TXT"
        for bad in ("../escape.txt", "/abs.txt", "a\\b.txt"):
            with pytest.raises(fs.InvalidFilename):
                files.save(io.BytesIO(b"x"), bad)
        assert list(files.list_files()) == ["sub/Dir/Name.TXT"]


def test_prefix_and_upload_to(make_app):
    files = fs.Storage("files", upload_to=lambda: "users/42")
    plain = fs.Storage("plain", upload_to="base")
    with make_app(files, plain).app_context():
        assert files.save(upload(b"x", "a.txt"), prefix="avatars") == "users/42/avatars/a.txt"
        assert files.save(upload(b"x", "b.txt"), prefix=lambda: "/p/") == "users/42/p/b.txt"
        assert plain.save(upload(b"x", "c.txt")) == "base/c.txt"
        with pytest.raises(fs.InvalidFilename):
            plain.save(upload(b"x", "d.txt"), prefix="../../etc")


def test_extension_policy(make_app):
    images = fs.Storage("images", fs.IMAGES)
    with make_app(images).app_context():
        assert images.save(upload(b"x", "a.PNG")) == "a.png"
        with pytest.raises(
            fs.UnauthorizedFileType, match=r"'\.txt' files are not allowed in storage 'images'"
        ):
            images.save(upload(b"x", "a.txt"))
        with pytest.raises(fs.UnauthorizedFileType, match="without an extension"):
            images.save(upload(b"x", "README"))
        assert list(images.list_files()) == ["a.png"]


def test_allow_adds_and_deny_always_wins(make_app):
    images = fs.Storage("images", fs.IMAGES)
    app = make_app(images, IMAGES_FS_ALLOW=["pdf"], IMAGES_FS_DENY="svg, gif", FS_DENY=["bmp"])
    with app.app_context():
        assert images.extension_allowed("pdf")
        assert images.extension_allowed("png")
        assert not images.extension_allowed("svg")
        assert not images.extension_allowed("txt")  # Flask-FS's default allow=DEFAULTS accepted it
    everything = fs.Storage("everything", fs.ALL)
    with make_app(everything, EVERYTHING_FS_ALLOW=["exe"], EVERYTHING_FS_DENY=["exe"]).app_context():
        assert not everything.extension_allowed("exe")  # deny beats allow (Flask-FS: allow won)
        assert everything.extension_allowed("anything")


def test_file_allowed_hook_can_refuse_accept_or_abstain(make_app, fs_register_plugin):
    class ContentPolicy:
        @fs.hookimpl
        def file_allowed(self, storage, file, filename):
            head = file.read(4)
            file.seek(0)
            if head == b"MZ\x90\x00":
                return False
            if filename.endswith(".special"):
                return True
            return None

    files = fs.Storage("files")
    app = make_app(files)
    fs_register_plugin(app, ContentPolicy())
    with app.app_context():
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(upload(b"MZ\x90\x00rest", "innocent.txt"))
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(b"MZ\x90\x00rest", "bytes.txt")  # bytes reach the hook as a stream
        assert files.save(upload(b"data", "x.special")) == "x.special"  # not in DEFAULTS, accepted
        assert files.save(upload(b"text", "ok.txt")) == "ok.txt"  # abstained: core policy
        assert files.save("text too", "str.txt") == "str.txt"
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(upload(b"x", "run.exe"))
        assert files.read("ok.txt") == b"text"  # the plugin rewound the stream
        assert files.read("str.txt") == b"text too"
        assert sorted(files.list_files()) == ["ok.txt", "str.txt", "x.special"]


def test_file_allowed_can_be_overridden_in_a_subclass(make_app):
    class OnlySmall(fs.Storage):
        def file_allowed(self, storage, basename):
            return basename.startswith("small")

    files = OnlySmall("files", fs.ALL)
    with make_app(files).app_context():
        assert files.save(upload(b"x", "small.bin")) == "small.bin"
        with pytest.raises(fs.UnauthorizedFileType):
            files.save(upload(b"x", "big.bin"))


def test_conflicts_error_by_default(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        files.save(upload(b"first", "a.txt"))
        with pytest.raises(fs.FileExists):
            files.save(upload(b"second", "a.txt"))
        assert files.read("a.txt") == b"first"
        files.save(upload(b"third", "a.txt"), overwrite=True)
        assert files.read("a.txt") == b"third"


def test_overwrite_storage_and_config(make_app):
    files = fs.Storage("files", overwrite=True)
    strict = fs.Storage("strict", overwrite=True)
    with make_app(files, strict, STRICT_FS_OVERWRITE="false").app_context():
        files.write("a.txt", b"1")
        files.write("a.txt", b"2")
        assert files.read("a.txt") == b"2"
        strict.write("a.txt", b"1")
        with pytest.raises(fs.FileExists):
            strict.write("a.txt", b"2")
        with pytest.raises(fs.FileExists):
            files.save(upload(b"3", "a.txt"), overwrite=False)


def test_rename_on_conflict_uses_resolve_conflict(make_app):
    files = fs.Storage("files")
    with make_app(files, FILES_FS_ON_CONFLICT="rename").app_context():
        names = [files.save(upload(str(i).encode(), "report.pdf"), prefix="docs") for i in range(3)]
        assert names == ["docs/report.pdf", "docs/report_1.pdf", "docs/report_2.pdf"]
        assert [files.read(n) for n in names] == [b"0", b"1", b"2"]
        assert files.resolve_conflict("docs", "report.pdf") == "report_3.pdf"
        assert files.save(upload(b"o", "report.pdf"), prefix="docs", overwrite=True) == "docs/report.pdf"


def test_rename_on_conflict_keeps_names_within_the_segment_limit(make_app):
    files = fs.Storage("files")
    longest = "ж" * 125 + ".txt"  # 254 bytes: what secure_filename may give
    with make_app(files, FILES_FS_ON_CONFLICT="rename").app_context():
        first = files.save(upload(b"1", longest))
        second = files.save(upload(b"2", longest))
        assert first == longest
        assert second.endswith("_1.txt")
        assert len(second.encode()) <= 255
        assert files.read(second) == b"2"


@pytest.mark.parametrize(
    "client_name",
    ["b.txt/" + "a" * 250, "x.php" + "a" * 250],  # secure_filename keeps 255 bytes, all "extension"
)
def test_rename_on_conflict_of_a_name_that_is_mostly_extension(make_app, client_name):
    """A taken name whose text after its last dot leaves no room for ``_1`` is still renamed
    (CI found ``InvalidFilename`` here): the marker goes at the end, and the extension is
    never cut short, which could have made a denied one (``.php``) of an allowed one."""
    files = fs.Storage("files", fs.AllExcept(["php"]))
    with make_app(files, FILES_FS_ON_CONFLICT="rename").app_context():
        first = files.save(upload(b"1", client_name))
        second = files.save(upload(b"2", client_name))
        assert len(first.encode()) == 255
        assert second == first[:253] + "_1"
        assert files.extension_allowed(fs.extension(second))
        assert [files.read(first), files.read(second)] == [b"1", b"2"]


def test_rename_on_conflict_under_concurrency(make_app):
    files = fs.Storage("files")
    app = make_app(files, FILES_FS_ON_CONFLICT="rename", FILES_FS_MAX_SIZE=100)  # as in the demo
    names, barrier = [], threading.Barrier(6)

    def worker(i):
        with app.app_context():
            barrier.wait()
            names.append(files.save(upload(f"{i}".encode(), "same.txt")))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 6
    with app.app_context():
        assert sorted(files.read(n) for n in names) == [str(i).encode() for i in range(6)]


def test_rename_trusts_an_atomic_create_instead_of_asking_first(fs_make_app):
    """On a backend with atomic creates, a seekable upload is created at once (on S3: no
    HEAD before each PUT); a taken name still gets the next one. An upload that cannot be
    read again is checked first, as before."""
    from fs_core.memory import MemoryBackend

    asked: list[str] = []

    class Counting(MemoryBackend):
        def exists(self, filename):
            asked.append(filename)
            return super().exists(filename)

    class Plugin:
        @fs.hookimpl
        def register_backends(self, register):
            register("counting", Counting)

    files = fs.Storage("files")
    app = fs_make_app(Plugin(), storages=[files], FS_BACKEND="counting", FILES_FS_ON_CONFLICT="rename")
    with app.app_context():
        assert files.save(upload(b"1", "a.txt")) == "a.txt"
        assert asked == []
        assert files.save(upload(b"2", "a.txt")) == "a_1.txt"
        assert "a.txt" not in asked  # the create said it; resolve_conflict looked for a free one
        assert [files.read(n) for n in ("a.txt", "a_1.txt")] == [b"1", b"2"]

        class Unseekable(io.RawIOBase):
            def __init__(self, data):
                self.inner = io.BytesIO(data)

            def readable(self):
                return True

            def readinto(self, buffer):
                return self.inner.readinto(buffer)

        asked.clear()
        assert files.save(Unseekable(b"3"), "a.txt") == "a_2.txt"
        assert asked[0] == "a.txt"
        assert files.read("a_2.txt") == b"3"


def test_bad_conflict_mode_is_a_clear_error(make_app):
    files = fs.Storage("files")
    app = make_app(files, FILES_FS_ON_CONFLICT="replace")
    with app.app_context(), pytest.raises(ConfigurationError, match="FILES_FS_ON_CONFLICT must be one of"):
        files.save(upload(b"x", "a.txt"))


def test_max_size_refuses_and_stores_nothing(make_app):
    files = fs.Storage("files")
    with make_app(files, FILES_FS_MAX_SIZE=1000).app_context():
        assert files.save(upload(b"x" * 1000, "ok.txt")) == "ok.txt"
        with pytest.raises(fs.FileTooLarge) as excinfo:
            files.save(upload(b"x" * 1001, "big.txt"))
        assert excinfo.value.limit == 1000
        assert isinstance(excinfo.value, fs.UploadNotAllowed)
        files.write("keep.txt", b"old")
        with pytest.raises(fs.FileTooLarge):
            files.save(io.BytesIO(b"y" * 5000), "keep.txt", overwrite=True)
        assert files.read("keep.txt") == b"old"
        declared = FileStorage(io.BytesIO(b""), filename="d.txt", content_length=10**9)
        with pytest.raises(fs.FileTooLarge):
            files.save(declared)
        assert sorted(files.list_files()) == ["keep.txt", "ok.txt"]


def test_content_addressed_naming_deduplicates(make_app, fs_register_plugin):
    saved = []

    class Processor:
        @fs.hookimpl
        def after_save(self, storage, filename):
            saved.append(filename)

    blobs = fs.Storage("blobs", fs.ALL)
    app = make_app(blobs, BLOBS_FS_NAMING="hash", BLOBS_FS_HASH_DEPTH=2, BLOBS_FS_HASH_WIDTH=2)
    fs_register_plugin(app, Processor())
    with app.app_context():
        import hashlib

        digest = hashlib.sha256(b"same content").hexdigest()
        first = blobs.save(upload(b"same content", "one.TXT"))
        second = blobs.save(upload(b"same content", "two.txt"), prefix="p")
        third = blobs.save(upload(b"same content", "three.txt"))
        assert first == f"{digest[:2]}/{digest[2:4]}/{digest[4:]}.txt"
        assert second == f"p/{first}"
        assert third == first
        assert list(blobs.list_files()).count(first) == 1
        assert saved == [first, second]  # processors run once per stored file
        assert blobs.read(first) == b"same content"


# -- writing, reading, listing ---------------------------------------------------------------


def test_flask_fs_operations(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        assert files.write("my.file", "content") == "my.file"
        assert files.read("my.file") == b"content"
        assert files.exists("my.file")
        assert "my.file" in files
        assert "other" not in files
        assert 42 not in files
        with files.open("my.file") as f:
            assert f.read() == "content"
        with files.open("new.txt", "wb") as f:
            f.write(b"streamed")
        assert files.read("new.txt") == b"streamed"
        files.delete("my.file")
        assert not files.exists("my.file")
        with pytest.raises(fs.FileNotFound):
            files.read("my.file")
        with pytest.raises(fs.FileNotFound):
            files.open("my.file", "r")


def test_list_files_with_prefix(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        for name in ("a/1.txt", "a/b/2.txt", "ab.txt"):
            files.write(name, b"x")
        assert sorted(files.list_files()) == ["a/1.txt", "a/b/2.txt", "ab.txt"]
        assert sorted(files.list_files("a")) == ["a/1.txt", "a/b/2.txt"]
        assert sorted(files.list_files("/a/")) == ["a/1.txt", "a/b/2.txt"]
        with pytest.raises(fs.InvalidFilename):
            list(files.list_files("../"))


def test_copy_and_move(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        files.write("a.txt", b"x")
        assert files.copy("a.txt", "b.txt") == "b.txt"
        with pytest.raises(fs.FileExists):
            files.copy("a.txt", "b.txt")
        assert files.move("b.txt", "c/d.txt") == "c/d.txt"
        assert sorted(files.list_files()) == ["a.txt", "c/d.txt"]
        with pytest.raises(fs.InvalidFilename):
            files.copy("a.txt", "../x.txt")


def test_metadata_adds_filename_and_url(make_app):
    files = fs.Storage("files")
    app = make_app(files, SERVER_NAME="example.test")
    with app.app_context():
        files.write("dir/report.pdf", b"%PDF")
        meta = files.metadata("dir/report.pdf")
        assert meta["filename"] == "report.pdf"
        assert meta["url"] == "http://example.test/files/dir/report.pdf"
        assert meta["mime"] == "application/pdf"
        assert meta["size"] == 4


def test_path_needs_a_backend_with_local_files(make_app):
    files = fs.Storage("files")
    with make_app(files).app_context():
        with pytest.raises(OperationNotSupported, match="MemoryBackend"):
            files.path("a.txt")
        with pytest.raises(fs.InvalidFilename):
            files.path("../../etc/passwd")


# -- processors and signals -------------------------------------------------------------------


def test_after_save_and_after_delete_hooks(make_app, fs_register_plugin):
    class Thumbnailer:
        @fs.hookimpl
        def after_save(self, storage, filename):
            storage.write(filename + ".thumb", b"derived", overwrite=True)

        @fs.hookimpl
        def after_delete(self, storage, filename):
            storage.backend.delete(filename + ".thumb")

    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    fs_register_plugin(app, Thumbnailer())
    with app.app_context():
        files.save(upload(b"img", "a.png"))
        # the derived file was written without re-triggering the processor
        assert sorted(files.list_files()) == ["a.png", "a.png.thumb"]
        files.delete("a.png")
        assert list(files.list_files()) == []


def test_failing_processor_removes_the_file(make_app, fs_register_plugin):
    deleted = []

    class Broken:
        @fs.hookimpl
        def after_save(self, storage, filename):
            storage.write(filename + ".part", b"half done")
            raise RuntimeError("decoder crashed")

        @fs.hookimpl
        def after_delete(self, storage, filename):
            deleted.append(filename)
            storage.backend.delete(filename + ".part")

    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    fs_register_plugin(app, Broken())
    with app.app_context():
        with pytest.raises(ProcessingError, match="decoder crashed"):
            files.save(upload(b"x", "a.png"))
        assert list(files.list_files()) == []
        assert deleted == ["a.png"]


class _FailsOnBadContent:
    """A processor like fs-images: it derives ``name.thumb`` and refuses content ``b"bad"``."""

    def __init__(self, announces: bool = True) -> None:
        self.announces = announces
        self.deleted: list[str] = []
        self.seen_during_processing: list[list[str]] = []

    @fs.hookimpl
    def will_process(self, storage, filename):
        return self.announces and filename.endswith(".png")

    @fs.hookimpl
    def after_save(self, storage, filename):
        self.seen_during_processing.append(sorted(storage.backend.list_files()))
        if storage.read(filename) == b"bad":
            raise fs.UnauthorizedFileType(f"{filename} is not an image")
        storage.write(filename + ".thumb", b"thumb of " + storage.read(filename), overwrite=True)

    @fs.hookimpl
    def after_delete(self, storage, filename):
        self.deleted.append(filename)
        storage.backend.delete(filename + ".thumb")


@pytest.mark.parametrize("how", ["save", "write"])
def test_failing_processor_on_an_overwrite_puts_the_previous_file_back(make_app, fs_register_plugin, how):
    processor = _FailsOnBadContent()
    files = fs.Storage("files", fs.ALL, overwrite=True)
    app = make_app(files)
    fs_register_plugin(app, processor)
    with app.app_context():
        files.save(upload(b"good", "d/a.png"), "d/a.png")
        assert files.read("d/a.png.thumb") == b"thumb of good"
        with pytest.raises(fs.UnauthorizedFileType, match="not an image"):
            if how == "save":
                files.save(upload(b"bad", "a.png"), "d/a.png")
            else:
                files.write("d/a.png", b"bad", overwrite=True)
        assert files.read("d/a.png") == b"good"
        assert sorted(files.list_files()) == ["d/a.png", "d/a.png.thumb"]  # nothing left aside
        assert files.read("d/a.png.thumb") == b"thumb of good"
        assert processor.deleted == []  # what was derived from the old file stays
        # the copy set aside existed while processing ran, next to the file
        during = processor.seen_during_processing[-1]
        assert [n for n in during if n.startswith("d/.fs-previous-")], during
        # and a good overwrite replaces both, leaving nothing aside either
        files.write("d/a.png", b"better", overwrite=True)
        assert sorted(files.list_files()) == ["d/a.png", "d/a.png.thumb"]
        assert files.read("d/a.png.thumb") == b"thumb of better"


def _flaky_app(make_app, fs_register_plugin, fail_on: str):
    """``files`` (overwriting, processed by :class:`_FailsOnBadContent`) on a memory backend
    whose ``fail_on`` ('copy back' or 'delete') fails for the copy set aside."""
    from fs_core.memory import MemoryBackend

    class Flaky(MemoryBackend):
        def copy(self, filename, target, overwrite=False):
            if fail_on == "copy back" and filename.rpartition("/")[2].startswith(".fs-previous-"):
                raise fs.BackendError("service down")
            return super().copy(filename, target, overwrite=overwrite)

        def delete(self, filename):
            if fail_on == "delete" and filename.startswith(".fs-previous-"):
                raise fs.BackendError("service down")
            return super().delete(filename)

    class Plugin:
        @fs.hookimpl
        def register_backends(self, register):
            register("flaky", Flaky)

    files = fs.Storage("files", fs.ALL, overwrite=True)
    app = make_app(FILES_FS_BACKEND="flaky")
    fs_register_plugin(app, Plugin())
    fs_register_plugin(app, _FailsOnBadContent())
    fs.init_app(app, files)
    return app, files


def test_a_put_back_whose_cleanup_fails_keeps_the_restored_file(make_app, fs_register_plugin, caplog):
    app, files = _flaky_app(make_app, fs_register_plugin, "delete")
    with app.app_context():
        files.write("a.png", b"good")
        with pytest.raises(fs.UnauthorizedFileType):
            files.write("a.png", b"bad")
        assert files.read("a.png") == b"good"
        assert files.read("a.png.thumb") == b"thumb of good"
        assert list(files.list_files()) == ["a.png", "a.png.thumb"]  # the stray copy is never listed
        (stray,) = [n for n in files.backend.list_files() if n.startswith(".fs-previous-")]
        assert f"could not delete {stray!r}" in caplog.text


def test_a_failed_put_back_says_where_the_previous_file_is(make_app, fs_register_plugin):
    app, files = _flaky_app(make_app, fs_register_plugin, "copy back")
    with app.app_context():
        files.write("a.png", b"good")
        with pytest.raises(
            ProcessingError, match=r"putting back .*service down.*kept as '\.fs-previous-"
        ) as info:
            files.write("a.png", b"bad")
        kept = re.search(r"kept as '([^']+)'", str(info.value)).group(1)
        assert files.backend.read(kept) == b"good"
        with pytest.raises(fs.InvalidFilename, match="reserved"):
            files.read(kept)
        assert files.read("a.png.thumb") == b"thumb of good"  # not removed with the failed file


def test_an_interrupted_processor_puts_the_previous_file_back(make_app, fs_register_plugin):
    class Interrupted(_FailsOnBadContent):
        @fs.hookimpl
        def after_save(self, storage, filename):
            if storage.read(filename) == b"bad":
                raise KeyboardInterrupt

    files = fs.Storage("files", fs.ALL, overwrite=True)
    app = make_app(files)
    fs_register_plugin(app, Interrupted())
    with app.app_context():
        files.write("a.png", b"good")
        with pytest.raises(KeyboardInterrupt):
            files.write("a.png", b"bad")
        assert sorted(files.list_files()) == ["a.png"]
        assert files.read("a.png") == b"good"


def test_nothing_is_set_aside_unless_a_processor_will_work_on_the_file(make_app, fs_register_plugin):
    processor = _FailsOnBadContent(announces=False)
    files = fs.Storage("files", fs.ALL, overwrite=True)
    app = make_app(files)
    fs_register_plugin(app, processor)
    with app.app_context():
        files.write("a.txt", b"one")
        files.write("a.txt", b"two", overwrite=True)
        assert processor.seen_during_processing[-1] == ["a.txt", "a.txt.thumb"]  # no copy was made
        files.write("a.png", b"good")
        with pytest.raises(fs.UnauthorizedFileType):
            files.write("a.png", b"bad", overwrite=True)
        # a processor that does not announce itself gets the old behaviour: the file is removed
        assert sorted(files.list_files()) == ["a.txt", "a.txt.thumb"]
        assert processor.deleted == ["a.png"]


def test_a_failed_store_discards_the_copy_set_aside(make_app, fs_register_plugin):
    files = fs.Storage("files", fs.ALL, overwrite=True)
    app = make_app(files, FS_MAX_SIZE=5)
    fs_register_plugin(app, _FailsOnBadContent())
    with app.app_context():
        files.write("a.png", b"good")
        with pytest.raises(fs.FileTooLarge):
            files.save(upload(b"far too large", "a.png"), "a.png")
        assert sorted(files.list_files()) == ["a.png", "a.png.thumb"]
        assert files.read("a.png") == b"good"


class _DerivesThumbs:
    """A processor that keeps ``name.thumb`` next to each file, through copies and moves."""

    def __init__(self) -> None:
        self.copies: list[tuple[str, str]] = []
        self.refuse: str | None = None

    @fs.hookimpl
    def after_save(self, storage, filename):
        storage.write(filename + ".thumb", b"thumb of " + storage.read(filename), overwrite=True)

    @fs.hookimpl
    def after_copy(self, storage, source, target):
        self.copies.append((source, target))
        if target == self.refuse:
            raise RuntimeError("cannot derive there")
        # a processor's own copy runs no hooks again
        storage.copy(source + ".thumb", target + ".thumb", overwrite=True)

    @fs.hookimpl
    def after_delete(self, storage, filename):
        storage.backend.delete(filename + ".thumb")


@pytest.fixture
def thumbs_storage(make_app, fs_register_plugin):
    """``(files, processor)`` in an app context, ``processor`` a :class:`_DerivesThumbs`."""
    processor = _DerivesThumbs()
    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    fs_register_plugin(app, processor)
    with app.app_context():
        yield files, processor


@pytest.mark.parametrize("move", [False, True])
def test_what_processors_derived_follows_a_copy_or_a_move(thumbs_storage, move):
    files, processor = thumbs_storage
    files.write("a.png", b"A")
    relocate = files.move if move else files.copy
    assert relocate("a.png", "d/b.png") == "d/b.png"
    expected = ["d/b.png", "d/b.png.thumb"] + ([] if move else ["a.png", "a.png.thumb"])
    assert sorted(files.list_files()) == sorted(expected)
    assert files.read("d/b.png.thumb") == b"thumb of A"
    assert processor.copies == [("a.png", "d/b.png")]


@pytest.mark.parametrize("move", [False, True])
def test_a_failed_processor_after_a_move_keeps_the_file_and_what_was_derived(thumbs_storage, move):
    files, processor = thumbs_storage
    processor.refuse = "b.png"
    files.write("a.png", b"A")
    verb = "moved" if move else "copied"
    with pytest.raises(ProcessingError, match=f"'a.png' was {verb} to 'b.png'.*cannot derive there"):
        (files.move if move else files.copy)("a.png", "b.png")
    # the file is where it was put, and the source's thumbnail was not deleted
    assert files.read("b.png") == b"A"
    assert files.read("a.png.thumb") == b"thumb of A"
    assert files.exists("a.png") is not move


@pytest.mark.parametrize("overwrite", [False, True])
def test_moving_a_file_onto_itself_keeps_what_was_derived(thumbs_storage, overwrite):
    files, processor = thumbs_storage
    files.write("a.png", b"A")
    try:
        files.move("a.png", "a.png", overwrite=overwrite)
    except fs.FileExists:
        assert not overwrite  # a backend may refuse it as a create over an existing file
    assert sorted(files.list_files()) == ["a.png", "a.png.thumb"]
    assert processor.copies == []


def test_processor_refusal_keeps_its_error_type(make_app, fs_register_plugin):
    class Refuser:
        @fs.hookimpl
        def after_save(self, storage, filename):
            raise fs.UnauthorizedFileType("not really an image")

    files = fs.Storage("files")
    app = make_app(files)
    fs_register_plugin(app, Refuser())
    with app.app_context(), pytest.raises(fs.UnauthorizedFileType, match="not really"):
        files.write("a.png", b"x")
    with app.app_context():
        assert not files.exists("a.png")


def test_signals_are_sent(make_app):
    files, other = fs.Storage("files"), fs.Storage("other")
    app = make_app(files, other)
    events = []
    with (
        fs.file_uploaded.connected_to(
            lambda s, filename: events.append(("up", s.name, filename)), sender=files
        ),
        fs.file_deleted.connected_to(lambda s, filename: events.append(("del", s.name, filename))),
        fs.before_display.connected_to(lambda s, filename: events.append(("show", s.name, filename))),
    ):
        with app.app_context():
            files.save(upload(b"x", "a.txt"))
            other.write("ignored.txt", b"x")  # the uploaded listener is for `files` only
            files.write("b.txt", b"y")
        app.test_client().get("/files/a.txt")
        with app.app_context():
            files.delete("a.txt")
    assert events == [
        ("up", "files", "a.txt"),
        ("up", "files", "b.txt"),
        ("show", "files", "a.txt"),
        ("del", "files", "a.txt"),
    ]


# -- legacy Flask-FS backends ------------------------------------------------------------------


class LegacyBackend(fs.BaseBackend):
    """A Flask-FS style backend: only the methods Flask-FS's BaseBackend made abstract."""

    store: dict = {}

    def exists(self, filename):
        return filename in self.store

    def open(self, filename, mode="r", **kwargs):
        if filename not in self.store:
            raise fs.FileNotFound(filename)
        return io.BytesIO(self.store[filename])

    def read(self, filename):
        return self.store[filename]

    def write(self, filename, content):
        self.store[filename] = self.as_binary(content)

    def delete(self, filename):
        self.store.pop(filename, None)

    def list_files(self):
        return iter(self.store)

    def get_metadata(self, filename):
        return {"checksum": "none:0", "size": len(self.store[filename]), "mime": None, "modified": None}


def test_legacy_backend_works_through_storage(make_app, fs_register_plugin):
    class Legacy:
        @fs.hookimpl
        def register_backends(self, register):
            register("legacy", LegacyBackend)

    LegacyBackend.store = {}
    files = fs.Storage("files")
    app = make_app(FILES_FS_BACKEND="legacy")
    fs_register_plugin(app, Legacy())
    fs.init_app(app, files)
    with app.app_context():
        assert files.save(upload(b"saved", "a.txt")) == "a.txt"
        files.write("b/c.txt", b"written")
        with pytest.raises(fs.FileExists):
            files.write("b/c.txt", b"again")
        assert files.read("a.txt") == b"saved"
        assert sorted(files.list_files("b")) == ["b/c.txt"]
        assert files.metadata("a.txt")["mime"] == "text/plain"


def test_open_for_writing_takes_text_options(make_app):
    """csv wants open(..., 'w', newline=''); the text options go to the text layer."""
    import csv

    files = fs.Storage("files")
    with make_app(files).app_context():
        with files.open("table.csv", "w", newline="", encoding="latin-1") as f:
            csv.writer(f).writerow(["café", "b"])
        assert files.read("table.csv") == "café,b\r\n".encode("latin-1")
        with files.open("table.csv", "r", newline="", encoding="latin-1") as f:
            assert list(csv.reader(f)) == [["café", "b"]]


def test_missing_and_existing_files_say_so_in_a_sentence(make_app):
    files = fs.Storage("files")
    app = make_app(files)
    with app.app_context():
        files.write("users/42/me.txt", b"x")
        with pytest.raises(fs.FileExists) as exists:
            files.write("users/42/me.txt", b"y")
        assert str(exists.value) == "A file named 'users/42/me.txt' exists already"
        assert exists.value.filename == "users/42/me.txt"
        with pytest.raises(fs.FileNotFound) as missing:
            files.read("users/42/you.txt")
        assert str(missing.value) == "No file named 'users/42/you.txt'"
        assert missing.value.filename == "users/42/you.txt"
