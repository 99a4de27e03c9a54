"""Paths the rest of the suite never ran (found by branch coverage): misuse that must fail
clearly, streams that lack a method, naive dates from a backend, and the text of reprs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from flask import Flask

import fs_core
from fs_core import BaseBackend, Config, streams
from fs_core.backend import ATOMIC_CREATE
from fs_core.memory import MemoryBackend
from fs_core.naming import conflict_names
from fs_core.serving import LazyStream
from fs_core.state import get_state


class _ReadOnly:
    """A file-like object with ``read`` only (a socket wrapper, a generator adapter)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def close(self) -> None:
        self._data.close()


class _Broken:
    """A stream whose methods fail as closed or odd streams do."""

    def seekable(self) -> bool:
        raise ValueError("I/O operation on closed file")

    def tell(self) -> int:
        raise OSError("tell")

    def seek(self, offset: int, whence: int = 0) -> int:
        raise OSError("seek")


def test_copy_stream_reads_a_stream_without_readinto_in_chunks():
    chunks: list[bytes] = []
    copied = streams.copy_stream(_ReadOnly(b"abcdefg"), chunks.append, chunk_size=3)
    assert copied == 7
    assert chunks == [b"abc", b"def", b"g"]


def test_odd_streams_can_neither_seek_nor_tell_their_size():
    assert streams.is_seekable(_Broken()) is False
    assert streams.is_seekable(object()) is False
    assert streams.position(_Broken()) is None
    assert streams.position(_ReadOnly(b"")) is None

    class SeeksThenFails(io.BytesIO):
        def seek(self, offset: int, whence: int = 0) -> int:
            raise OSError("no seeking today")

    assert streams.remaining(SeeksThenFails(b"abc")) is None
    assert streams.remaining(io.BytesIO(b"abc")) == 3


def test_readers_over_a_stream_without_readinto():
    limited = streams.LimitedReader(_ReadOnly(b"12345"), limit=10)
    assert limited.readable()
    assert limited.read() == b"12345"
    assert limited.count == 5
    with pytest.raises(io.UnsupportedOperation):
        limited.tell()  # the source cannot tell: neither can the reader
    with pytest.raises(io.UnsupportedOperation):
        limited.seek(0)
    with pytest.raises(fs_core.FileTooLarge):
        streams.LimitedReader(_ReadOnly(b"x" * 11), limit=10).read()


def test_a_text_stream_is_stored_as_encoded_bytes():
    stream = streams.as_stream(io.StringIO("café"), encoding="utf-8")
    assert stream.readable()
    assert stream.read() == "café".encode()


def test_an_atomic_writer_refuses_writes_once_closed():
    written: list[bytes] = []
    writer = streams.SpoolingWriter(lambda spool: written.append(spool.read()))
    writer.write(b"data")
    writer.close()
    assert written == [b"data"]
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"late")


def test_lazy_stream_opens_on_first_use_and_reads_into_buffers():
    opened: list[int] = []

    def opener():
        opened.append(1)
        return io.BytesIO(b"0123456789")

    lazy = LazyStream(opener)
    assert lazy.readable()
    assert opened == []
    with io.BufferedReader(lazy, buffer_size=4) as buffered:
        assert buffered.read() == b"0123456789"  # through readinto
    assert opened == [1]

    with LazyStream(lambda: _ReadOnly(b"abc")) as without_readinto:
        buffer = bytearray(8)
        assert without_readinto.readinto(buffer) == 3
        assert bytes(buffer[:3]) == b"abc"


def test_base_backend_names_the_primitive_a_subclass_lacks():
    class Partial(BaseBackend):
        pass

    backend = Partial("files")
    for call, name in [
        (lambda: backend.exists("a"), "exists"),
        (lambda: backend.open_read("a"), "open_read"),
        (lambda: backend.save(io.BytesIO(b""), "a"), "save"),
        (lambda: backend.delete("a"), "delete"),
        (lambda: backend.list_files(), "list_files"),
        (lambda: backend.get_metadata("a"), "get_metadata"),
    ]:
        with pytest.raises(NotImplementedError, match=f"Partial does not implement {name}"):
            call()
    with pytest.raises(fs_core.OperationNotSupported, match="reports no leftovers"):
        backend.remove_leftover(fs_core.Leftover("temporary file x", dt.datetime.now(dt.timezone.utc)))
    assert repr(backend) == "<Partial 'files'>"
    assert backend.as_binary("é") == "é".encode()
    assert backend.as_binary(b"b") == b"b"


def test_open_refuses_unknown_modes():
    backend = MemoryBackend("files")
    with pytest.raises(ValueError, match="Unsupported mode 'a'"):
        backend.open("a.txt", "a")


def test_a_naive_modified_date_from_a_backend_is_taken_as_utc():
    class NaiveDates(MemoryBackend):
        def get_metadata(self, filename):
            meta = super().get_metadata(filename)
            meta["modified"] = dt.datetime(2024, 1, 2, 3, 4, 5)  # no tzinfo, as some services give
            return meta

    backend = NaiveDates("files")
    backend.write("a.txt", b"x")
    assert backend.metadata("a.txt")["modified"] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def test_reprs_say_what_they_are():
    assert repr(fs_core.Storage("avatars")) == "<Storage 'avatars'>"
    assert repr(fs_core.ALL) == "ALL"
    assert repr(fs_core.NONE) == "NONE"
    assert repr(fs_core.AllExcept(["exe", "bat"])) == "AllExcept(['bat', 'exe'])"


def test_config_attributes():
    config = Config(root="/srv")
    assert config.root == "/srv"
    del config.root
    with pytest.raises(AttributeError, match="Unknown attribute: root"):
        del config.root
    with pytest.raises(AttributeError):
        config.root  # noqa: B018


def test_a_name_without_extension_gets_its_suffix_at_the_end():
    assert list(conflict_names(".env", limit=3)) == [".env_1", ".env_2"]
    assert list(conflict_names("README", limit=2)) == ["README_1"]


def test_marked_names_keep_the_extension_and_stay_within_a_segment():
    from fs_core.naming import MAX_SEGMENT_BYTES, marked

    assert marked("photo.jpg", "-64") == "photo-64.jpg"
    assert marked("é" * 127 + ".txt", "_1") == "é" * 124 + "_1.txt"  # cut at a character
    long_ext = "b." + "t" * 253  # 255 bytes, the last 253 after the dot
    assert marked(long_ext, "_1") == long_ext[:253] + "_1"
    assert marked("b." + "t" * 250, "_1") == "b_1." + "t" * 250  # still fits: kept
    for name in ("é" * 127 + ".txt", long_ext, "a" * 255, "." + "e" * 254):
        assert len(marked(name, "_abcdefghijk").encode()) <= MAX_SEGMENT_BYTES


def test_misuse_outside_an_app_says_how_to_fix_it():
    app = Flask("bare")
    with pytest.raises(RuntimeError, match="needs an application context"):
        fs_core.by_name("files")
    with pytest.raises(fs_core.NotConfigured, match=r"init_app\(app\) was never called"):
        get_state(app)
    storage = fs_core.Storage("files")
    with app.app_context(), pytest.raises(fs_core.NotConfigured, match=r"fs_core\.init_app"):
        storage.read("a.txt")


def test_plugins_can_only_be_given_to_the_first_init_app(make_app):
    app = make_app()
    with pytest.raises(fs_core.ConfigurationError, match="pass plugins= to its first init_app"):
        fs_core.init_app(app, plugins=[object()])


def test_a_malformed_inline_types_setting_is_refused_when_the_app_starts(make_app):
    files = fs_core.Storage("files", fs_core.ALL)
    with pytest.raises(
        fs_core.ConfigurationError, match="INLINE_TYPES must be a list of content types, not 42"
    ):
        make_app(files, FILES_FS_INLINE_TYPES=42)


def test_an_unknown_hash_algorithm_is_refused(make_app):
    blobs = fs_core.Storage("blobs", fs_core.ALL)
    make_app(blobs, BLOBS_FS_NAMING="hash", BLOBS_FS_HASH_ALGORITHM="md17")
    with pytest.raises(fs_core.ConfigurationError, match="'md17' is not a hashlib algorithm"):
        blobs.save(io.BytesIO(b"x"), "a.txt")


def test_a_backend_without_signed_urls_signs_only_gets(make_app):
    files = fs_core.Storage("files", fs_core.ALL)
    app = make_app(files, SERVER_NAME="example.com")
    files.write("a.txt", b"x")
    with app.app_context():
        assert files.private is False
        assert files.signed_url("a.txt").startswith("http://example.com/files/a.txt?")
        with pytest.raises(fs_core.OperationNotSupported, match="cannot sign PUT URLs"):
            files.signed_url("a.txt", method="PUT")


def test_storage_file_allowed_applies_deny_and_the_hooks_for_an_override(make_app, fs_register_plugin):
    """An application's override of Storage.file_allowed that calls super() gets the core's
    answer: the plugins' file_allowed hooks are asked, and DENY refuses (a save checks DENY
    before it asks the override; a direct call gets the same answer)."""
    asked: list[str] = []

    class Audited(fs_core.Storage):
        def file_allowed(self, storage, basename):
            asked.append(basename)
            return super().file_allowed(storage, basename)

    class NoTmp:
        @fs_core.hookimpl
        def file_allowed(self, filename):
            return False if filename.endswith(".tmp") else None

    docs = Audited("docs", fs_core.ALL)
    app = make_app(docs, DOCS_FS_DENY=["exe"])
    fs_register_plugin(app, NoTmp())
    assert docs.save(io.BytesIO(b"x"), "a.txt") == "a.txt"
    for refused in ("tool.exe", "cache.tmp"):
        with pytest.raises(fs_core.UnauthorizedFileType):
            docs.save(io.BytesIO(b"x"), refused)
    assert asked == ["a.txt", "cache.tmp"]
    with app.app_context():
        assert docs.file_allowed(io.BytesIO(b"x"), "tool.exe") is False
        assert docs.file_allowed(io.BytesIO(b"x"), "cache.tmp") is False
        assert docs.file_allowed(io.BytesIO(b"x"), "b.txt") is True


def test_the_memory_backend_refuses_a_create_over_a_file_another_writer_stored():
    class Racing(MemoryBackend):
        capabilities = frozenset({ATOMIC_CREATE})

        def exists(self, filename):
            return False  # another writer stores the name after this check

    backend = Racing("files")
    backend.save(io.BytesIO(b"first"), "a.txt")
    with pytest.raises(fs_core.FileExists):
        backend.save(io.BytesIO(b"second"), "a.txt")
    assert backend.read("a.txt") == b"first"
