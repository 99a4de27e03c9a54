"""fs-s3 against plain boto3 on the same S3 server, in the same run; peak RSS of large files.

Starts its own servers (``fs_testservers``): moto in server mode, and OpenStack Swift's s3api
when it is installed. On each server, the same bytes go through:

* **fs-s3**: ``Storage.save`` (create-only, the default: a conditional PUT on moto, a HEAD and
  a PUT on Swift, which has no conditional PUT) and ``Storage.open(..., 'rb')`` read to the
  end, on a storage configured through the app config as users do;
* **boto3**: ``client.upload_fileobj`` and ``client.download_fileobj`` with boto3's defaults
  (``TransferConfig``: 8 MiB parts, 10 threads), which overwrite blindly.

Workloads: many small objects (from memory) and one large object (from a file on disk, read
back into a sink that discards). The ratio is fs-s3 throughput / boto3 throughput (1.0 means
as fast). Objects are deleted between runs: moto keeps everything in memory.

Then, in fresh processes, the peak RSS (VmHWM) of saving and serving one large generated file
through ``Storage.save`` and the ``fs.get_file`` view (werkzeug's test client, body consumed
chunk by chunk): it must not grow with the file. boto3's ``upload_fileobj`` and
``download_fileobj`` with their defaults are measured the same way for comparison. Swift is
used for this part when available (it stores on disk; moto would hold the GiB in memory).

    ./dev bench bench_s3 [--runs 3] [--large-mib 200] [--rss-sizes 256,1024] [--services moto,swift]
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


def make_app(config: dict[str, Any], bucket: str) -> tuple[Any, Any]:
    """A Flask app with the storage ``files`` on the s3 backend, in the shared ``bucket``."""
    from flask import Flask

    import fs_core as fs

    app = Flask("bench_s3")
    app.config.update(
        FS_BACKEND="s3",
        FS_S3_BUCKET=bucket,
        **{f"FS_S3_{key.upper()}": value for key, value in config.items()},
    )
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files)
    return app, files


def throughput(server: Any, runs: int, large_mib: int, workdir: str) -> list[list[object]]:
    import boto3

    from fs_core import streams
    from fs_core.config import Config
    from fs_core.testing import PatternStream
    from fs_s3.backend import S3Backend

    config = server.fs_config()
    app, files = make_app(config, "bench-fs")
    tuned_config = dict(config, multipart_chunksize="16MiB", multipart_threshold="16MiB", max_concurrency=4)
    tuned_app, tuned = make_app(tuned_config, "bench-fs-tuned")
    raw_bucket = "bench-raw"
    plain = boto3.client("s3", **server.client_kwargs())
    # Deleting the baseline's objects needs a Content-MD5 on Swift: fs-s3's client has it.
    cleaner = S3Backend("raw", Config(config, bucket=raw_bucket, key_prefix=""))
    cleaner.client.create_bucket(Bucket=raw_bucket)
    for each_app, storage in ((app, files), (tuned_app, tuned)):
        with each_app.app_context():
            storage.write("warm-up.txt", b"x", overwrite=True)  # clients built, bucket checked

    def in_app(fn: Callable[[], object], each_app: Any = app) -> Callable[[], object]:
        def run() -> object:
            with each_app.app_context():
                return fn()

        return run

    def fs_reader(storage: Any, names: list[str]) -> Callable[[], None]:
        def read() -> None:
            sink = Sink()
            for name in names:
                with storage.open(name, "rb") as f:
                    streams.copy_stream(f, sink.write)

        return read

    rows: list[list[object]] = []
    for count, size in ((200, MiB), (1000, 10 * 1024)):
        data = os.urandom(size)
        names = [f"small/{i:05d}.bin" for i in range(count)]

        def fs_save(names: list[str] = names, data: bytes = data, overwrite: bool | None = None) -> None:
            for name in names:
                files.save(io.BytesIO(data), name, overwrite=overwrite)

        def raw_upload(names: list[str] = names, data: bytes = data) -> None:
            for name in names:
                plain.upload_fileobj(io.BytesIO(data), raw_bucket, name)

        def raw_download(names: list[str] = names) -> None:
            sink = Sink()
            for name in names:
                plain.download_fileobj(raw_bucket, name, sink)

        delete_fs = in_app(lambda: files.delete("small"))
        rows += compare(
            server.name,
            f"{count} x {size // 1024:,} KiB",
            count * size,
            runs,
            [
                Variant(
                    "Storage.save / Storage.open", in_app(fs_save), in_app(fs_reader(files, names)), delete_fs
                ),
                Variant(
                    "Storage.save(overwrite=True)", in_app(partial(fs_save, overwrite=True)), None, delete_fs
                ),
                Variant("boto3", raw_upload, raw_download, lambda: cleaner.delete("small")),
            ],
        )

    large_path = os.path.join(workdir, "large.bin")
    with open(large_path, "wb") as out:
        streams.copy_stream(PatternStream(large_mib * MiB), out.write)
    name = "large/one.bin"

    def fs_save_large(storage: Any = files) -> None:
        with open(large_path, "rb") as f:
            storage.save(f, name)

    def raw_upload_large() -> None:
        with open(large_path, "rb") as f:
            plain.upload_fileobj(f, raw_bucket, name)

    rows += compare(
        server.name,
        f"1 x {large_mib} MiB",
        large_mib * MiB,
        runs,
        [
            Variant(
                "defaults (6 MiB parts x 2)",
                in_app(fs_save_large),
                in_app(fs_reader(files, [name])),
                in_app(lambda: files.delete("large")),
            ),
            Variant(
                "16 MiB parts x 4",
                in_app(partial(fs_save_large, tuned), tuned_app),
                None,
                in_app(lambda: tuned.delete("large"), tuned_app),
            ),
            Variant(
                "boto3",
                raw_upload_large,
                lambda: plain.download_fileobj(raw_bucket, name, Sink()),
                lambda: cleaner.delete("large"),
            ),
        ],
    )
    for each_app, storage in ((app, files), (tuned_app, tuned)):
        with each_app.app_context():
            storage.delete("warm-up.txt")
    return rows


# -- peak RSS -------------------------------------------------------------------------------------


def child(mode: str, size_mib: int, config_json: str) -> None:
    """In a fresh process: store and read back one generated file; print the VmHWM figures."""
    from fs_core.testing import PatternStream

    config = json.loads(config_json)
    size = size_mib * MiB
    if mode == "fs-s3":
        app, files = make_app(config, "bench-rss")
        with app.app_context():
            files.write("warm-up.txt", b"x", overwrite=True)  # boto3 imported, clients built
            baseline = peak_rss_kib()
            files.save(PatternStream(size), "big.bin", overwrite=True)
            after_save = peak_rss_kib()
        served = serve_through_view(app, "/files/big.bin")
        assert served == size, served
        with app.app_context():
            files.delete("big.bin")
            files.delete("warm-up.txt")
    else:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=config["endpoint"],
            aws_access_key_id=config["access_key"],
            aws_secret_access_key=config["secret_key"],
            region_name=config["region"],
        )
        try:
            client.create_bucket(Bucket="bench-rss")
        except client.exceptions.ClientError:
            pass  # it exists
        client.upload_fileobj(io.BytesIO(b"x"), "bench-rss", "warm-up.txt")
        baseline = peak_rss_kib()
        client.upload_fileobj(PatternStream(size), "bench-rss", "big.bin")
        after_save = peak_rss_kib()
        sink = Sink()
        client.download_fileobj("bench-rss", "big.bin", sink)
        assert sink.count == size, sink.count
        client.delete_object(Bucket="bench-rss", Key="big.bin")
        client.delete_object(Bucket="bench-rss", Key="warm-up.txt")
    print(json.dumps({"baseline": baseline, "save": after_save, "serve": peak_rss_kib()}))


def peak_rss(server: Any, sizes: list[int]) -> list[list[object]]:
    rows = []
    config = json.dumps(server.fs_config())
    for mode in ("fs-s3", "boto3"):
        for size in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(size), config],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            peaks = json.loads(out)
            what = "save + serve (fs.get_file)" if mode == "fs-s3" else "upload_fileobj + download_fileobj"
            rows.append(rss_row(server.name, f"{mode}: {what}", size, peaks))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--large-mib", type=int, default=200)
    parser.add_argument("--rss-sizes", default="256,1024")
    parser.add_argument("--services", default="moto,swift")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return

    import boto3

    import fs_s3
    from fs_testservers import MotoServer, ServiceUnavailable, SwiftServer

    print(f"fs-s3 {fs_s3.__version__}, boto3 {boto3.__version__}", file=sys.stderr)
    classes = {"moto": MotoServer, "swift": SwiftServer}
    rows: list[list[object]] = []
    rss_rows: list[list[object]] = []
    sizes = [int(s) for s in args.rss_sizes.split(",") if s]
    started = []
    try:
        for name in [s for s in args.services.split(",") if s]:
            try:
                started.append(classes[name]().start())
            except ServiceUnavailable as exc:
                print(f"{name}: skipped ({exc})", file=sys.stderr)
        for server in started:
            with tempfile.TemporaryDirectory(prefix="fs-bench-s3-") as workdir:
                rows += throughput(server, args.runs, args.large_mib, workdir)
        # Swift keeps large files on disk; moto would hold them in memory (as its own RSS).
        disk = [s for s in started if s.name == "swift"] or started
        if sizes and disk:
            rss_rows = peak_rss(disk[0], sizes)
    finally:
        for server in started:
            server.stop()
    table(
        f"fs-s3 against plain boto3 (defaults: 8 MiB parts x 10 threads), same server, same run "
        f"(MiB/s: median of {args.runs} runs; ratio = fs-s3 / boto3 throughput, "
        "median and range of the per-run ratios)",
        ["server", "objects", "direction", "fs-s3", "fs-s3 MiB/s", "boto3 MiB/s", "ratio", "ratio range"],
        rows,
    )
    if rss_rows:
        table(
            "Peak RSS (VmHWM) of a process storing then reading one generated file (MiB)",
            ["server", "what", "file size", "after warm-up", "after save", "after read", "growth"],
            rss_rows,
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
