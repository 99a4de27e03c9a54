"""Flask-Store's API on every backend: the seeds' examples, the extension, providers,
``StoreFile``, names and the route."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import pytest
from flask import Flask, request
from werkzeug.datastructures import FileStorage

import fs_core
import fs_store
from fs_core.plugins import KNOWN_BACKEND_PACKAGES
from fs_store import NotConfiguredError, Store, StoreFile, StoreState, store_provider
from fs_store.stores import BaseStore, FSStore
from fs_store.stores.local import LocalStore
from fs_store.stores.s3 import S3GeventStore, S3Store


def upload(content: bytes, filename: str, content_type: str | None = None) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=filename, content_type=content_type)


def test_quickstart_runs_as_written(make_app, backend):
    # Flask-Store's quick start, `flask.ext.store` changed to `fs_store`.
    from flask import Flask, request

    from fs_store import Store

    app = Flask(__name__)
    app.config.update(backend)  # where the test's backend keeps files
    app.config["STORE_DOMAIN"] = "http://127.0.0.1:5000"
    if "STORE_PATH" in backend:
        app.config["STORE_PATH"] = backend["STORE_PATH"]  # '/some/path/to/somewhere'
    store = Store(app)

    @app.route("/upload", methods=["POST"])
    def upload():
        file = request.files.get("afile")
        provider = store.Provider()
        f = provider.save(file)

        return f.absolute_url()

    client = app.test_client()
    answer = client.post("/upload", data={"afile": (io.BytesIO(b"a jpeg"), "localfile.jpg")})
    s3 = app.extensions["store"].provider_class is S3Store  # URL prefix: the bucket's root
    prefix = "/" if s3 else "/flaskstore/"
    assert answer.text == f"http://127.0.0.1:5000{prefix}localfile.jpg"
    if app.extensions["store"].provider_class.register_route:  # served by the app
        assert client.get("/flaskstore/localfile.jpg").data == b"a jpeg"
    with app.app_context():
        assert store.storage.read("localfile.jpg") == b"a jpeg"
    with app.app_context():
        store.background.wait(30)


def test_local_store_example(tmp_path):
    # flask_store.stores.local's example, without its WTForms form (and its typos).
    from flask import Flask, request

    from fs_store import Store

    app = Flask(__name__)
    app.config["STORE_PATH"] = str(tmp_path / "some/file/path")

    store = Store(app)

    @app.route("/upload", methods=["POST"])
    def upload():
        provider = store.Provider()
        return provider.save(request.files.get("foo"))

    name = app.test_client().post("/upload", data={"foo": (io.BytesIO(b"foo"), "foo.txt")}).text
    assert name == "foo.txt"
    assert (tmp_path / "some/file/path/foo.txt").read_bytes() == b"foo"


def test_s3_example_names_the_missing_keys_then_works(moto_server, tmp_path):
    # flask_store.stores.s3's example sets two of the four keys S3Store requires.
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["STORE_PROVIDER"] = "flask_store.stores.s3.S3Store"
    app.config["STORE_S3_ACCESS_KEY"] = "foo"
    app.config["STORE_S3_SECRET_KEY"] = "bar"
    with pytest.raises(NotConfiguredError, match=r"^STORE_S3_BUCKET, STORE_S3_REGION must be configured"):
        Store(app)

    bucket = fs_core.naming.validate_name("example-" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:10])
    app.config.update(
        STORE_S3_BUCKET=bucket,
        STORE_S3_REGION=moto_server.region,
        STORE_FS_ENDPOINT=moto_server.endpoint,  # an S3-compatible service: an fs-s3 key
    )
    store = Store(app)

    @app.route("/upload", methods=["POST"])
    def upload():
        backend = fs_store.Backend()  # the example's older name of Provider
        return backend.save(request.files.get("foo"))

    name = app.test_client().post("/upload", data={"foo": (io.BytesIO(b"to s3"), "foo.txt")}).text
    assert name == "foo.txt"
    with app.app_context():
        assert store.storage.backend_name == "s3"
        assert store.storage.read("foo.txt") == b"to s3"
        assert StoreFile("foo.txt").absolute_path() == "foo.txt"  # the key, at the bucket's root
        store.storage.delete("foo.txt")


@pytest.mark.parametrize(
    ("provider", "expected", "backend"),
    [
        ("flask_store.stores.local.LocalStore", LocalStore, "local"),
        ("flask_store.providers.local.LocalProvider", LocalStore, "local"),
        ("flask_store.stores.s3.S3Store", S3Store, "s3"),
        ("flask_store.providers.s3.S3Provider", S3Store, "s3"),
        ("flask_store.stores.s3.S3GeventStore", S3GeventStore, "s3"),
        ("flask_store.stores.s3.S3GreenStore", S3GeventStore, "s3"),
        ("flask_store.providers.s3.S3GeventProvider", S3GeventStore, "s3"),
        ("fs_store.stores.s3.S3Store", S3Store, "s3"),
        ("local", LocalStore, "local"),
        ("memory", FSStore, "memory"),
        ("swift", FSStore, "swift"),
    ],
)
def test_store_provider_names(provider, expected, backend):
    from fs_store.settings import provider_class

    assert provider_class(provider) == (expected, backend)


def test_a_provider_class_of_your_own(tmp_path):
    app = Flask("own", instance_path=str(tmp_path))
    app.config.update(STORE_PROVIDER=MemoryWithRoute, STORE_URL_PREFIX="/files")
    store = Store(app)
    with app.test_request_context():
        assert isinstance(store.Provider(), MemoryWithRoute)
        assert store.provider(app) is MemoryWithRoute
        name = store.Provider().save(upload(b"mine", "mine.txt"))
    assert app.test_client().get(f"/files/{name}").data == b"mine"


class MemoryWithRoute(BaseStore):
    backend = "memory"
    register_route = True


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("flask_store.stores.nowhere.Store", "cannot import"),
        ("fs_store.stores.local.NoSuchStore", "not a provider"),
        ("fs_store.files.StoreFile", "not a provider"),
    ],
)
def test_unusable_providers_are_configuration_errors(tmp_path, value, message):
    app = Flask("bad", instance_path=str(tmp_path))
    app.config["STORE_PROVIDER"] = value
    with pytest.raises(NotConfiguredError, match=message) as raised:
        Store(app)
    assert isinstance(raised.value, fs_core.ConfigurationError)


def test_an_unknown_backend_names_what_to_install(tmp_path, monkeypatch):
    # The workspace installs every backend: a known name without a package stands for one.
    monkeypatch.setitem(KNOWN_BACKEND_PACKAGES, "webdav", "fs-webdav")
    app = Flask("nobackend", instance_path=str(tmp_path))
    app.config["STORE_PROVIDER"] = "webdav"
    with pytest.raises(fs_core.ConfigurationError, match="pip install fs-webdav"):
        Store(app)


def test_application_factory_state_and_proxies(backend, tmp_path):
    store = Store()
    apps = []
    for i in range(2):
        app = Flask(f"factory{i}", instance_path=str(tmp_path / str(i)))
        app.config.update(backend)
        if i:
            app.config.update(STORE_PROVIDER="memory", STORE_URL_PREFIX="/second")
        store.init_app(app)
        apps.append(app)
    for app in apps:
        with app.test_request_context():
            state = app.extensions["store"]
            assert isinstance(state, StoreState)
            assert (state.store, state.app) == (store, app)
            assert store.Provider is store_provider() is state.provider_class
            provider = fs_store.Provider(destination="d")  # the proxy calls the current app's class
            assert isinstance(provider, store.Provider)
            name = provider.save(upload(app.name.encode(), "who.txt"))
            assert store.storage.read(str(name)) == app.name.encode()
    with pytest.raises(RuntimeError, match="app_context"):
        store.Provider  # noqa: B018  (two apps: which one?)


def test_save_makes_client_names_safe_and_never_overwrites(store):
    provider = store.Provider()
    first = provider.save(upload(b"1", "Holiday photo.JPG"))
    assert first == "Holiday_photo.jpg"
    second = provider.save(upload(b"2", "Holiday photo.JPG"))
    stem, _, ext = str(second).rpartition(".")
    assert stem.startswith("Holiday_photo_")
    assert len(stem) == len("Holiday_photo_") + 11
    assert ext == "jpg"
    assert stem[-11:].replace("-", "").replace("_", "").isalnum()  # URL-safe
    for hostile in ("../../etc/passwd", "/abs/x.txt", "..\\x.txt", "a/b/c.txt"):
        name = provider.save(upload(b"h", hostile))
        assert "/" not in name
        assert store.storage.read(str(name)) == b"h"
    assert store.storage.read("Holiday_photo.jpg") == b"1"
    assert store.storage.read(str(second)) == b"2"


def test_concurrent_saves_of_one_name_get_distinct_names(make_app):
    app, store = make_app()
    clients = 8
    barrier = threading.Barrier(clients)
    names, errors = [], []

    def save(i: int) -> None:
        with app.test_request_context():
            barrier.wait()
            try:
                names.append((i, str(store.Provider().save(upload(f"content {i}".encode(), "same.txt")))))
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({name for _, name in names}) == clients
    with app.app_context():
        for i, name in names:  # nothing overwritten: each name holds its own upload
            assert store.storage.read(name) == f"content {i}".encode()


def test_destination_is_a_folder_of_the_store(store):
    provider = store.Provider(destination="/avatars/2024/")
    assert provider.destination == "avatars/2024"
    name = provider.save(upload(b"me", "me.png"))
    assert name == "avatars/2024/me.png"
    assert (name.filename, name.destination) == ("me.png", "avatars/2024")
    assert provider.exists("me.png")
    assert not store.Provider().exists("me.png")
    with provider.open("me.png") as stream:
        assert stream.read() == b"me"
    for hostile in ("../up", "a/../../b", "a//b", "\x00"):
        with pytest.raises(fs_core.InvalidFilename):
            store.Provider(destination=hostile)
    provider.delete("me.png")
    assert not provider.exists("me.png")
    provider.delete("me.png")  # missing: not an error


def test_exists_join_url_join_and_safe_filename(store):
    provider = store.Provider(destination="docs")
    assert provider.join("/base/", "/docs", "a.txt") == "/base/docs/a.txt"
    assert provider.url_join("/prefix/", "/docs/", "a.txt") == "/prefix/docs/a.txt"
    assert provider.url_join("http://cdn/x", "y") == "http://cdn/x/y"
    assert provider.safe_filename("a.txt") == "a.txt"
    provider.save(upload(b"a", "a.txt"))
    assert provider.exists("a.txt")
    safe = provider.safe_filename("a.txt")
    assert safe != "a.txt"
    assert safe.startswith("a_")
    assert safe.endswith(".txt")
    assert not provider.exists(safe)
    with pytest.raises(fs_core.InvalidFilename):
        provider.exists("../../a.txt")


def test_store_file_is_the_relative_path_with_flask_stores_methods(make_app, backend, tmp_path):
    app, store = make_app(STORE_DOMAIN="https://cdn.example/", STORE_URL_PREFIX="/media")
    with app.test_request_context(base_url="http://app.test/mounted"):
        name = store.Provider(destination="a b").save(upload(b"x", "é t.txt"))
        assert isinstance(name, str)
        assert isinstance(name, StoreFile)
        assert name == name.relative_path() == "a b/é_t.txt"
        same = StoreFile("é_t.txt", destination="a b")
        assert same == name
        routed = store.Provider.register_route
        root = "/mounted" if routed else ""
        path = f"{root}/media/a%20b/%C3%A9_t.txt"
        assert same.relative_url() == path
        assert same.absolute_url() == same.url() == f"https://cdn.example{path}"
        assert same.provider.exists("é_t.txt")
        if store.storage.root is not None:  # local: the file on disk
            assert Path(same.absolute_path()).read_bytes() == b"x"
            assert same.absolute_path() == str(Path(backend["STORE_PATH"]) / "a b/é_t.txt")
        else:  # elsewhere: the key (under STORE_PATH on S3)
            assert same.absolute_path() == "a b/é_t.txt"
    app.config["STORE_DOMAIN"] = None
    with app.test_request_context(base_url="http://app.test/"):
        assert same.absolute_url() == "http://app.test/media/a%20b/%C3%A9_t.txt"
    with app.app_context():
        with pytest.raises(NotConfiguredError, match="STORE_DOMAIN"):
            same.absolute_url()
        app.config["SERVER_NAME"] = "files.test"
        assert same.absolute_url().startswith("http://files.test/")
    with pytest.raises(fs_core.InvalidFilename):
        StoreFile("../x.txt")


def test_the_route_serves_with_http_semantics(make_app):
    app, store = make_app(STORE_URL_PREFIX="/uploads")
    if not app.extensions["store"].provider_class.register_route:
        assert "flask.store.file" not in app.view_functions  # S3Store: served by the bucket
        return
    content = b"<svg onload=alert(1)></svg>"
    with app.test_request_context():
        name = store.Provider().save(upload(content, "x.svg", "image/svg+xml"))
        url = name.relative_url()
    client = app.test_client()
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Disposition"].startswith("attachment")  # never run inline
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    ranged = client.get(url, headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206
    assert ranged.data == content[:4]
    for path in ("/uploads/../instance", "/uploads/%2e%2e/x", "/uploads/missing.txt", "/uploads/a//b"):
        assert client.get(path).status_code in (404, 308), path


@pytest.mark.parametrize("backend", ["moto"], indirect=True)  # (S3Store only)
def test_s3_store_has_no_route_and_urls_under_its_bucket_path(make_app, backend):
    app, store = make_app(STORE_PATH="/media/", STORE_DOMAIN="https://bucket.s3.amazonaws.com")
    assert "flask.store.file" not in app.view_functions
    assert app.config["STORE_FS_SERVE"] is False  # nor through the fs view (/store/<name>)
    assert app.config["STORE_URL_PREFIX"] == "/media/"
    assert app.config["STORE_FS_KEY_PREFIX"] == "media"
    with app.test_request_context():
        name = store.Provider().save(upload(b"k", "k.txt"))
        assert name.absolute_path() == "media/k.txt"  # the object's key
        assert name.url() == "https://bucket.s3.amazonaws.com/media/k.txt"
        assert store.storage.read("k.txt") == b"k"
    assert app.test_client().get("/store/k.txt").status_code == 404


def test_fs_keys_set_by_the_app_win(make_app, backend):
    app, store = make_app(STORE_FS_MAX_SIZE=10, STORE_FS_DENY=["exe"])
    with app.test_request_context():
        provider = store.Provider()
        with pytest.raises(fs_core.FileTooLarge):
            provider.save(upload(b"x" * 11, "big.txt"))
        with pytest.raises(fs_core.UnauthorizedFileType):
            provider.save(upload(b"MZ", "tool.exe"))
        assert list(store.storage.list_files()) == []


def test_hostile_names_stay_inside_and_raise_only_the_cores_errors(make_app, tmp_path):
    """fs-core's generated hostile names as client names, explicit names, destinations,
    file names and URLs: a name inside the store or an ``FSError``, never a 500, and
    nothing outside the store changes."""
    from urllib.parse import quote

    from hypothesis import HealthCheck, given, settings

    from fs_core.testing import HOSTILE_NAMES

    (tmp_path / "outside.txt").write_bytes(b"not yours")
    app, store = make_app()
    routed = app.extensions["store"].provider_class.register_route
    client = app.test_client()

    def snapshot() -> dict[str, bytes]:
        root = str(tmp_path / "uploads")
        return {
            str(p): p.read_bytes()
            for p in tmp_path.rglob("*")
            if p.is_file() and not str(p).startswith(root) and "spool" not in str(p)
        }

    before = snapshot()

    @settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(name=HOSTILE_NAMES)
    def attempt(name: str) -> None:
        with app.test_request_context():
            provider = store.Provider()
            try:
                saved = provider.save(upload(b"payload", name))  # a client's name: made safe
            except fs_core.InvalidFilename:  # nothing usable in it ('')
                assert not name.strip()
            else:
                assert "/" not in saved
                assert store.storage.read(str(saved)) == b"payload"
            for call in (
                lambda: provider.save(upload(b"p", "x.txt"), filename=name),
                lambda: provider.exists(name),
                lambda: provider.open(name).close(),
                lambda: provider.delete(name),
                lambda: StoreFile(name).url(),
                lambda: store.Provider(destination=name).save(upload(b"d", "d.txt")),
            ):
                try:
                    call()
                except fs_core.FSError:
                    pass
        if routed:
            prefix = app.config["STORE_URL_PREFIX"]
            answer = client.get(f"{prefix}/" + quote(name, safe="/", errors="surrogatepass"))
            assert answer.status_code in (200, 308, 403, 404), (name, answer.status_code)

    attempt()
    assert snapshot() == before


def test_unique_names_fit_what_the_backend_takes_under_a_long_destination(store):
    """The suffix of a taken name counts the destination and the backend's own key prefix
    (``max_name_bytes``): the stem gives way, the name stays within the limit."""
    from fs_core.testing import name_of_length

    limit = store.storage.backend.max_name_bytes
    destination = name_of_length(limit - 20 - 1, "d")  # leaves 20 bytes for a base name
    provider = store.Provider(destination=destination)
    first = provider.save(upload(b"1", "report.pdf")).filename
    second = provider.save(upload(b"2", "report.pdf")).filename
    assert first == "report.pdf"
    assert second.startswith("repo_")
    assert second.endswith(".pdf")
    assert len(f"{destination}/{second}".encode()) == limit
    assert provider.safe_filename("report.pdf").startswith("repo_")
    assert [provider.open(name).read() for name in (first, second)] == [b"1", b"2"]


def test_a_unique_name_that_cannot_fit_is_refused_never_stripped_of_its_extension(store):
    """Under a destination that leaves no room for ``_<suffix>.pdf`` after one character of
    the stem, a taken name is refused with what to do; ``report_<suffix>`` (the extension cut
    to make room) would change the file's type."""
    from fs_core.testing import name_of_length

    limit = store.storage.backend.max_name_bytes
    destination = name_of_length(limit - 15 - 1, "d")  # 15 bytes for a base name: _<11>.pdf is 16
    provider = store.Provider(destination=destination)
    assert provider.save(upload(b"1", "report.pdf")).filename == "report.pdf"
    with pytest.raises(fs_core.InvalidFilename, match="use a shorter folder"):
        provider.save(upload(b"2", "report.pdf"))
    with pytest.raises(fs_core.InvalidFilename, match="use a shorter folder"):
        provider.safe_filename("report.pdf")
    assert provider.open("report.pdf").read() == b"1"


def test_suffixed_names_stay_within_a_segment():
    from fs_store.naming import suffixed

    long = "é" * 120 + ".jpeg"  # 245 bytes
    for name in (long, "a" * 255, "dir/" + "b" * 250 + ".tar", "b." + "t" * 253):
        new = suffixed(name)
        base = new.rpartition("/")[2]
        assert len(base.encode()) <= 255
        assert fs_core.naming.validate_name(new) == new
        assert new.rpartition("/")[0] == name.rpartition("/")[0]
    assert suffixed(long).endswith(".jpeg")
    assert suffixed("noext").startswith("noext_")


def test_names_that_are_not_safe_are_refused_not_rewritten(store):
    provider = store.Provider(destination="d")
    for name in ("/etc/passwd", "a//b.txt", "../x.txt", "./x.txt"):
        for call in (
            lambda name=name: provider.exists(name),
            lambda name=name: provider.open(name),
            lambda name=name: provider.delete(name),
            lambda name=name: StoreFile(name, destination="d"),
            lambda name=name: provider.save(upload(b"x", "x.txt"), filename=name),
        ):
            with pytest.raises(fs_core.InvalidFilename):
                call()
    assert list(store.storage.list_files()) == []
