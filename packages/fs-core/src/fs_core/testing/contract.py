"""The backend contract suite: the rules every fs backend follows, as pytest tests.

A backend package gets the whole suite by subclassing :class:`BackendContract` and providing
one fixture, ``fs_backend``, that returns a fresh, empty backend::

    from fs_core.testing import BackendContract

    class TestMyBackend(BackendContract):
        @pytest.fixture
        def fs_backend(self, tmp_path):
            return MyBackend("contract", Config(root=str(tmp_path)))

Optional fixtures tune it: ``fs_large_file_size`` (bytes streamed by the bounded-memory
test, 64 MiB by default) and ``fs_memory_budget`` (the Python allocations allowed while
streaming it, 32 MiB). Tests that depend on a capability (``ATOMIC_CREATE``) read it from
the backend's ``capabilities``.

A backend that talks to a service (a disk, a server) also subclasses
:class:`ServiceFailureContract` and provides ``fs_unavailable_backend``, a backend whose
service is down or unusable (a closed port, an unusable root): every operation must then
fail with a :class:`~fs_core.errors.BackendError` carrying the service's exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from .. import init_app
from ..backend import ATOMIC_CREATE, BaseBackend
from ..errors import BackendError, FileExists, FileNotFound, FSError, InvalidFilename
from ..files import ALL
from ..leftovers import Leftover
from ..storage import Storage
from .names import NameSafetyContract, name_of_length
from .streams import ClientWentAway, FailingStream, PatternStream

__all__ = ["BackendContract", "ServiceFailureContract"]

UNICODE_NAMES = [
    "файл.txt",
    "日本語/ファイル 名.txt",
    "emoji-😀.txt",
    "spaces and %20 + plus.txt",
    "quote\"and'apostrophe;semi.txt",
    "Ünïcödé/Ñandú.TXT",
]


def _save(backend: BaseBackend, name: str, data: bytes, **kwargs: Any) -> str:
    return backend.save(io.BytesIO(data), name, **kwargs)


def _names(backend: BaseBackend, prefix: str | None = None) -> set[str]:
    return set(backend.list_files(prefix) if prefix else backend.list_files())


class BackendContract(NameSafetyContract):
    """Subclass this and provide an ``fs_backend`` fixture to test a backend."""

    # -- fixtures a backend may override ----------------------------------------------------

    @pytest.fixture
    def fs_backend(self) -> BaseBackend:  # pragma: no cover - must be overridden
        raise NotImplementedError("Provide an fs_backend fixture returning an empty backend")

    @pytest.fixture
    def fs_large_file_size(self) -> int:
        return 64 << 20

    @pytest.fixture
    def fs_memory_budget(self) -> int:
        return 32 << 20

    @pytest.fixture
    def backend(self, fs_backend: BaseBackend) -> BaseBackend:
        assert _names(fs_backend) == set(), "fs_backend must start empty"
        return fs_backend

    @pytest.fixture
    def storage(self, backend: BaseBackend) -> Iterator[Storage]:
        """A storage on the backend, inside a Flask app with the ``fs`` blueprint."""
        app = Flask("fs_contract")
        # No installed plugin but fs-core's: another one, broken or not, must not reach the suite.
        app.config.update(SECRET_KEY="contract", SERVER_NAME="contract.test", FS_PLUGINS=[])
        init_app(app)
        storage = Storage(backend.name, ALL)
        storage._bind(app, backend)
        with app.app_context():
            yield storage

    @pytest.fixture
    def client(self, storage: Storage) -> Any:
        from flask import current_app

        return current_app.test_client()

    # -- reading and writing ------------------------------------------------------------------

    def test_save_then_read(self, backend: BaseBackend) -> None:
        assert _save(backend, "a/b/c.txt", b"hello") == "a/b/c.txt"
        assert backend.read("a/b/c.txt") == b"hello"
        assert backend.exists("a/b/c.txt")
        assert not backend.exists("a/b/other.txt")

    def test_folders_are_not_files(self, backend: BaseBackend) -> None:
        _save(backend, "dir/file.txt", b"x")
        assert not backend.exists("dir")
        with pytest.raises(FileNotFound):
            backend.read("dir")

    def test_save_reads_from_current_position(self, backend: BaseBackend) -> None:
        stream = io.BytesIO(b"skipped|kept")
        stream.seek(8)
        backend.save(stream, "pos.txt")
        assert backend.read("pos.txt") == b"kept"

    def test_write_accepts_bytes_and_text(self, backend: BaseBackend) -> None:
        backend.write("bytes.bin", b"\x00\x01\xff")
        backend.write("text.txt", "héllo")
        assert backend.read("bytes.bin") == b"\x00\x01\xff"
        assert backend.read("text.txt") == "héllo".encode()

    def test_open_read_binary_and_text(self, backend: BaseBackend) -> None:
        _save(backend, "t.txt", b"ligne 1\nligne 2")
        with backend.open("t.txt", "rb") as f:
            assert f.read(5) == b"ligne"
        with backend.open("t.txt", "r") as f:
            assert f.readlines() == ["ligne 1\n", "ligne 2"]

    def test_missing_file_errors(self, backend: BaseBackend) -> None:
        for call in (
            lambda: backend.read("missing.txt"),
            lambda: backend.open("missing.txt", "rb"),
            lambda: backend.metadata("missing.txt"),
            lambda: backend.copy("missing.txt", "copy.txt"),
            lambda: backend.move("missing.txt", "moved.txt"),
        ):
            with pytest.raises(FileNotFound):
                call()
        assert _names(backend) == set()

    def test_empty_file(self, backend: BaseBackend, client: Any) -> None:
        _save(backend, "empty.txt", b"")
        assert backend.exists("empty.txt")
        assert backend.read("empty.txt") == b""
        assert backend.metadata("empty.txt")["size"] == 0
        response = client.get(f"/{backend.name}/empty.txt")
        assert response.status_code == 200
        assert response.data == b""

    @pytest.mark.parametrize("name", UNICODE_NAMES)
    def test_unicode_and_odd_names(
        self, backend: BaseBackend, client: Any, storage: Storage, name: str
    ) -> None:
        data = name.encode()
        _save(backend, name, data)
        assert backend.read(name) == data
        assert name in _names(backend)
        response = client.get(storage.url(name))
        assert response.status_code == 200
        assert response.data == data
        disposition = response.headers["Content-Disposition"]
        assert "\n" not in disposition
        assert "\r" not in disposition

    # -- create-only, overwrite, atomicity -------------------------------------------------------

    def test_create_only_refuses_existing(self, backend: BaseBackend) -> None:
        _save(backend, "once.txt", b"first")
        with pytest.raises(FileExists):
            _save(backend, "once.txt", b"second")
        assert backend.read("once.txt") == b"first"

    def test_overwrite_replaces(self, backend: BaseBackend) -> None:
        _save(backend, "twice.txt", b"first version, longer")
        _save(backend, "twice.txt", b"second", overwrite=True)
        assert backend.read("twice.txt") == b"second"
        assert backend.metadata("twice.txt")["size"] == 6

    def test_concurrent_creators(self, backend: BaseBackend) -> None:
        """With ATOMIC_CREATE exactly one of concurrent creators wins; without it at least
        one does, and the file is one writer's whole content, never a mix."""
        writers = 8
        for round_ in range(3):
            name = f"race/{round_}.bin"
            barrier = threading.Barrier(writers)
            results: list[Any] = [None] * writers

            def create(
                i: int, name: str = name, barrier: threading.Barrier = barrier, results: list[Any] = results
            ) -> None:
                payload = f"writer {i};".encode() * 4096
                barrier.wait()
                try:
                    _save(backend, name, payload)
                    results[i] = "won"
                except FileExists:
                    results[i] = "lost"
                except Exception as exc:  # pragma: no cover - reported below
                    results[i] = exc

            threads = [threading.Thread(target=create, args=(i,)) for i in range(writers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert all(r in ("won", "lost") for r in results), results
            winners = [i for i, r in enumerate(results) if r == "won"]
            content = backend.read(name)
            if ATOMIC_CREATE in backend.capabilities:
                assert len(winners) == 1, results
                assert content == f"writer {winners[0]};".encode() * 4096
            else:
                assert winners, results
                assert content in {f"writer {i};".encode() * 4096 for i in winners}

    def test_interrupted_save_leaves_nothing(self, backend: BaseBackend) -> None:
        _save(backend, "keep.txt", b"unrelated")
        with pytest.raises((ClientWentAway, FSError)):
            backend.save(FailingStream(3 << 20), "partial.bin")
        assert not backend.exists("partial.bin")
        assert _names(backend) == {"keep.txt"}

    def test_interrupted_overwrite_keeps_previous(self, backend: BaseBackend) -> None:
        _save(backend, "doc.bin", b"previous content")
        with pytest.raises((ClientWentAway, FSError)):
            backend.save(FailingStream(3 << 20), "doc.bin", overwrite=True)
        assert backend.read("doc.bin") == b"previous content"
        assert _names(backend) == {"doc.bin"}

    def test_leftovers_are_reported_and_removable(self, backend: BaseBackend) -> None:
        """Whatever interrupted writes leave is reported as Leftover objects, none of them a
        file of the storage, and each can be removed (twice: gone already is not an error)."""
        _save(backend, "kept.txt", b"x")
        for _ in range(2):
            with pytest.raises((ClientWentAway, FSError)):
                backend.save(FailingStream(3 << 20), "partial.bin")
        found = list(backend.leftovers(0))
        assert all(isinstance(leftover, Leftover) for leftover in found), found
        assert not {leftover.name for leftover in found} & _names(backend)
        for leftover in found:
            backend.remove_leftover(leftover)
            backend.remove_leftover(leftover)
        assert list(backend.leftovers(0)) == []
        assert _names(backend) == {"kept.txt"}

    def test_open_write_is_atomic(self, backend: BaseBackend) -> None:
        _save(backend, "w.txt", b"old")
        with backend.open("w.txt", "wb") as f:
            f.write(b"new ")
            assert backend.read("w.txt") == b"old"
            f.write(b"content")
        assert backend.read("w.txt") == b"new content"

    def test_open_write_discarded_on_error(self, backend: BaseBackend) -> None:
        _save(backend, "w.txt", b"old")
        with pytest.raises(RuntimeError), backend.open("w.txt", "w") as f:
            f.write("half")
            raise RuntimeError("boom")
        with pytest.raises(RuntimeError), backend.open("fresh.txt", "wb") as f:
            f.write(b"half")
            raise RuntimeError("boom")
        assert backend.read("w.txt") == b"old"
        assert _names(backend) == {"w.txt"}

    def test_open_exclusive_mode(self, backend: BaseBackend) -> None:
        with backend.open("x.txt", "x") as f:
            f.write("created")
        with pytest.raises(FileExists), backend.open("x.txt", "xb") as f:
            f.write(b"again")
        assert backend.read("x.txt") == b"created"

    @pytest.mark.slow
    def test_large_stream_in_bounded_memory(
        self, backend: BaseBackend, fs_large_file_size: int, fs_memory_budget: int
    ) -> None:
        source = PatternStream(fs_large_file_size)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            backend.save(source, "big.bin")
            saved_peak = tracemalloc.get_traced_memory()[1] - before
            tracemalloc.reset_peak()
            hasher = hashlib.sha256()
            size = 0
            with backend.open("big.bin", "rb") as f:
                while chunk := f.read(1 << 20):
                    hasher.update(chunk)
                    size += len(chunk)
            read_peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        assert size == fs_large_file_size
        assert hasher.hexdigest() == source.digest
        assert saved_peak < fs_memory_budget, f"save held {saved_peak / 2**20:.1f} MiB"
        assert read_peak < fs_memory_budget, f"read held {read_peak / 2**20:.1f} MiB"

    # -- delete, list, copy, move ---------------------------------------------------------------

    def test_delete_file(self, backend: BaseBackend) -> None:
        _save(backend, "a.txt", b"x")
        _save(backend, "a.txt.bak", b"x")
        backend.delete("a.txt")
        assert _names(backend) == {"a.txt.bak"}

    def test_delete_folder_whole_segments(self, backend: BaseBackend) -> None:
        for name in ("a/1.txt", "a/deep/2.txt", "ab/3.txt", "a.txt", "abc"):
            _save(backend, name, b"x")
        backend.delete("a")
        assert _names(backend) == {"ab/3.txt", "a.txt", "abc"}

    def test_delete_missing_is_not_an_error(self, backend: BaseBackend) -> None:
        _save(backend, "kept.txt", b"x")
        backend.delete("nothing/here.txt")
        backend.delete("kep")
        assert _names(backend) == {"kept.txt"}

    def test_list_files_with_prefix(self, backend: BaseBackend) -> None:
        for name in ("a/1.txt", "a/b/2.txt", "ab/3.txt", "a.txt", "top.txt"):
            _save(backend, name, b"x")
        assert _names(backend) == {"a/1.txt", "a/b/2.txt", "ab/3.txt", "a.txt", "top.txt"}
        assert _names(backend, "a") == {"a/1.txt", "a/b/2.txt"}
        assert _names(backend, "a/") == {"a/1.txt", "a/b/2.txt"}
        assert _names(backend, "a/b") == {"a/b/2.txt"}
        assert _names(backend, "nothing") == set()

    def test_copy(self, backend: BaseBackend) -> None:
        _save(backend, "src.txt", b"content", content_type="text/plain")
        backend.copy("src.txt", "dir/dst.txt")
        assert backend.read("dir/dst.txt") == b"content"
        assert backend.read("src.txt") == b"content"
        _save(backend, "other.txt", b"other")
        with pytest.raises(FileExists):
            backend.copy("src.txt", "other.txt")
        assert backend.read("other.txt") == b"other"
        backend.copy("src.txt", "other.txt", overwrite=True)
        assert backend.read("other.txt") == b"content"

    def test_move(self, backend: BaseBackend) -> None:
        _save(backend, "src.txt", b"content")
        _save(backend, "taken.txt", b"taken")
        with pytest.raises(FileExists):
            backend.move("src.txt", "taken.txt")
        assert backend.read("src.txt") == b"content"
        backend.move("src.txt", "moved/dst.txt")
        assert not backend.exists("src.txt")
        assert backend.read("moved/dst.txt") == b"content"
        backend.move("moved/dst.txt", "taken.txt", overwrite=True)
        assert _names(backend) == {"taken.txt"}
        assert backend.read("taken.txt") == b"content"

    # -- metadata ---------------------------------------------------------------------------------

    def test_metadata(self, backend: BaseBackend) -> None:
        data = b"some content\n"
        before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
        _save(backend, "doc/readme.txt", data)
        meta = backend.metadata("doc/readme.txt")
        assert meta["size"] == len(data)
        assert meta["mime"] == "text/plain"
        modified = meta["modified"]
        assert isinstance(modified, dt.datetime)
        assert modified.utcoffset() == dt.timedelta(0)
        assert before <= modified <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
        checksum = meta.get("checksum")
        algorithm, _, value = checksum.partition(":") if isinstance(checksum, str) else ("", "", "")
        wanted = (
            f"get_metadata's checksum is {checksum!r}: it must be 'algo:hex' of the content, "
            f"such as 'sha256:' and hashlib's hexdigest"
        )
        assert algorithm, wanted
        assert value, wanted
        if algorithm in hashlib.algorithms_available:
            assert value == hashlib.new(algorithm, data).hexdigest()

    def test_metadata_mime_for_known_types(self, backend: BaseBackend) -> None:
        _save(backend, "p.png", b"\x89PNG\r\n\x1a\n")
        _save(backend, "d.json", b"{}")
        assert backend.metadata("p.png")["mime"] == "image/png"
        assert backend.metadata("d.json")["mime"] == "application/json"

    def test_declared_content_type_is_kept(self, backend: BaseBackend) -> None:
        _save(backend, "blob", b"%PDF-1.7", content_type="application/pdf")
        assert backend.metadata("blob")["mime"] == "application/pdf"

    # -- serving ----------------------------------------------------------------------------------

    def test_serve(self, backend: BaseBackend, storage: Storage, client: Any) -> None:
        data = bytes(range(256)) * 40
        _save(backend, "dir/data.txt", data)
        url = storage.url("dir/data.txt")
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == data
        assert response.mimetype == "text/plain"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers.get("Accept-Ranges") == "bytes"
        etag = response.headers["ETag"]
        assert response.last_modified is not None

        not_modified = client.get(url, headers={"If-None-Match": etag})
        assert not_modified.status_code == 304
        assert not_modified.data == b""
        since = client.get(url, headers={"If-Modified-Since": response.headers["Last-Modified"]})
        assert since.status_code == 304

        partial = client.get(url, headers={"Range": "bytes=10-19"})
        assert partial.status_code == 206
        assert partial.data == data[10:20]
        assert partial.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        suffix = client.get(url, headers={"Range": "bytes=-5"})
        assert suffix.status_code == 206
        assert suffix.data == data[-5:]
        unsatisfiable = client.get(url, headers={"Range": f"bytes={len(data) + 10}-"})
        assert unsatisfiable.status_code == 416
        # RFC 9110: what cannot be parsed, other units and several ranges are ignored; a
        # suffix longer than the file is the whole file.
        for ignored in ("items=0-1", "bytes=a-b", "bytes=0-1,5-9", "bytes=9-2"):
            whole = client.get(url, headers={"Range": ignored})
            assert (whole.status_code, whole.data) == (200, data), ignored
        longer = client.get(url, headers={"Range": f"bytes=-{len(data) + 1}"})
        assert (longer.status_code, longer.data) == (206, data)
        fresh = client.get(url, headers={"Range": "bytes=0-1", "If-None-Match": etag})
        assert fresh.status_code == 304

        head = client.head(url)
        assert head.status_code == 200
        assert int(head.headers["Content-Length"]) == len(data)

        # A new content gets a new validator: a cache revalidating the old one gets the file.
        _save(backend, "dir/data.txt", b"replaced content", overwrite=True)
        replaced = client.get(url, headers={"If-None-Match": etag})
        assert replaced.status_code == 200
        assert replaced.data == b"replaced content"
        assert replaced.headers["ETag"] != etag

    def test_serve_missing_is_404(self, storage: Storage, client: Any) -> None:
        assert client.get(storage.url("missing.txt")).status_code == 404

    def test_serve_active_content_as_attachment(
        self, backend: BaseBackend, storage: Storage, client: Any
    ) -> None:
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        _save(backend, "pic.svg", svg)
        _save(backend, "page.html", b"<script>alert(1)</script>")
        for name in ("pic.svg", "page.html"):
            response = client.get(storage.url(name))
            assert response.status_code == 200
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert response.headers["X-Content-Type-Options"] == "nosniff"

    @pytest.mark.parametrize(
        ("name", "declared", "sent"),
        [
            ("notes.txt", "text/plain,text/html", "text/plain"),
            ("photo.png", "image/png, text/html", "image/png"),
            ("blob", "text/html", "application/octet-stream"),
        ],
    )
    def test_declared_types_are_one_well_formed_type(
        self, backend: BaseBackend, storage: Storage, client: Any, name: str, declared: str, sent: str
    ) -> None:
        """A list of types (browsers render the last one) never reaches the service or a
        response: the core stores and sends one type, the name's."""
        upload = io.BytesIO(b"<script>document.title='pwned'</script>")
        upload.filename, upload.mimetype = name, declared  # type: ignore[attr-defined]
        storage.save(upload)
        assert backend.metadata(name)["mime"] == sent
        response = client.get(storage.url(name))
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0] == sent
        inline = sent != "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("inline" if inline else "attachment")

    def test_signed_url(self, backend: BaseBackend, storage: Storage, client: Any) -> None:
        _save(backend, "private.txt", b"secret")
        url = storage.signed_url("private.txt", expires=60)
        if url.startswith("http://contract.test/"):
            response = client.get(url)
            assert response.status_code == 200
            assert response.data == b"secret"
        else:
            with urllib.request.urlopen(url, timeout=30) as response:
                assert response.read() == b"secret"

    # -- the core in front of the backend ---------------------------------------------------------

    def test_longest_names(self, backend: BaseBackend, storage: Storage) -> None:
        """A name as long as the backend takes (:attr:`~BaseBackend.max_name_bytes`) is stored,
        copied and moved; a byte more is :class:`InvalidFilename` (the core's limit, or the
        backend's where its service caps whole keys and it adds a prefix), never the service's
        error, and nothing is stored."""
        room = backend.max_name_bytes
        longest, other = name_of_length(room), name_of_length(room, "b.txt")
        try:
            storage.write(longest, b"long")
            assert storage.copy(longest, other) == other
            assert storage.move(other, longest, overwrite=True) == longest
        except BackendError as exc:
            pytest.fail(
                f"a name of max_name_bytes ({room}) bytes was refused by the service ({exc}): if "
                f"it caps whole keys, override max_name_bytes with what its limit leaves after "
                f"the backend's prefix"
            )
        assert storage.read(longest) == b"long"
        too_long = name_of_length(room + 1)
        attempts: list[tuple[str, Callable[[], object]]] = [
            ("write", lambda: storage.write(too_long, b"x")),
            ("copy", lambda: storage.copy(longest, too_long)),
            ("move", lambda: storage.move(longest, too_long)),
        ]
        for what, call in attempts:
            try:
                call()
            except InvalidFilename:
                continue
            except BackendError as exc:
                pytest.fail(
                    f"{what} to a name of {room + 1} bytes, one more than max_name_bytes, reached "
                    f"the service ({exc}): call self.check_name_length(target) in the backend's "
                    f"save{'' if what == 'write' else f' (and in its own {what}, if it overrides it)'}"
                    f" before contacting the service"
                )
            pytest.fail(
                f"{what} stored a name of {room + 1} bytes, one more than max_name_bytes ({room}): "
                f"call self.check_name_length(target) before contacting the service, or leave "
                f"max_name_bytes alone if the service takes such names"
            )
        assert _names(backend) == {longest}
        assert storage.read(longest) == b"long"

    @pytest.mark.parametrize(
        "name", ["../escape.txt", "/etc/passwd", "a/../../b", "a\\b", "nul\x00.txt", "a//b"]
    )
    def test_core_refuses_unsafe_names(self, backend: BaseBackend, storage: Storage, name: str) -> None:
        with pytest.raises(InvalidFilename):
            storage.write(name, b"x")
        with pytest.raises(InvalidFilename):
            storage.read(name)
        assert _names(backend) == set()


class ServiceFailureContract:
    """For backends with a service: provide ``fs_unavailable_backend``, a backend whose service
    is down or unusable (a closed port, an unusable root)."""

    @pytest.fixture
    def fs_unavailable_backend(self) -> BaseBackend:  # pragma: no cover - must be overridden
        raise NotImplementedError(
            "Provide an fs_unavailable_backend fixture: a backend whose service is down"
        )

    def test_service_failures_are_backend_errors(self, fs_unavailable_backend: BaseBackend) -> None:
        """A failing service is a BackendError carrying its exception, never a client's own,
        whichever primitive meets it."""
        from werkzeug.test import EnvironBuilder

        broken = fs_unavailable_backend
        environ = EnvironBuilder(path="/contract/a.txt").get_environ()

        def write_through_open() -> None:
            with broken.open("a.txt", "wb") as f:
                f.write(b"x")

        wrong: list[str] = []
        for what, call in (
            ("save", lambda: _save(broken, "a.txt", b"x")),
            ("save (replacing)", lambda: _save(broken, "a.txt", b"x", overwrite=True)),
            ("write", lambda: broken.write("a.txt", b"x")),
            ("open for writing", write_through_open),
            ("exists", lambda: broken.exists("a.txt")),
            ("read", lambda: broken.read("a.txt")),
            ("open for reading", lambda: broken.open("a.txt", "rb").read()),
            ("metadata", lambda: broken.metadata("a.txt")),
            ("list_files", lambda: list(broken.list_files())),
            ("list_files of a folder", lambda: list(broken.list_files("a"))),
            ("delete", lambda: broken.delete("a.txt")),
            ("copy", lambda: broken.copy("a.txt", "b.txt")),
            ("move", lambda: broken.move("a.txt", "b.txt")),
            ("serve", lambda: broken.serve("a.txt", environ=environ)),
        ):
            try:
                call()
            except BackendError as exc:
                if exc.original is None:
                    wrong.append(f"{what}: a BackendError without the service's exception")
            except Exception as exc:
                wrong.append(
                    f"{what}: raised {type(exc).__name__}: {exc} (wrap a service's failure in "
                    f"fs_core.BackendError(message, original))"
                )
            else:
                wrong.append(f"{what}: no BackendError although the service is unusable")
        assert not wrong, wrong
