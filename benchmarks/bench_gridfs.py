"""fs-gridfs against plain ``GridFSBucket`` on the same database, in the same run; peak RSS.

Where: the MongoDB server ``FS_TEST_MONGO_URL`` names, else mongomock in this process (the
only MongoDB this project's machines have). **On mongomock the figures measure the code path**
(what each side does in Python per file, per chunk and per query), not a server: there is no
network, and mongomock's own cost per query grows with the collection. On a real server
round trips dominate, so run it there before reading the ratios as speeds.

On the same database, the same bytes go through:

* **fs-gridfs**: ``Storage.save`` (create-only, the default) and ``Storage.open(..., 'rb')``
  read to the end, on a storage configured through the app config as users do; and
  ``Storage.save(overwrite=True)`` (which also removes the version it replaces);
* **GridFSBucket**: ``upload_from_stream`` and ``open_download_stream`` read to the end, with
  pymongo's defaults (255 KiB chunks, as fs-gridfs's), which keep every version blindly.

Workloads: many small files (from memory) and one large file (from a file on disk). The ratio
is fs-gridfs throughput / GridFSBucket throughput (1.0 means as fast).

Then, in fresh processes, the peak RSS (VmHWM) of saving then serving one large generated file
through ``Storage.save`` and the ``fs.get_file`` view, against ``upload_from_stream`` and
``download_to_stream`` into a sink. On mongomock the stored bytes live in the measuring process
too, so what is reported is the growth **beyond the file's own size** (the same for both sides).

    ./dev bench bench_gridfs [--runs 3] [--large-mib 64] [--rss-sizes 64,256]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from typing import Any

from _common import Sink, Variant, compare, peak_rss_kib, rss_row, serve_through_view, table

MiB = 1 << 20


def target() -> Any:
    from fs_testservers import mongo_target

    return mongo_target()


def make_app(database: str) -> tuple[Any, Any]:
    """A Flask app with the storage ``files`` on the gridfs backend, in ``database``."""
    from flask import Flask

    import fs_core as fs

    app = Flask("bench_gridfs")
    config = target().fs_config(database)
    app.config.update(FS_BACKEND="gridfs", **{f"FS_GRIDFS_{k.upper()}": v for k, v in config.items()})
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files)
    return app, files


def throughput(runs: int, large_mib: int, workdir: str) -> list[list[object]]:
    import gridfs

    from fs_core import streams
    from fs_core.testing import PatternStream

    where = target()
    database = where.database_name()
    app, files = make_app(database)
    client = where.client()
    plain = gridfs.GridFSBucket(client[database], bucket_name="plain")
    with app.app_context():
        files.write("warm-up.txt", b"x", overwrite=True)  # client made, indexes made
    plain.upload_from_stream("warm-up.txt", io.BytesIO(b"x"))

    def in_app(fn: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            with app.app_context():
                return fn()

        return run

    def plain_cleanup(prefix: str) -> None:
        for doc in plain.find({"filename": {"$regex": f"^{prefix}/"}}):
            plain.delete(doc._id)

    rows: list[list[object]] = []
    try:
        for count, size in ((200, 256 * 1024), (1000, 4 * 1024)):
            data = os.urandom(size)
            names = [f"small/{i:05d}.bin" for i in range(count)]

            def fs_save(names: list[str] = names, data: bytes = data, overwrite: bool | None = None) -> None:
                for name in names:
                    files.save(io.BytesIO(data), name, overwrite=overwrite)

            def fs_read(names: list[str] = names) -> None:
                sink = Sink()
                for name in names:
                    with files.open(name, "rb") as f:
                        streams.copy_stream(f, sink.write)

            def plain_upload(names: list[str] = names, data: bytes = data) -> None:
                for name in names:
                    plain.upload_from_stream(name, io.BytesIO(data))

            def plain_download(names: list[str] = names) -> None:
                sink = Sink()
                for name in names:
                    plain.download_to_stream_by_name(name, sink)

            delete_fs = in_app(lambda: files.delete("small"))
            rows += compare(
                where.name,
                f"{count} x {size // 1024:,} KiB",
                count * size,
                runs,
                [
                    Variant("Storage.save / Storage.open", in_app(fs_save), in_app(fs_read), delete_fs),
                    Variant(
                        "Storage.save(overwrite=True)",
                        in_app(partial(fs_save, overwrite=True)),
                        None,
                        delete_fs,
                    ),
                    Variant("GridFSBucket", plain_upload, plain_download, lambda: plain_cleanup("small")),
                ],
            )

        large_path = os.path.join(workdir, "large.bin")
        with open(large_path, "wb") as out:
            streams.copy_stream(PatternStream(large_mib * MiB), out.write)
        name = "large/one.bin"

        def fs_save_large() -> None:
            with open(large_path, "rb") as f:
                files.save(f, name)

        def plain_upload_large() -> None:
            with open(large_path, "rb") as f:
                plain.upload_from_stream(name, f)

        rows += compare(
            where.name,
            f"1 x {large_mib} MiB",
            large_mib * MiB,
            runs,
            [
                Variant(
                    "Storage.save / Storage.open",
                    in_app(fs_save_large),
                    in_app(lambda: streams.copy_stream(files.open(name, "rb"), Sink().write)),
                    in_app(lambda: files.delete("large")),
                ),
                Variant(
                    "GridFSBucket",
                    plain_upload_large,
                    lambda: plain.download_to_stream_by_name(name, Sink()),
                    lambda: plain_cleanup("large"),
                ),
            ],
        )
    finally:
        client.drop_database(database)
        client.close()
    return rows


# -- peak RSS -------------------------------------------------------------------------------------


def child(mode: str, size_mib: int) -> None:
    """In a fresh process: store and read back one generated file; print the VmHWM figures."""
    from fs_core.testing import PatternStream

    size = size_mib * MiB
    where = target()
    database = where.database_name()
    if mode == "fs-gridfs":
        app, files = make_app(database)
        with app.app_context():
            files.write("warm-up.txt", b"x", overwrite=True)  # pymongo imported, client made
            baseline = peak_rss_kib()
            files.save(PatternStream(size), "big.bin", overwrite=True)
            after_save = peak_rss_kib()
        served = serve_through_view(app, "/files/big.bin")
        assert served == size, served
    else:
        import gridfs

        client = where.client()
        plain = gridfs.GridFSBucket(client[database], bucket_name="plain")
        plain.upload_from_stream("warm-up.txt", io.BytesIO(b"x"))
        baseline = peak_rss_kib()
        plain.upload_from_stream("big.bin", PatternStream(size))
        after_save = peak_rss_kib()
        sink = Sink()
        plain.download_to_stream_by_name("big.bin", sink)
        assert sink.count == size, sink.count
    stored = 0 if where.real else size // 1024  # mongomock keeps the file in this process
    peaks = {"baseline": baseline, "save": after_save - stored, "serve": peak_rss_kib() - stored}
    client = where.client()
    client.drop_database(database)
    print(json.dumps(peaks))


def peak_rss(sizes: list[int]) -> list[list[object]]:
    rows = []
    env = dict(os.environ)
    for mode in ("fs-gridfs", "GridFSBucket"):
        for size in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(size)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
            peaks = json.loads(out)
            what = "save + serve (fs.get_file)" if mode == "fs-gridfs" else "upload + download_to_stream"
            rows.append(rss_row(target().name, f"{mode}: {what}", size, peaks))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--large-mib", type=int, default=64)
    parser.add_argument("--rss-sizes", default="64,256")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return

    import pymongo

    import fs_gridfs

    where = target()
    print(
        f"fs-gridfs {fs_gridfs.__version__}, pymongo {pymongo.__version__}, on {where.name}", file=sys.stderr
    )
    with tempfile.TemporaryDirectory(prefix="fs-bench-gridfs-") as workdir:
        rows = throughput(args.runs, args.large_mib, workdir)
    sizes = [int(s) for s in args.rss_sizes.split(",") if s]
    rss_rows = peak_rss(sizes) if sizes else []
    note = "" if where.real else " (mongomock: the code path, not a server)"
    table(
        f"fs-gridfs against plain GridFSBucket, same database, same run{note} "
        f"(MiB/s: median of {args.runs} runs; ratio = fs-gridfs / GridFSBucket throughput, "
        "median and range of the per-run ratios)",
        [
            "target",
            "files",
            "direction",
            "fs-gridfs",
            "fs-gridfs MiB/s",
            "GridFSBucket MiB/s",
            "ratio",
            "ratio range",
        ],
        rows,
    )
    if rss_rows:
        beyond = "" if where.real else ", beyond the file's own size (mongomock stores in the process)"
        table(
            f"Peak RSS (VmHWM) of a process storing then reading one generated file (MiB{beyond})",
            ["target", "what", "file size", "after warm-up", "after save", "after read", "growth"],
            rss_rows,
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
