"""``flask fs images rerender`` and fs-local: files that outlive one app's configuration."""

from __future__ import annotations

import io
import os

import pytest

import fs_images.pipeline


@pytest.fixture
def local(make_app, photos, tmp_path):
    """``local(**config)``: an app storing ``photos`` on disk under one root, so that apps
    with different settings (a restart after a config change) see the same files."""
    root = tmp_path / "root"

    def make(**config):
        return make_app(photos, FS_BACKEND="local", FS_ROOT=str(root), **config)

    make.root = root / "photos"
    return make


def rerender(app, *args):
    return app.test_cli_runner().invoke(args=["fs", "images", "rerender", "photos", *args])


def files(storage):
    return sorted(storage.list_files())


def _store(app, photos, img, names=("a.jpg", "b.jpg", "c.png")):
    with app.app_context():
        for i, name in enumerate(names):
            image = img.quadrants((800, 600 - 100 * i))
            photos.save(io.BytesIO(img.jpeg(image) if name.endswith(".jpg") else img.png(image)), name)


def test_local_backend_variants_on_disk_and_delete(local, photos, img):
    app = local(PHOTOS_FS_IMAGES_THUMBNAILS=[32], PHOTOS_FS_IMAGES_MAX_SIZE=200)
    with app.app_context():
        photos.save(io.BytesIO(img.jpeg(img.quadrants((800, 600)))), "sub/cat.jpg")
        on_disk = sorted(os.listdir(local.root / "sub"))
        assert on_disk == ["cat-32.jpg", "cat-original.jpg", "cat.jpg"]
        assert img.opened((local.root / "sub" / "cat.jpg").read_bytes()).size == (200, 150)
        photos.delete("sub/cat.jpg")
        assert not (local.root / "sub").exists() or os.listdir(local.root / "sub") == []


def test_rerender_after_a_config_change(local, photos, img):
    _store(local(PHOTOS_FS_IMAGES_THUMBNAILS=[32]), photos, img)
    app = local(PHOTOS_FS_IMAGES_THUMBNAILS=[64, 32], PHOTOS_FS_IMAGES_MAX_SIZE=300)
    result = rerender(app)
    assert result.exit_code == 0, result.output + result.stderr
    assert "3 image(s) rerendered, 0 skipped" in result.stdout
    assert "Rerendering photos" not in result.stderr  # a progress bar on terminals only
    with app.app_context():
        assert "a-64.jpg" in files(photos)
        assert img.opened(photos.read("a.jpg")).size == (300, 225)
        assert img.opened(photos.read("a-original.jpg")).size == (800, 600)
        assert img.opened(photos.read("c-64.png")).size == (64, 64)
        assert len(files(photos)) == 3 * 4  # image, original, two thumbnails: no thumbnails of thumbnails
    assert not list((local.root.parent.parent / "instance").rglob("*.jsonl"))  # checkpoint removed


def test_rerender_starts_from_the_original(local, photos, img):
    _store(local(PHOTOS_FS_IMAGES_MAX_SIZE=100), photos, img, names=("a.jpg",))
    app = local(PHOTOS_FS_IMAGES_MAX_SIZE=400)
    assert rerender(app).exit_code == 0
    with app.app_context():
        assert img.opened(photos.read("a.jpg")).size == (400, 300)  # not 100x75 enlarged
        assert img.opened(photos.read("a-original.jpg")).size == (800, 600)


def test_rerender_reports_failures_without_stopping(local, photos, img):
    app = local(PHOTOS_FS_IMAGES_THUMBNAILS=[32])
    _store(app, photos, img)
    with app.app_context():
        photos.backend.save(io.BytesIO(b"\xff\xd8 not really"), "broken.jpg", overwrite=False)
    app = local(PHOTOS_FS_IMAGES_THUMBNAILS=[48])
    result = rerender(app)
    assert result.exit_code == 3  # some failed
    assert "3 image(s) rerendered, 0 skipped (done before), 1 failed" in result.stdout
    assert "FAILED broken.jpg: InvalidImage" in result.stderr
    with app.app_context():
        assert {"a-48.jpg", "b-48.jpg", "c-48.png"} <= set(files(photos))
        assert "broken.jpg" in files(photos)  # a failed rerender never deletes the image
    again = rerender(app)  # only the failed one is tried again
    assert "0 image(s) rerendered, 3 skipped (done before), 1 failed" in again.stdout


def test_rerender_resumes_after_an_interruption(local, photos, img, monkeypatch):
    _store(local(PHOTOS_FS_IMAGES_THUMBNAILS=[32]), photos, img)
    app = local(PHOTOS_FS_IMAGES_THUMBNAILS=[48])
    seen = []
    real = fs_images.pipeline.process

    def interrupted(storage, name, settings, **kw):
        if len(seen) == 2:
            raise KeyboardInterrupt
        seen.append(name)
        return real(storage, name, settings, **kw)

    monkeypatch.setattr(fs_images.pipeline, "process", interrupted)
    first = rerender(app)
    assert first.exit_code != 0
    assert seen == ["a.jpg", "b.jpg"]
    monkeypatch.setattr(
        fs_images.pipeline, "process", lambda s, n, st, **kw: seen.append(n) or real(s, n, st, **kw)
    )
    second = rerender(app)
    assert second.exit_code == 0, second.output + second.stderr
    assert "Resuming: 2 image(s) already done" in second.stderr
    assert seen == ["a.jpg", "b.jpg", "c.png"]
    with app.app_context():
        assert {"a-48.jpg", "b-48.jpg", "c-48.png"} <= set(files(photos))


def test_changed_settings_or_restart_ignore_the_checkpoint(local, photos, img, monkeypatch):
    app = local(PHOTOS_FS_IMAGES_THUMBNAILS=[32])
    _store(app, photos, img)
    with app.app_context():
        photos.backend.save(io.BytesIO(b"junk"), "broken.png", overwrite=False)
    assert rerender(app).exit_code == 3  # leaves a checkpoint: 3 done, 1 failed
    assert "3 skipped" in rerender(app).stdout
    assert "0 skipped" in rerender(app, "--restart").stdout
    changed = local(PHOTOS_FS_IMAGES_THUMBNAILS=[40])
    assert "0 skipped" in rerender(changed).stdout


def test_rerender_needs_an_enabled_known_storage(local):
    app = local()
    result = rerender(app)
    assert result.exit_code == 2
    assert "PHOTOS_FS_IMAGES_THUMBNAILS" in result.stderr
    result = app.test_cli_runner().invoke(args=["fs", "images", "rerender", "nope"])
    assert "No storage named 'nope'" in result.stderr
