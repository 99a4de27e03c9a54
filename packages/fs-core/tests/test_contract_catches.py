"""The contract suite fails a backend that breaks the contract, and says how: each test below
runs a part of ``fs_core.testing`` against a backend broken on purpose (the suite's passing
runs on the real backends cannot show that its checks can fail)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from flask import Flask
from hypothesis import settings

import fs_core
from fs_core.memory import MemoryBackend
from fs_core.testing import BackendContract, FailingStream, PatternStream, ServiceFailureContract
from fs_core.testing.names import NameSafetyContract, exercise


class _Unusable(MemoryBackend):
    """Every operation fails as ``failure()`` says."""

    def __init__(self, name, failure):
        super().__init__(name)
        self._failure = failure

    def __getattribute__(self, name):
        if name in {"exists", "open_read", "save", "delete", "list_files", "get_metadata", "serve"}:
            failure = object.__getattribute__(self, "_failure")

            def fail(*args, **kwargs):
                raise failure()

            return fail
        return object.__getattribute__(self, name)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (lambda: ConnectionRefusedError("port closed"), "raised ConnectionRefusedError: port closed (wrap"),
        (lambda: fs_core.BackendError("down"), "a BackendError without the service's exception"),
    ],
)
def test_service_failures_must_be_backend_errors_carrying_the_cause(failure, expected):
    with pytest.raises(AssertionError) as caught:
        ServiceFailureContract().test_service_failures_are_backend_errors(_Unusable("files", failure))
    assert f"read: {expected}" in str(caught.value)


def test_a_backend_that_ignores_its_service_is_caught():
    with pytest.raises(AssertionError) as caught:
        ServiceFailureContract().test_service_failures_are_backend_errors(MemoryBackend("files"))
    assert "save: no BackendError although the service is unusable" in str(caught.value)


def test_a_create_only_open_that_replaces_is_caught():
    class Replaces(MemoryBackend):
        def open(self, filename, mode="r", **kwargs):
            return super().open(filename, mode.replace("x", "w"), **kwargs)

    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        BackendContract().test_open_exclusive_mode(Replaces("files"))


class _KeepsParts(MemoryBackend):
    """A failed save leaves its part behind, reported and removable, as S3's uploads do."""

    def __init__(self, name, config=None):
        super().__init__(name, config)
        self.parts: dict[str, int] = {}

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        try:
            return super().save(file_or_wfs, filename, overwrite=overwrite, content_type=content_type)
        except OSError:
            self.parts[f"part-{len(self.parts)}"] = 1
            raise

    def leftovers(self, older_than=0):
        for ref in list(self.parts):
            yield fs_core.Leftover(f"part {ref}", dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), ref=ref)

    def remove_leftover(self, leftover):
        self.parts.pop(leftover.ref, None)


def test_leftovers_are_removed_twice_without_error():
    backend = _KeepsParts("files")
    BackendContract().test_leftovers_are_reported_and_removable(backend)
    assert backend.parts == {}


def test_a_leftover_that_cannot_be_removed_twice_is_caught():
    class Strict(_KeepsParts):
        def remove_leftover(self, leftover):
            del self.parts[leftover.ref]  # KeyError the second time

    with pytest.raises(KeyError):
        BackendContract().test_leftovers_are_reported_and_removable(Strict("files"))


@pytest.fixture
def storage_on(tmp_path):
    def make(backend, storage_class=fs_core.Storage):
        app = Flask("contract_catches", instance_path=str(tmp_path))
        app.config.update(SECRET_KEY="x", SERVER_NAME="catches.test", FS_PLUGINS=[])
        fs_core.init_app(app)
        storage = storage_class(backend.name, fs_core.ALL)
        storage._bind(app, backend)
        return app, storage

    return make


def test_names_that_reach_a_backend_as_something_else_are_caught(storage_on):
    class Mangles(MemoryBackend):
        def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
            super().save(file_or_wfs, filename.upper(), overwrite=overwrite, content_type=content_type)
            return filename.upper()

        def read(self, filename):
            if filename.endswith(".BIN"):
                raise KeyError(filename)  # not one of the core's errors
            return super().read(filename)

    app, storage = storage_on(Mangles("files"))
    with app.app_context():
        failures = exercise(storage, app.test_client(), "a.bin")
        assert "write stored 'A.BIN', the name validates as 'a.bin'" in failures
        assert "save stored 'A.BIN', the name validates as 'a.bin'" in failures
        assert "read back: KeyError: 'A.BIN'" in failures
        assert any(f.startswith("'A.BIN' reads back as None") for f in failures), failures


@pytest.fixture
def derandomized():
    """Hypothesis draws the same names on every run (the contract's own settings inherit it)."""
    settings.register_profile("fs-derandomized", derandomize=True)
    settings.load_profile("fs-derandomized")
    yield
    settings.load_profile("default")


def test_the_hostile_names_contract_fails_on_a_foreign_error(storage_on, derandomized):
    class Raw(MemoryBackend):
        """Lets a service's own error through for every name but the contract's seed file (a
        client's name made safe reaches the backend whatever the name was)."""

        def exists(self, filename):
            raise KeyError(filename)

        def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
            if filename != "hostile/seed.bin":
                raise KeyError(filename)
            return super().save(file_or_wfs, filename, overwrite=overwrite, content_type=content_type)

    app, storage = storage_on(Raw("files"))
    with app.app_context(), pytest.raises(AssertionError, match="KeyError"):
        NameSafetyContract().test_hostile_names_stay_inside(
            storage, app.test_client(), lambda: None, fs_hostile_examples=50
        )


def test_test_streams_are_readable():
    assert PatternStream(10).readable()
    assert FailingStream(10).readable()
    with pytest.raises(OSError):
        io.BufferedReader(FailingStream(10)).read()


def test_a_storage_that_lets_names_through_unchecked_is_caught(storage_on):
    """A storage (a subclass, or a core that lost its checks) that writes a name as given,
    and stores a client's upload under the client's own path."""

    class Trusting(fs_core.Storage):
        def write(self, filename, content, overwrite=False):
            return self.backend.save(io.BytesIO(content), filename, overwrite=overwrite)

        def save(self, file_or_wfs, filename=None, overwrite=False, **kwargs):
            return self.backend.save(file_or_wfs, filename or file_or_wfs.filename, overwrite=overwrite)

    app, storage = storage_on(MemoryBackend("files"), Trusting)
    with app.app_context():
        failures = exercise(storage, app.test_client(), "../escape.bin")
        assert "write stored '../escape.bin', the name validates as None" in failures
        assert "write accepted the invalid name '../escape.bin'" in failures
        assert "a client's name '../escape.bin' was stored as '../escape.bin'" in failures
        assert "a client's name 'd/a.bin' was stored as 'd/a.bin'" in exercise(
            storage, app.test_client(), "d/a.bin"
        )


def test_a_backend_that_cannot_serve_is_caught(storage_on):
    class Unserved(MemoryBackend):
        def serve(self, filename, **kwargs):
            raise KeyError(filename)  # a 500

    app, storage = storage_on(Unserved("files"))
    with app.app_context():
        failures = exercise(storage, app.test_client(), "a.bin")
    assert failures == ["GET '/files/a.bin' answered 500", "GET '/files/a.bin' answered 500"]


def test_a_name_that_breaks_validation_is_caught(storage_on, monkeypatch):
    from fs_core.testing import names

    def broken(name):
        raise UnicodeEncodeError("utf-8", name, 0, 1, "surrogates not allowed")

    monkeypatch.setattr(names, "validate_name", broken)
    app, storage = storage_on(MemoryBackend("files"))
    with app.app_context():
        failures = exercise(storage, app.test_client(), "\udc80.bin")
    assert failures == [
        "validate_name: UnicodeEncodeError: 'utf-8' codec can't encode character '\\udc80' in position 0: "
        "surrogates not allowed"
    ]


class _CapsKeys(MemoryBackend):
    """A service that caps whole keys at 100 bytes, and a backend that puts a 10-byte prefix
    before names: what it declares and checks is up to each subclass."""

    def _service(self, filename):
        if len(filename.encode()) + 10 > 100:
            raise fs_core.BackendError("KeyTooLong: the key is longer than 100 bytes")

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        self._service(filename)
        return super().save(file_or_wfs, filename, overwrite=overwrite, content_type=content_type)

    def copy(self, filename, target, overwrite=False):
        self._service(target)
        return super().copy(filename, target, overwrite=overwrite)


class _DeclaresRoom(_CapsKeys):
    @property
    def max_name_bytes(self):
        return 90


class _DeclaresTooLittle(MemoryBackend):
    @property
    def max_name_bytes(self):
        return 90


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        (_CapsKeys("files"), r"1024\) bytes was refused by the service.*override max_name_bytes"),
        (_DeclaresRoom("files"), r"write to a name of 91 bytes.*reached the service.*check_name_length"),
        (_DeclaresTooLittle("files"), r"write stored a name of 91 bytes.*check_name_length"),
    ],
)
def test_the_longest_names_contract_says_what_to_fix(storage_on, backend, expected):
    """A backend over a service that caps keys, which does not declare its room or does not
    check names against it, is told which of the two to do, not shown the service's error."""
    app, storage = storage_on(backend)
    with app.app_context(), pytest.raises(pytest.fail.Exception, match=expected):
        BackendContract().test_longest_names(backend, storage)


@pytest.mark.parametrize("checksum", [None, "d41d8cd98f00b204e9800998ecf8427e"])
def test_a_checksum_without_its_algorithm_is_caught(checksum):
    class NoAlgorithm(MemoryBackend):
        def get_metadata(self, filename):
            return {**super().get_metadata(filename), "checksum": checksum}

    with pytest.raises(AssertionError, match=r"checksum is .*: it must be 'algo:hex'"):
        BackendContract().test_metadata(NoAlgorithm("files"))
