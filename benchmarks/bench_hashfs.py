"""fs-hashfs's ``put`` against HashFS's own way of storing, in the same run, on local disk.

The baseline is HashFS's ``put`` (hashfs 0.7, reproduced here so that nothing is installed):
``Stream`` reads the whole source with one ``read()`` to hash it, seeks back and reads it
whole again into a ``NamedTemporaryFile`` in the system's temporary folder, then, if the
address is free, creates the folders and moves the file there (``shutil.move``: a copy when
the temporary folder is on another file system). fs-hashfs reads the source once in 1 MiB
chunks, hashing it on its way into a spool (memory up to 8 MiB, then an anonymous temporary
file), and stores it through fs-local's atomic create-only write.

Workloads: 2,000 small files (4 KiB, from memory), 20 files of 8 MiB, one file of 256 MiB
(from a path on disk); then the same puts again (every one a duplicate). The ratio is
fs-hashfs throughput / HashFS throughput (1.0: as fast); each run measures both, in a
rotating order, on empty folders; the table shows the median ratio and its range.

Then, in fresh processes, the peak RSS (VmHWM) of one put of a large generated file: flat for
fs-hashfs, the file's size (twice, at one moment) for HashFS.

    ./dev bench bench_hashfs [--runs 5] [--large-mib 256] [--rss-sizes 128,512] [--dir PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from _common import paired, peak_rss_kib, ratio_row, table

MiB = 1 << 20


class NaiveHashFS:
    """HashFS 0.7's ``put``, as it reads and writes (depth 4, width 1, sha256)."""

    def __init__(self, root: str, depth: int = 4, width: int = 1) -> None:
        self.root, self.depth, self.width = os.path.realpath(root), depth, width

    def put(self, file: Any, extension: str = "") -> str:
        obj = open(file, "rb") if isinstance(file, str) else file  # noqa: SIM115
        try:
            obj.seek(0)
            digest = hashlib.sha256()
            digest.update(obj.read())  # Stream.__iter__: one read() of the whole file
            id = digest.hexdigest()
            path = (
                os.path.join(
                    self.root,
                    *(id[i * self.width : (i + 1) * self.width] for i in range(self.depth)),
                    id[self.depth * self.width :],
                )
                + extension
            )
            if not os.path.isfile(path):
                obj.seek(0)
                tmp = tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115
                tmp.write(obj.read())  # and again, whole
                tmp.close()
                os.chmod(tmp.name, 0o664)
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                shutil.move(tmp.name, path)
            return path
        finally:
            if isinstance(file, str):
                obj.close()


def make_hashfs(root: str) -> tuple[Any, Any]:
    from flask import Flask

    from fs_hashfs import FlaskHashFS

    app = Flask("bench_hashfs")
    app.config.update(HASHFS_ROOT_FOLDER=root)
    return app, FlaskHashFS(app)


def throughput(runs: int, large_mib: int, base: str) -> list[list[object]]:
    naive_root, ours_root = os.path.join(base, "hashfs"), os.path.join(base, "fs-hashfs")
    naive = NaiveHashFS(naive_root)
    app, fs = make_hashfs(ours_root)
    large = os.path.join(base, "large.bin")
    with open(large, "wb") as out:
        block = os.urandom(MiB)
        for i in range(large_mib):
            out.write(i.to_bytes(8, "big") + block[8:])
    cases = [
        ("4 KiB x 2,000", [os.urandom(4096) for _ in range(2000)], 4096 * 2000),
        ("8 MiB x 20", [os.urandom(8 * MiB) for _ in range(20)], 8 * MiB * 20),
        (f"{large_mib} MiB, from a path", [large], large_mib * MiB),
    ]

    def reset() -> None:
        for root in (naive_root, ours_root):
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
        os.sync()

    rows = []
    with app.app_context():
        for label, items, nbytes in cases:

            def source(item: Any) -> Any:
                return item if isinstance(item, str) else io.BytesIO(item)

            def put_naive(items: list[Any] = items) -> None:
                for item in items:
                    naive.put(source(item), ".bin")

            def put_ours(items: list[Any] = items) -> None:
                for item in items:
                    fs.put(source(item), ".bin")

            first = paired(runs, {"HashFS": put_naive, "fs-hashfs": put_ours}, reset)
            rows.append(ratio_row(label, "put (new)", nbytes / MiB, first["HashFS"], first["fs-hashfs"]))
            put_naive()
            put_ours()
            again = paired(runs, {"HashFS": put_naive, "fs-hashfs": put_ours}, lambda: None)
            rows.append(
                ratio_row(label, "put (duplicate)", nbytes / MiB, again["HashFS"], again["fs-hashfs"])
            )
    return rows


def child(which: str, size_mib: int, root: str) -> None:
    """One put of ``size_mib`` MiB from a file on disk; prints the peak RSS before and after."""
    from fs_core.testing import PatternStream

    path = os.path.join(root, "source.bin")
    with open(path, "wb") as out:
        shutil.copyfileobj(PatternStream(size_mib * MiB), out, MiB)
    if which == "HashFS":
        before = peak_rss_kib()
        NaiveHashFS(os.path.join(root, "store")).put(path, ".bin")
    else:
        app, fs = make_hashfs(os.path.join(root, "store"))
        before = peak_rss_kib()
        with app.app_context():
            fs.put(path, ".bin")
    print(json.dumps({"before": before, "after": peak_rss_kib()}))


def memory(sizes: list[int], base: str) -> list[list[object]]:
    rows = []
    for size in sizes:
        peaks = {}
        for which in ("HashFS", "fs-hashfs"):
            with tempfile.TemporaryDirectory(prefix="fs-bench-hashfs-", dir=base) as root:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", which, str(size), root],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            peak = json.loads(out)
            peaks[which] = (peak["after"] - peak["before"]) / 1024
        rows.append([size, peaks["HashFS"], peaks["fs-hashfs"]])
        growth = f"HashFS +{peaks['HashFS']:.0f} MiB, fs-hashfs +{peaks['fs-hashfs']:.0f} MiB"
        print(f"  {size} MiB: {growth}", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-mib", type=int, default=256)
    parser.add_argument("--rss-sizes", default="128,512")
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    base = tempfile.mkdtemp(prefix="fs-bench-hashfs-", dir=args.dir)
    try:
        rows = throughput(args.runs, args.large_mib, base)
        table(
            f"fs-hashfs put vs HashFS's put, local disk ({args.runs} runs)",
            ["workload", "operation", "HashFS MiB/s", "fs-hashfs MiB/s", "ratio (median)", "ratio range"],
            rows,
        )
        sizes = [int(s) for s in args.rss_sizes.split(",")]
        table(
            "Peak RSS growth during one put from a file (MiB over the process before it)",
            ["file MiB", "HashFS", "fs-hashfs"],
            memory(sizes, base),
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
