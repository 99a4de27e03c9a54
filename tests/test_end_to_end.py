"""Flask end to end with the installed plugins, discovered through their entry points."""

from __future__ import annotations

import io
import json

from flask import Flask, request

import fs_core as fs


def make_app(tmp_path, **config):
    app = Flask("e2e", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="e2e", **config)
    return app


def test_default_backend_is_local_from_its_entry_point(tmp_path):
    files = fs.Storage("files")
    app = make_app(tmp_path)
    fs.init_app(app, files)
    with app.app_context():
        assert files.backend_name == "local"
        assert type(files.backend).__module__ == "fs_local.backend"
        files.write("a.txt", b"on disk")
    assert (tmp_path / "instance" / "fs" / "files" / "a.txt").read_bytes() == b"on disk"
    plugins = json.loads(app.test_cli_runner().invoke(args=["fs", "plugins"]).output)
    local = next(p for p in plugins if p["name"] == "local")
    assert local["distribution"] == "fs-local"
    assert local["backends"] == ["local"]
    assert local["version"] == __import__("fs_local").__version__


def test_upload_serve_range_and_conditional_over_http(tmp_path):
    avatars = fs.Storage("avatars", fs.IMAGES)
    app = make_app(tmp_path, FS_PREFIX="/media", AVATARS_FS_MAX_SIZE=5 << 20)
    fs.init_app(app, avatars)

    @app.post("/avatar")
    def post_avatar():
        try:
            return {"url": avatars.url(avatars.save(request.files["file"], prefix="users/7"))}
        except fs.FSError as exc:
            return {"error": str(exc)}, 400

    client = app.test_client()
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
    created = client.post("/avatar", data={"file": (io.BytesIO(png), "Me.PNG")})
    assert created.json == {"url": "/media/avatars/users/7/Me.png"}
    refused = client.post("/avatar", data={"file": (io.BytesIO(b"#!/bin/sh"), "x.sh")})
    assert refused.status_code == 400
    assert "not allowed" in refused.json["error"]
    full = client.get("/media/avatars/users/7/Me.png")
    assert full.data == png
    assert full.mimetype == "image/png"
    assert client.get(full.request.path, headers={"If-None-Match": full.headers["ETag"]}).status_code == 304
    part = client.get(full.request.path, headers={"Range": "bytes=8-15"})
    assert part.status_code == 206
    assert part.data == png[8:16]


def test_switching_backend_is_configuration_only(tmp_path):
    files = fs.Storage("files")
    for backend in ("local", "memory"):
        app = make_app(tmp_path / backend, FS_BACKEND=backend)
        fs.init_app(app, files)
        with app.app_context():
            files.write("x/y.txt", backend)
            assert files.read("x/y.txt") == backend.encode()
            assert list(files.list_files("x")) == ["x/y.txt"]
    assert (tmp_path / "local" / "instance" / "fs" / "files" / "x" / "y.txt").exists()
    assert not (tmp_path / "memory" / "instance").exists()
