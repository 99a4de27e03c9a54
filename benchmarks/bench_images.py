"""Thumbnails in three sizes from one upload: fs-images against the naive way, same run.

Inputs, generated here with Pillow (no numpy): a 12-megapixel (4000x3000) photo-like image,
saved as a JPEG at quality 90 and as a PNG. For each input, three square thumbnails
(1024, 256 and 64 px, centre crop) are made and encoded in the source's format (JPEG at
quality 85, PNG at Pillow's default level 6) by:

* **naive**: what Flask-FS did, once per size: open the file, decode it at full size,
  resize (``ImageOps.fit``, LANCZOS), encode (Flask-FS then wrote PNG whatever the source);
* **fs-images render**: the pipeline's own work: one open, one decode at the smallest scale
  that serves 1024 px (JPEG draft mode), the three sizes cascaded down, three encodes;
* **one decode**: the floor: decoding the image once, at the scale the 1024 px output needs
  (a JPEG in draft mode, ``Image.draft``; a PNG whole), nothing else;
* **fs-images Storage.save**: what an application gets: ``Storage.save`` on a storage with
  ``IMAGES_THUMBNAILS = [1024, 256, 64]`` (memory backend), which also checks the upload
  before storing it and stores the original and the three thumbnails. Each run replaces the
  image of the run before, so it includes the copy of the replaced image that fs-core keeps
  until processing succeeded (``will_process``), in memory here.

Each method runs in its own process (1 warm-up, then ``--runs`` timed runs, median); its
peak RSS (VmHWM) is read before the first image (baseline) and at the end.

**Peak memory** of one upload, each case in a fresh process (peak RSS growth over the
interpreter once everything is imported): a PNG at the default pixel limit
(``IMAGES_MAX_PIXELS``, 8000x8000 = 64 MP), RGB and RGBA, and a small PNG carrying a 50 MB
text chunk, saved with ``Storage.save`` on fs-local with the README's typical configuration
(thumbnails 256 and 64, ``MAX_SIZE = 2048``, WebP variants), against the naive way (as above,
for thumbnails 1024, 256 and 64).

    ./dev bench bench_images [--runs 7] [--no-memory]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile

from _common import median_time, peak_rss_kib, table

SIZES = (1024, 256, 64)
METHODS = ("one decode", "naive", "fs-images render", "fs-images Storage.save")
WIDTH, HEIGHT = 4000, 3000
#: The memory cases: an image at IMAGES_MAX_PIXELS' default (64,000,000), and a text chunk.
LIMIT_SIDE = 8000
TEXT_CHUNK = 50 * 10**6
MEMORY_METHODS = ("naive", "fs-images Storage.save")


def generate(folder: str) -> dict[str, str]:
    """A photo-like 12 MP image: colour fields at three scales, a gradient, and noise."""
    from PIL import Image, ImageChops

    rng = random.Random(12345)
    layers = []
    for cells in (6, 40, 250):
        field = Image.new("RGB", (cells, cells * HEIGHT // WIDTH))
        field.putdata(
            [tuple(rng.randrange(256) for _ in range(3)) for _ in range(field.width * field.height)]
        )
        layers.append(field.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC))
    image = Image.blend(Image.blend(layers[0], layers[1], 0.4), layers[2], 0.25)
    gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    image = ImageChops.multiply(image, ImageChops.invert(gradient).point(lambda v: 128 + v // 2))
    noise = Image.merge("RGB", [Image.effect_noise((WIDTH, HEIGHT), 40) for _ in range(3)])
    image = Image.blend(image, noise, 0.2)
    paths = {
        "12MP JPEG q90": os.path.join(folder, "photo.jpg"),
        "12MP PNG": os.path.join(folder, "photo.png"),
    }
    image.save(paths["12MP JPEG q90"], "JPEG", quality=90)
    image.save(paths["12MP PNG"], "PNG")
    return paths


def generate_memory_cases(folder: str) -> dict[str, str]:
    """A 64 MP PNG, RGB and RGBA (gradients and shapes: quick to make, every pixel decoded all
    the same), and a 64x64 PNG with a 50 MB tEXt chunk before its pixels."""
    import struct
    import zlib

    from PIL import Image, ImageDraw

    side = LIMIT_SIDE
    ramp = Image.linear_gradient("L").resize((side, side))
    image = Image.merge(
        "RGB", [ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp.point(lambda v: 255 - v)]
    )
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.ellipse(
            (i * side // 16, i * side // 20, i * side // 16 + side // 5, i * side // 20 + side // 7),
            fill=(i * 20, 90, 200 - i * 15),
        )
    paths = {
        f"PNG RGB {side}x{side}": os.path.join(folder, "limit-rgb.png"),
        f"PNG RGBA {side}x{side}": os.path.join(folder, "limit-rgba.png"),
        "PNG 64x64 + 50 MB tEXt": os.path.join(folder, "text-chunk.png"),
    }
    image.save(paths[f"PNG RGB {side}x{side}"], "PNG", compress_level=1)
    image.putalpha(ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    image.save(paths[f"PNG RGBA {side}x{side}"], "PNG", compress_level=1)
    del image, draw, ramp
    small = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(small, "PNG")
    data = small.getvalue()
    payload = b"Comment\x00" + b"x" * TEXT_CHUNK
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(payload, zlib.crc32(b"tEXt")))
    with open(paths["PNG 64x64 + 50 MB tEXt"], "wb") as fh:
        fh.write(data[:33] + chunk + data[33:])  # after IHDR, before the pixels
    return paths


def memory_child(method: str, path: str) -> None:
    """One upload in this fresh process; prints its peak RSS growth."""
    import tempfile

    import PIL.Image  # noqa: F401

    name = os.path.basename(path)
    if method == "naive":
        baseline = peak_rss_kib()
        try:
            naive(path)
            outcome = "made"
        except Exception as exc:  # Pillow's own limits
            outcome = f"refused ({type(exc).__name__})"
    else:
        from flask import Flask

        import fs_core
        import fs_images.pipeline  # noqa: F401

        root = tempfile.mkdtemp(prefix="fs-bench-img-")
        app = Flask("bench_images_memory")
        app.config.update(
            FS_BACKEND="local",
            FS_ROOT=root,
            PHOTOS_FS_IMAGES_THUMBNAILS=[256, 64],
            PHOTOS_FS_IMAGES_MAX_SIZE=2048,
            PHOTOS_FS_IMAGES_WEBP="auto",
        )
        photos = fs_core.Storage("photos", fs_core.IMAGES)
        fs_core.init_app(app, photos)
        with app.app_context():
            list(photos.list_files())  # the backend set up before the baseline
            baseline = peak_rss_kib()
            try:
                with open(path, "rb") as fh:
                    photos.save(fh, name)
                outcome = f"{len(list(photos.list_files()))} files stored"
            except fs_core.FSError as exc:
                outcome = f"refused ({type(exc).__name__}), {len(list(photos.list_files()))} stored"
    print(json.dumps({"growth": peak_rss_kib() - baseline, "outcome": outcome}))


def memory(folder: str) -> None:
    inputs = generate_memory_cases(folder)
    rows = []
    for label, path in inputs.items():
        results = {}
        for method in MEMORY_METHODS:
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", method, path],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[method] = json.loads(out)
        fs = results["fs-images Storage.save"]
        rows.append(
            [
                label,
                os.path.getsize(path) / 2**20,
                results["naive"]["growth"] / 1024,
                fs["growth"] / 1024,
                fs["outcome"],
            ]
        )
        os.remove(path)
    table(
        "Peak memory of one upload (RSS growth over the interpreter, a fresh process each; "
        "fs-images: thumbnails 256 and 64, MAX_SIZE 2048, WebP, on fs-local)",
        ["input", "file MiB", "naive MiB", "fs-images Storage.save MiB", "fs-images"],
        rows,
    )


def naive(path: str) -> list[bytes]:
    from PIL import Image, ImageOps

    out = []
    for size in SIZES:
        with Image.open(path) as image:
            image.load()
            fmt = image.format
            thumb = ImageOps.fit(image.convert("RGB"), (size, size), Image.Resampling.LANCZOS)
            buf = io.BytesIO()
            thumb.save(buf, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
            out.append(buf.getvalue())
    return out


def pipeline(path: str) -> list[bytes]:
    from fs_images.processing import Target, decode, encode, open_image, plan_scale, render, upright_size

    with open(path, "rb") as fh:
        image = open_image(fh, path)
        size = upright_size(image)
        targets = [Target(str(s), s, "crop") for s in SIZES]
        decoded = decode(image, scale=plan_scale(targets, size))
        outputs = render(decoded, targets)
        return [
            encode(outputs[str(s)].frames, decoded.format, quality=85, icc_profile=decoded.icc_profile)
            for s in SIZES
        ]


def child(method: str, path: str, runs: int) -> None:
    import PIL.Image  # noqa: F401  (imported before the baseline, as every method needs it)

    if method == "fs-images Storage.save":
        from flask import Flask

        import fs_core

        app = Flask("bench_images")
        app.config.update(
            FS_BACKEND="memory", PHOTOS_FS_IMAGES_THUMBNAILS=list(SIZES), PHOTOS_FS_OVERWRITE=True
        )
        photos = fs_core.Storage("photos", fs_core.IMAGES)
        fs_core.init_app(app, photos)
        name = "photo." + path.rpartition(".")[2]
        with open(path, "rb") as fh:
            data = fh.read()

        def run() -> None:
            with app.app_context():
                photos.save(io.BytesIO(data), name)
                assert len(list(photos.list_files())) == 1 + len(SIZES)

    elif method == "one decode":
        from PIL import Image

        import fs_images.processing

        def run() -> None:
            with Image.open(path) as image:
                image.draft("RGB", (max(SIZES), max(SIZES)))  # JPEG only: others ignore it
                image.load()

    else:
        import fs_images.processing  # noqa: F401

        fn = naive if method == "naive" else pipeline

        def run() -> None:
            outputs = fn(path)
            assert len(outputs) == len(SIZES)

    baseline = peak_rss_kib()
    run()  # warm-up
    median, times = median_time(run, runs)
    print(json.dumps({"median": median, "times": times, "baseline": baseline, "peak": peak_rss_kib()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak memory cases")
    parser.add_argument("--child", nargs=3)
    parser.add_argument("--memory-child", nargs=2)
    args = parser.parse_args()
    if args.child:
        method, path, runs = args.child
        child(method, path, int(runs))
        return
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    with tempfile.TemporaryDirectory(prefix="fs-bench-img-") as folder:
        inputs = generate(folder)
        for label, path in inputs.items():
            results = {}
            for method in METHODS:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", method, path, str(args.runs)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                results[method] = json.loads(out)
            base = results["naive"]["median"]
            floor = results["one decode"]["median"]
            rows = []
            for method in METHODS:
                r = results[method]
                rows.append(
                    [
                        method,
                        r["median"] * 1000,
                        1 / r["median"],
                        base / r["median"],
                        r["median"] / floor,
                        r["peak"] / 1024,
                        (r["peak"] - r["baseline"]) / 1024,
                    ]
                )
            size = os.path.getsize(path)
            table(
                f"{label} ({size / 2**20:.1f} MiB) -> thumbnails {SIZES} px, same format",
                [
                    "method",
                    "ms/image (median)",
                    "images/s",
                    "speed-up vs naive",
                    "x one decode",
                    "peak RSS MiB",
                    "growth MiB",
                ],
                rows,
            )
        if not args.no_memory:
            memory(folder)


if __name__ == "__main__":
    main()
