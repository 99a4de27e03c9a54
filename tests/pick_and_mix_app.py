"""The application each pick-and-mix virtualenv runs (see test_pick_and_mix.py).

It is copied into a folder of its own and run by the virtualenv's Python, so it sees only what
was installed there from the wheels. ``PICK_AND_MIX`` (JSON) says what to expect:
``backend`` and ``config`` for the storage, ``missing``: ``{backend: package}`` for the
backends whose package is not installed, ``mongoengine`` and ``images``: whether
fs-mongoengine and fs-images are installed, ``libraries``: the installed libraries on fs-core
(fs-hashfs, fs-store). Run as a script, it saves, reads and serves a file through the backend,
checks that each missing backend fails with a message naming its package, and runs each
library's check; ``flask --app pick_and_mix_app fs plugins`` lists the same app's plugins.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from collections.abc import Callable

from flask import Flask

import fs_core

SPEC = json.loads(os.environ["PICK_AND_MIX"])
INSTANCE = os.environ.get("PICK_AND_MIX_INSTANCE") or tempfile.mkdtemp()


def create_app(backend: str, **config: object) -> Flask:
    app = Flask("pick_and_mix", instance_path=INSTANCE)
    app.config.update(SECRET_KEY="pick-and-mix", SERVER_NAME="pick-and-mix.test", FS_BACKEND=backend)
    app.config.update(config)
    return app


files = fs_core.Storage("files")
app = create_app(SPEC["backend"], **SPEC["config"])
fs_core.init_app(app, files)


def check_installed_backend() -> None:
    with app.app_context():
        assert files.backend_name == SPEC["backend"], files.backend_name
        name = files.save(io.BytesIO(b"picked and mixed"), "hello.txt")
        assert files.read(name) == b"picked and mixed"
        url = files.url(name)
    response = app.test_client().get(url)
    assert response.status_code == 200, (url, response.status)
    assert response.data == b"picked and mixed"


def check_missing_backends() -> None:
    for backend, package in SPEC["missing"].items():
        message = configuration_error(create_app(backend))
        assert message is not None, f"FS_BACKEND={backend!r} worked without {package} installed"
        assert f"pip install {package}" in message, message


def check_mongoengine() -> None:
    """fs-mongoengine's fields on mongomock: a file saved, reloaded and deleted with its
    document; an image processed if fs-images is installed, else a clear ImportError."""
    import mongoengine
    import mongomock

    from fs_mongoengine import FileField, ImageField

    mongoengine.connect("pick", host="mongodb://localhost", mongo_client_class=mongomock.MongoClient)

    class Doc(mongoengine.Document):
        file = FileField(fs=files, delete_files=True)
        image = ImageField(fs=files, thumbnails=[16], delete_files=True)

    with app.app_context():
        doc = Doc()
        doc.file.save(io.BytesIO(b"in a document"), "doc.txt")
        doc.save()
        loaded = Doc.objects.get(id=doc.id)
        assert files.read(loaded.file.filename) == b"in a document"
        if SPEC["images"]:
            from PIL import Image

            png = io.BytesIO()
            Image.new("RGB", (64, 48), "teal").save(png, "PNG")
            png.seek(0)
            loaded.image.save(png, "pic.png")
            loaded.save()
            assert Image.open(io.BytesIO(files.read(loaded.image.thumbnail(16)))).size == (16, 16)
        else:
            message = None
            try:
                loaded.image.save(io.BytesIO(b"not processed"), "pic.png")
            except ImportError as exc:
                message = str(exc)
            assert message is not None, "ImageField saved an image without fs-images"
            assert "pip install fs-mongoengine[images]" in message, message
            assert not files.exists("pic.png")
            shown = Doc(image={"filename": "a.png", "thumbnails": {"16": "a-16.png"}}).image
            assert shown(10).endswith("/a-16.png"), shown(10)  # reading needs no fs-images
        loaded.delete()
        assert not files.exists("doc.txt")
        assert not files.exists("pic.png")


def configuration_error(other: Flask) -> str | None:
    return configuration_error_of(lambda: fs_core.init_app(other, fs_core.Storage("elsewhere")))


def configuration_error_of(configure: Callable[[], object]) -> str | None:
    """The message of the ``ConfigurationError`` ``configure()`` raises, or ``None``."""
    try:
        configure()
    except fs_core.ConfigurationError as exc:
        return str(exc)
    return None


def check_hashfs() -> None:
    """fs-hashfs on the memory backend: put twice (stored once), get, serve."""
    import hashlib

    from fs_hashfs import FlaskHashFS

    hashed = Flask("pick_and_mix_hashfs", instance_path=INSTANCE)
    hashed.config.update(HASHFS_FS_BACKEND="memory", HASHFS_PATH_PREFIX="/blobs")
    fs = FlaskHashFS(hashed)
    with hashed.app_context():
        address = fs.put(io.BytesIO(b"content-addressed"), extension=".txt")
        assert address.id == hashlib.sha256(b"content-addressed").hexdigest()
        assert fs.put(io.BytesIO(b"content-addressed"), extension=".txt").is_duplicate
        assert fs.get(address.id) == address
        url = fs.url_for(address, external=False)
    response = hashed.test_client().get(url)
    assert response.data == b"content-addressed", response.status
    assert response.headers["ETag"] == f'"{address.id}"'


def check_store() -> None:
    """fs-store on the memory backend: save (and in the background), serve; Flask-Store's
    S3 provider without fs-s3 names the package to install."""
    from werkzeug.datastructures import FileStorage

    from fs_store import Store

    stored = Flask("pick_and_mix_store", instance_path=INSTANCE)
    stored.config.update(STORE_PROVIDER="memory", STORE_BACKGROUND=True)
    store = Store(stored)
    with stored.test_request_context():
        name = store.Provider().save(FileStorage(io.BytesIO(b"flask-store"), filename="a.txt"))
        assert store.background.wait(30)
        url = name.relative_url()
    assert stored.test_client().get(url).data == b"flask-store"
    if "s3" in SPEC["missing"]:
        s3 = Flask("pick_and_mix_store_s3", instance_path=INSTANCE)
        s3.config.update(
            STORE_PROVIDER="flask_store.stores.s3.S3Store",
            **dict.fromkeys(("STORE_S3_ACCESS_KEY", "STORE_S3_SECRET_KEY", "STORE_S3_REGION"), "x"),
            STORE_S3_BUCKET="bucket",
        )
        message = configuration_error_of(lambda: Store(s3))
        assert message is not None, "S3Store worked without fs-s3 installed"
        assert "pip install fs-s3" in message, message


LIBRARY_CHECKS = {"fs-hashfs": check_hashfs, "fs-store": check_store}


if __name__ == "__main__":
    # The packages must come from the virtualenv, not from the workspace's sources.
    assert "site-packages" in fs_core.__file__, fs_core.__file__
    check_installed_backend()
    check_missing_backends()
    if SPEC.get("mongoengine"):
        check_mongoengine()
    for library in SPEC.get("libraries", []):
        LIBRARY_CHECKS[library]()
        print(f"ok: {library}", file=sys.stderr)
    print(f"ok: fs-core {fs_core.__version__} from {os.path.dirname(fs_core.__file__)}", file=sys.stderr)
