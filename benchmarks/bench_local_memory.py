"""Peak memory while saving and serving one large file through fs-local.

Each measurement runs in a fresh process, which streams a generated file of the given size
into ``Storage.save`` and then serves it back through the ``fs.get_file`` view (werkzeug's
test client, consuming the body chunk by chunk). The process's peak RSS (VmHWM) must stay
flat as the file grows: the baseline column is the same process doing nothing but importing.

    ./dev bench bench_local_memory [--sizes 128,1024]   (MiB)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from _common import peak_rss_kib, table


def child(size_mib: int, root: str) -> None:
    from flask import Flask

    import fs_core as fs
    from fs_core.testing import PatternStream

    app = Flask("bench_memory")
    app.config.update(FS_ROOT=root)
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files)
    baseline = peak_rss_kib()
    source = PatternStream(size_mib << 20)
    with app.app_context():
        files.save(source, "big.bin")
    after_save = peak_rss_kib()
    served = 0
    response = app.test_client().get("/files/big.bin", buffered=False)
    for chunk in response.response:
        served += len(chunk)
    response.close()
    assert served == size_mib << 20, served
    print(json.dumps({"baseline": baseline, "save": after_save, "serve": peak_rss_kib()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="128,1024")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1])
        return
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="fs-bench-mem-") as root:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(size), root],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        peaks = json.loads(out)
        rows.append(
            [
                f"{size:,} MiB",
                peaks["baseline"] / 1024,
                peaks["save"] / 1024,
                peaks["serve"] / 1024,
                (peaks["serve"] - peaks["baseline"]) / 1024,
            ]
        )
    table(
        "Peak RSS of a process saving then serving one file through fs-local (MiB)",
        ["file size", "after imports", "after save", "after serve", "growth"],
        rows,
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
