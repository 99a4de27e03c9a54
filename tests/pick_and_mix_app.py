"""The application each pick-and-mix virtualenv runs (see test_pick_and_mix.py).

It is copied into a folder of its own and run by the virtualenv's Python, so it sees only what
was installed there from the wheels. ``PICK_AND_MIX`` (JSON) says what to expect:
``backend`` and ``config`` for the storage, ``missing``: ``{backend: package}`` for the
backends whose package is not installed. Run as a script, it saves, reads and serves a file
through the backend, and checks that each missing backend fails with a message naming its
package; ``flask --app pick_and_mix_app fs plugins`` lists the same app's plugins.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile

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


def configuration_error(other: Flask) -> str | None:
    try:
        fs_core.init_app(other, fs_core.Storage("elsewhere"))
    except fs_core.ConfigurationError as exc:
        return str(exc)
    return None


if __name__ == "__main__":
    # The packages must come from the virtualenv, not from the workspace's sources.
    assert "site-packages" in fs_core.__file__, fs_core.__file__
    check_installed_backend()
    check_missing_backends()
    print(f"ok: fs-core {fs_core.__version__} from {os.path.dirname(fs_core.__file__)}", file=sys.stderr)
