"""``flask fs orphans`` with fs-images: thumbnails and WebP variants whose image is gone (the
``derived_files`` hook), never an image uploaded under a name shaped like a variant."""

from __future__ import annotations

import io
import json

import fs_images


def test_variants_of_a_missing_image_are_orphans(make_app, photos, img):
    app = make_app(photos, PHOTOS_FS_IMAGES_THUMBNAILS=[32], PHOTOS_FS_IMAGES_WEBP=True)
    run = app.test_cli_runner().invoke
    with app.app_context():
        photos.save(io.BytesIO(img.jpeg()), "kept.jpg")
        photos.save(io.BytesIO(img.jpeg()), "lost.jpg")
        photos.save(io.BytesIO(img.jpeg()), "own-32.jpg")  # an image of its own, named like a thumbnail
        photos.backend.delete("lost.jpg")  # as a crash between the image and its variants would
        stored = set(photos.list_files())
        assert {"lost-32.jpg", "lost.jpg.webp", "lost-32.jpg.webp", "own-32-32.jpg"} <= stored
        result = run(args=["fs", "orphans", "photos", "--older-than", "0", "--json"])
        assert result.exit_code == 0, result.output
        found = json.loads(result.stdout)
        assert {o["name"] for o in found} == {"lost-32.jpg", "lost.jpg.webp", "lost-32.jpg.webp"}
        assert {o["kind"] for o in found} == {"derived"}
        removed = run(args=["fs", "orphans", "photos", "--older-than", "0", "--delete", "--yes"])
        assert removed.exit_code == 0, removed.output
        assert set(photos.list_files()) == stored - {"lost-32.jpg", "lost.jpg.webp", "lost-32.jpg.webp"}
        assert "kept-32.jpg" in photos.list_files()
        assert "own-32.jpg" in photos.list_files()


def test_public_api_and_storages_without_processing(make_app, photos, img):
    settings = fs_images.ImageSettings(thumbnails=(64,))
    names = {"a.jpg", "a-64.jpg", "b-64.jpg", "b-64.jpg.webp", "c-original.png", "notes-64.txt"}
    assert fs_images.derived_files(names, settings) == {
        "a-64.jpg": ["a.jpg"],
        "b-64.jpg": ["b.jpg"],
        "b-64.jpg.webp": ["b-64.jpg", "b.jpg"],
        "c-original.png": ["c.png"],
    }
    app = make_app(photos)  # no image processing configured: fs-images names nothing
    with app.app_context():
        photos.backend.write("x-64.jpg", b"not a variant here")
        assert list(photos.orphans(older_than=0)) == []
