"""fs-mongoengine's fields against doing the same by hand with plain mongoengine, same run.

Where: the MongoDB server ``FS_TEST_MONGO_URL`` names, else mongomock in this process; the
files go to fs-core's ``memory`` backend, so what is compared is what the fields add (their
values, hooks and queries), not a storage service. On mongomock there are no round trips:
each extra query costs less than on a server, so run it there before reading the ratios of
the queries (delete) as speeds.

For ``N`` documents, each side does the same work:

* **save**: store an upload and save a document naming it. Fields: ``doc.file.save(upload,
  name)`` then ``doc.save()``. By hand: ``Storage.save`` then a document with a plain
  ``DictField`` holding ``{'filename': name}`` (the same stored shape);
* **load + url**: load every document and build its file's URL (``doc.file.url`` against
  ``Storage.url(doc.file['filename'])``);
* **delete**: delete every document and its file. Fields: ``delete_files=True``, so each
  delete first asks the database whether another document references the file (one query
  per collection a field of the storage is in). By hand: ``doc.delete()`` and
  ``Storage.delete``, with no such check;
* **image save**: store a 640x480 JPEG with two thumbnails. ``ImageField.save`` (fs-images
  through the fields' plugin, which also checks the variants' names and sets the replaced
  image aside) against ``Storage.save`` then ``fs_images.process`` with the same settings
  and a ``DictField`` document of the same shape.

Each contender runs ``--runs`` times in a rotating order; the table gives the median
throughput of each, the median ratio (fields / by hand: 1.0 means as fast) and its spread
(lowest-highest ratio over the runs).

    ./dev bench bench_mongoengine [--runs 5] [--docs 300]
"""

from __future__ import annotations

import argparse
import io
import sys
from typing import Any

from _common import table
from bench_local_io import paired, row


def connect() -> tuple[Any, str]:
    import mongoengine

    from fs_testservers import mongo_target

    target = mongo_target()
    database = target.database_name()
    options: dict[str, Any] = {}
    if target.client_class is not None:
        options["mongo_client_class"] = target.client_class
    mongoengine.connect(db=database, host=target.url, **options)
    return target, database


def build() -> dict[str, Any]:
    """The storages, document classes and app both sides use."""
    import mongoengine as me
    from flask import Flask

    import fs_core as fs
    from fs_mongoengine import FileField, ImageField

    files = fs.Storage("benchfiles", fs.ALL)
    pics = fs.Storage("benchpics", fs.IMAGES)

    class WithField(me.Document):
        file = FileField(fs=files, delete_files=True)

    class ByHand(me.Document):
        file = me.DictField()

    class WithImage(me.Document):
        image = ImageField(fs=pics, thumbnails=[256, 64])

    class ImageByHand(me.Document):
        image = me.DictField()

    app = Flask("bench_mongoengine")
    app.config.update(FS_BACKEND="memory", SERVER_NAME="bench.test")
    fs.init_app(app, files, pics)
    return {
        "app": app,
        "files": files,
        "pics": pics,
        "WithField": WithField,
        "ByHand": ByHand,
        "WithImage": WithImage,
        "ImageByHand": ImageByHand,
    }


def jpeg() -> bytes:
    from PIL import Image

    small = Image.effect_noise((80, 60), 80).convert("RGB")
    out = io.BytesIO()
    small.resize((640, 480), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--images", type=int, default=20)
    args = parser.parse_args()

    import fs_images

    target, database = connect()
    env = build()
    app, files, pics = env["app"], env["files"], env["pics"]
    WithField, ByHand = env["WithField"], env["ByHand"]
    WithImage, ImageByHand = env["WithImage"], env["ImageByHand"]
    count, payload = args.docs, b"x" * 4096
    names = [f"docs/{i:05d}.txt" for i in range(count)]
    hand_names = [f"hand/{i:05d}.txt" for i in range(count)]

    def clear() -> None:
        for document in (WithField, ByHand, WithImage, ImageByHand):
            document.objects.delete()
        for storage in (files, pics):
            for name in list(storage.list_files()):
                storage.backend.delete(name)

    def save_fields() -> None:
        for name in names:
            doc = WithField()
            doc.file.save(io.BytesIO(payload), name)
            doc.save()

    def save_by_hand() -> None:
        for name in hand_names:
            stored = files.save(io.BytesIO(payload), name)
            ByHand(file={"filename": stored}).save()

    def load_fields() -> None:
        urls = [doc.file.url for doc in WithField.objects]
        assert len(urls) == count

    def load_by_hand() -> None:
        urls = [files.url(doc.file["filename"]) for doc in ByHand.objects]
        assert len(urls) == count

    def delete_fields() -> None:
        for doc in WithField.objects:
            doc.delete()
        assert not list(files.list_files("docs"))

    def delete_by_hand() -> None:
        for doc in ByHand.objects:
            doc.delete()
            files.delete(doc.file["filename"])
        assert not list(files.list_files("hand"))

    def both_saved() -> None:
        clear()
        save_fields()
        save_by_hand()

    image = jpeg()
    image_names = [f"{i:04d}.jpg" for i in range(args.images)]
    settings = fs_images.ImageSettings(thumbnails=(256, 64))

    def images_fields() -> None:
        for name in image_names:
            doc = WithImage()
            doc.image.save(io.BytesIO(image), f"fields/{name}")
            doc.save()

    def images_by_hand() -> None:
        for name in image_names:
            stored = pics.save(io.BytesIO(image), f"hand/{name}")
            processed = fs_images.process(pics, stored, settings)
            thumbnails = {str(size): thumb for size, thumb in processed.thumbnails.items()}
            ImageByHand(image={"filename": stored, "thumbnails": thumbnails}).save()

    rows = []
    try:
        with app.app_context():
            print(f"fs-mongoengine vs by hand on {target.name}, {count} documents", file=sys.stderr)

            def nothing() -> None:
                pass

            # (operation, fields, by hand, once before, before each run, documents)
            for operation, fields, by_hand, once, each, n in (
                ("save (upload + document)", save_fields, save_by_hand, nothing, clear, count),
                ("load + URL", load_fields, load_by_hand, both_saved, nothing, count),
                ("delete (document + file)", delete_fields, delete_by_hand, nothing, both_saved, count),
                ("image save (2 thumbnails)", images_fields, images_by_hand, nothing, clear, args.images),
            ):
                once()
                times = paired(args.runs, {"fields": fields, "hand": by_hand}, each)
                rows.append(row(target.name, operation, n, times["hand"], times["fields"]))
                print(f"  {operation:26s} {rows[-1][4]:.2f}", file=sys.stderr)
    finally:
        client = target.client()
        client.drop_database(database)
        client.close()
    table(
        f"fs-mongoengine against plain mongoengine (memory backend, {args.runs} runs; ratio = "
        f"fields / by hand, median of per-run ratios)",
        ["database", "operation", "by hand docs/s", "fields docs/s", "ratio", "ratio range"],
        rows,
    )


if __name__ == "__main__":
    main()
