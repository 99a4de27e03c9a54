"""fs-images as an installed plugin: entry point, CLI listing, and an HTTP upload end to end."""

from __future__ import annotations

import io
import json

import fs_core
import fs_images


def test_found_through_its_entry_point(make_app):
    app = make_app()
    plugins = json.loads(app.test_cli_runner().invoke(args=["fs", "plugins"]).output)
    images = next(p for p in plugins if p["name"] == "images")
    assert images["distribution"] == "fs-images"
    assert images["version"] == fs_images.__version__
    assert set(images["hooks"]) == {
        "after_copy",
        "after_delete",
        "after_save",
        "check_target",
        "derived_files",
        "file_allowed",
        "init_app",
        "prepare_upload",
        "register_commands",
        "will_process",
    }


def test_upload_over_http_then_serve_the_thumbnail(make_app, img):
    from flask import request

    avatars = fs_core.Storage("avatars", fs_core.IMAGES)
    app = make_app(avatars, AVATARS_FS_IMAGES_THUMBNAILS=[64], AVATARS_FS_IMAGES_WEBP=True)

    @app.post("/upload")
    def upload():
        try:
            name = avatars.save(request.files["file"])
        except fs_core.UnauthorizedFileType as exc:
            return {"error": str(exc)}, 400
        return {"thumbnail": avatars.url(fs_images.thumbnail_name(name, 64))}

    client = app.test_client()
    response = client.post("/upload", data={"file": (io.BytesIO(img.jpeg()), "Me Photo.jpg")})
    assert response.status_code == 200, response.json
    url = response.json["thumbnail"]
    assert url.endswith("/avatars/Me_Photo-64.jpg")
    served = client.get(url)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert img.opened(served.data).size == (64, 64)
    assert client.get(url + ".webp").headers["Content-Type"] == "image/webp"

    refused = client.post("/upload", data={"file": (io.BytesIO(b"GIF89a<script>"), "x.gif")})
    assert refused.status_code == 400
    assert "x.gif" in refused.json["error"]
    with app.app_context():
        assert sorted(avatars.list_files()) == [
            "Me_Photo-64.jpg",
            "Me_Photo-64.jpg.webp",
            "Me_Photo.jpg",
            "Me_Photo.jpg.webp",
        ]


def test_loading_the_plugin_does_not_import_pillow():
    """Apps (and CLI commands) with no image storage do not pay for importing Pillow."""
    import subprocess
    import sys

    from fs_core.testing import child_env

    code = (
        "import sys, flask, fs_core\n"
        "app = flask.Flask('x')\n"
        "app.config['FS_BACKEND'] = 'memory'\n"
        "fs_core.init_app(app, fs_core.Storage('files'))\n"
        "assert 'images' in app.extensions['fs'].plugins.infos, 'plugin not loaded'\n"
        "assert 'PIL' not in sys.modules, sorted(m for m in sys.modules if m.startswith('PIL'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=child_env())
