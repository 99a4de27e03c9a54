"""``flask fs sync`` against boto3's own transfer manager, on the same S3 server, same run.

Starts its own servers (``fs_testservers``): moto in server mode, and OpenStack Swift's s3api
when it is installed. On each, the same local folder goes up and comes back down:

* **fs**: :func:`fs_core.sync.sync` (what ``flask fs sync ./folder bucket`` runs, without the
  process start-up), from a local folder (fs-local) to an S3 storage (fs-s3) and back to an
  empty folder, ``--jobs`` files at a time;
* **boto3**: one ``s3transfer`` ``TransferManager`` (what ``aws s3 sync`` runs underneath)
  with as many threads, uploading every file with ``upload`` and downloading with
  ``download``, waiting for all; it compares nothing and overwrites blindly.

Workloads: many small files, and a few large ones (multipart). The ratio is fs throughput /
boto3 throughput (1.0: as fast), the median of the per-run ratios with their range (the
variants run in a rotating order). The bucket and the download folder are emptied between runs.

    ./dev bench bench_sync [--runs 3] [--small 1000] [--small-kib 16] [--large 3] [--large-mib 64]
                           [--jobs 8] [--services moto,swift] [--s3-max-concurrency N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import Variant, compare, table
from _servers import s3_servers

MiB = 1 << 20


def make_tree(folder: Path, count: int, size: int) -> int:
    """``count`` files of ``size`` random bytes under ``folder``, in 20 subfolders."""
    for i in range(count):
        path = folder / f"d{i % 20}" / f"f{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return count * size


#: ``--s3-max-concurrency``: fs-s3's MAX_CONCURRENCY (parts of one file sent at a time).
S3_OPTIONS: dict[str, Any] = {}


def app_for(server: Any, bucket: str, root: str) -> tuple[Any, Any]:
    from flask import Flask

    import fs_core as fs

    storage = fs.Storage("bucket", fs.ALL)
    app = Flask("bench_sync")
    app.config.update(SECRET_KEY="x", FS_ROOT=root, BUCKET_FS_BACKEND="s3", BUCKET_FS_BUCKET=bucket)
    app.config.update({f"FS_S3_{k.upper()}": v for k, v in server.fs_config().items()})
    app.config["BUCKET_FS_KEY_PREFIX"] = ""
    app.config.update({f"BUCKET_FS_{key.upper()}": value for key, value in S3_OPTIONS.items()})
    fs.init_app(app, storage)
    return app, storage


def workload(
    server: Any, name: str, count: int, size: int, runs: int, jobs: int, work: Path
) -> list[list[object]]:
    """Upload (``write``) then download (``read``) one tree with both, ``runs`` times."""
    import boto3
    from boto3.s3.transfer import TransferConfig
    from s3transfer.manager import TransferManager

    from fs_core.locations import Location
    from fs_core.sync import SyncOptions, sync
    from fs_testservers import empty_bucket, unique_name

    source = work / f"{name}-src"
    total = make_tree(source, count, size)
    names = sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.is_file())
    bucket = unique_name("bench")
    app, storage = app_for(server, bucket, str(work / "root"))
    client = boto3.client("s3", **server.client_kwargs())
    down = work / f"{name}-down"
    with app.app_context():
        storage.backend._ready()  # the bucket, made on first use
        deleter = storage.backend.client  # a client DeleteObjects works with on Swift too
        state = app.extensions["fs"]
        options = SyncOptions(jobs=jobs)
        config = TransferConfig(max_concurrency=jobs)

        def fs_sync(src: Location, dst: Location) -> None:
            report = sync(src, dst, options)
            if not report.ok or report.copied != count:
                raise RuntimeError(f"the sync failed: {report.as_dict()}")

        def raw(method: str) -> None:
            with TransferManager(client, config) as manager:
                futures = []
                for n in names:
                    if method == "download":
                        (down / n).parent.mkdir(parents=True, exist_ok=True)
                        futures.append(manager.download(bucket, n, str(down / n)))
                    else:
                        futures.append(manager.upload(str(source / n), bucket, n))
                for future in futures:
                    future.result()

        def cleanup() -> None:
            empty_bucket(deleter, bucket)
            shutil.rmtree(down, ignore_errors=True)

        variants = [
            Variant(
                "flask fs sync",
                lambda: fs_sync(Location.of_folder(state, source), Location.of_storage(storage)),
                lambda: fs_sync(Location.of_storage(storage), Location.of_folder(state, down)),
                cleanup,
            ),
            Variant("boto3 TransferManager", lambda: raw("upload"), lambda: raw("download"), cleanup),
        ]
        what = f"{count:,} x {size // 1024:,} KiB" if size < MiB else f"{count:,} x {size // MiB:,} MiB"
        rows = compare(server.name, what, total, runs, variants)
        empty_bucket(deleter, bucket, delete_bucket=True)
    for row in rows:
        row[2] = {"write": "local -> S3", "read": "S3 -> local"}[str(row[2])]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--small-kib", type=int, default=16)
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--large-mib", type=int, default=64)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--services", default="moto,swift")
    parser.add_argument("--s3-max-concurrency", type=int, help="fs-s3's MAX_CONCURRENCY (default: its own)")
    args = parser.parse_args()
    if args.s3_max_concurrency:
        S3_OPTIONS["max_concurrency"] = args.s3_max_concurrency

    import boto3

    import fs_core

    print(f"fs-core {fs_core.__version__}, boto3 {boto3.__version__}", file=sys.stderr)
    rows: list[list[object]] = []
    with s3_servers(args.services) as started:
        for server in started:
            with tempfile.TemporaryDirectory(prefix="fs-bench-sync-") as workdir:
                work = Path(workdir)
                rows += workload(
                    server, "small", args.small, args.small_kib * 1024, args.runs, args.jobs, work
                )
                rows += workload(
                    server, "large", args.large, args.large_mib * MiB, args.runs, args.jobs, work
                )
    table(
        f"flask fs sync against boto3's TransferManager ({args.jobs} files / threads at a time), same "
        f"server, same run (median of {args.runs}; MiB/s; ratio = fs / boto3 throughput, and its range "
        f"over the runs)",
        ["server", "files", "direction", "fs", "fs MiB/s", "boto3 MiB/s", "ratio", "ratio range"],
        rows,
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
