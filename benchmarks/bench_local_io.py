"""fs-local save and read against plain Python file I/O, in the same run.

Cases: 10,000 files of 1 KiB and 500 files of 1 MiB, each file saved from an in-memory
upload stream (as a werkzeug upload would be) and read back whole. fs-local is measured
through ``Storage.save``/``Storage.read`` (name validation, policy hooks and signals
included) with its two atomic methods: ``O_TMPFILE`` + ``link`` (the default) and a named
temporary file + ``rename`` (the fallback). The baseline is ``open(path, 'wb')`` +
``shutil.copyfileobj`` and ``open(path, 'rb').read()``: fast, but neither atomic nor
create-only.

    ./dev bench bench_local_io [--runs 5] [--dir /path/on/the/disk/to/test]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile

from _common import median_time, table
from flask import Flask

import fs_core as fs

CASES = [("1 KiB x 10,000", 1024, 10_000), ("1 MiB x 500", 1 << 20, 500)]


def raw_write(folder: str, names: list[str], data: bytes) -> None:
    for name in names:
        with open(os.path.join(folder, name), "wb") as f:
            shutil.copyfileobj(io.BytesIO(data), f, 1 << 20)


def raw_read(folder: str, names: list[str]) -> None:
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            f.read()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="fs-bench-", dir=args.dir)
    raw_dir = os.path.join(base, "raw")
    app = Flask("bench")
    app.config.update(FS_ROOT=base)
    storage = fs.Storage("files", fs.ALL, overwrite=False)
    fs.init_app(app, storage)
    rows = []
    try:
        with app.app_context():
            backend = storage.backend

            def reset() -> None:
                for folder in (raw_dir, backend.root):
                    shutil.rmtree(folder, ignore_errors=True)
                    os.makedirs(folder)
                os.sync()

            for label, size, count in CASES:
                data = os.urandom(size)
                names = [f"f{i:05d}.bin" for i in range(count)]

                def fs_write(names: list[str] = names, data: bytes = data) -> None:
                    for name in names:
                        storage.save(io.BytesIO(data), name)

                def fs_read(names: list[str] = names) -> None:
                    for name in names:
                        storage.read(name)

                results: dict[str, float] = {}
                for method, tmpfile in (("O_TMPFILE + link", True), ("temp + rename", False)):
                    backend._tmpfile_ok = tmpfile
                    w_raw, w_fs = [], []
                    for run in range(args.runs):
                        # Interleaved, alternating which goes first, with the dirty pages of
                        # one flushed before the other starts: writeback must not bill one side.
                        timed = [
                            (w_raw, lambda: raw_write(raw_dir, names, data)),  # noqa: B023
                            (w_fs, fs_write),
                        ]
                        reset()
                        for sink, fn in timed if run % 2 == 0 else timed[::-1]:
                            os.sync()
                            sink.append(median_time(fn, 1)[0])
                    results[f"write raw ({method} run)"] = sorted(w_raw)[len(w_raw) // 2]
                    results[f"write fs {method}"] = sorted(w_fs)[len(w_fs) // 2]
                raw_read_t = median_time(lambda: raw_read(raw_dir, names), args.runs)[0]  # noqa: B023
                fs_read_t = median_time(fs_read, args.runs)[0]
                for method in ("O_TMPFILE + link", "temp + rename"):
                    raw_t = results[f"write raw ({method} run)"]
                    fs_t = results[f"write fs {method}"]
                    rows.append(
                        [label, f"save, fs-local {method}", count / raw_t, count / fs_t, raw_t / fs_t]
                    )
                rows.append(
                    [label, "read whole file", count / raw_read_t, count / fs_read_t, raw_read_t / fs_read_t]
                )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table(
        "fs-local vs plain file I/O (files per second, median of runs; ratio = fs / raw)",
        ["case", "operation", "raw files/s", "fs files/s", "ratio"],
        rows,
    )


if __name__ == "__main__":
    main()
