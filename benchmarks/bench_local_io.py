"""fs-local save and read against plain Python file I/O, in the same run.

Cases: 10,000 files of 1 KiB and 500 files of 1 MiB, each file saved from an in-memory
upload stream (as a werkzeug upload would be) and read back whole. fs-local is measured
through ``Storage.save``/``Storage.read`` (name validation, policy hooks and signals
included) with its two atomic methods: ``O_TMPFILE`` + ``link`` (the default) and a named
temporary file + ``rename`` (the fallback). The baseline is ``open(path, 'wb')`` +
``shutil.copyfileobj`` and ``open(path, 'rb').read()``: fast, but neither atomic nor
create-only.

Every method runs in each run, in a rotating order, each one starting on an empty folder
with the previous one's dirty pages flushed; a ratio is taken within a run (so drift on a
shared machine hits both sides), and the table shows the median ratio and its range.

    ./dev bench bench_local_io [--runs 5] [--dir /path/on/the/disk/to/test]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
from collections.abc import Callable

from _common import paired, ratio_row, table
from flask import Flask

import fs_core as fs

CASES = [("1 KiB x 10,000", 1024, 10_000), ("1 MiB x 500", 1 << 20, 500)]
METHODS = {"O_TMPFILE + link": True, "temp + rename": False}


class Bench:
    def __init__(self, base: str) -> None:
        self.raw_dir = os.path.join(base, "raw")
        self.app = Flask("bench")
        self.app.config.update(FS_ROOT=base)
        self.storage = fs.Storage("files", fs.ALL)
        fs.init_app(self.app, self.storage)
        with self.app.app_context():
            self.backend = self.storage.backend

    def reset(self) -> None:
        for folder in (self.raw_dir, self.backend.root):
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
        os.sync()

    def raw_write(self, names: list[str], data: bytes) -> None:
        for name in names:
            with open(os.path.join(self.raw_dir, name), "wb") as f:
                shutil.copyfileobj(io.BytesIO(data), f, 1 << 20)

    def raw_read(self, names: list[str]) -> None:
        for name in names:
            with open(os.path.join(self.raw_dir, name), "rb") as f:
                f.read()

    def fs_write(self, names: list[str], data: bytes, tmpfile: bool = True) -> None:
        self.backend._tmpfile_ok = tmpfile
        for name in names:
            self.storage.save(io.BytesIO(data), name)

    def fs_read(self, names: list[str]) -> None:
        for name in names:
            self.storage.read(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="fs-bench-", dir=args.dir)
    bench = Bench(base)
    rows = []
    try:
        with bench.app.app_context():
            for label, size, count in CASES:
                data = os.urandom(size)
                names = [f"f{i:05d}.bin" for i in range(count)]
                writers: dict[str, Callable[[], object]] = {"raw": lambda: bench.raw_write(names, data)}  # noqa: B023
                for method, tmpfile in METHODS.items():
                    writers[method] = lambda t=tmpfile: bench.fs_write(names, data, t)  # noqa: B023
                times = paired(args.runs, writers, bench.reset)
                rows += [
                    ratio_row(label, f"save, fs-local {m}", count, times["raw"], times[m]) for m in METHODS
                ]
                bench.reset()
                bench.raw_write(names, data)
                bench.fs_write(names, data)
                readers = {"raw": lambda: bench.raw_read(names), "fs": lambda: bench.fs_read(names)}  # noqa: B023
                reads = paired(args.runs, readers, lambda: None)
                rows.append(
                    ratio_row(label, "read whole file (page cache)", count, reads["raw"], reads["fs"])
                )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table(
        "fs-local vs plain file I/O (files/s: median of runs; ratio = fs / raw, median of per-run ratios)",
        ["case", "operation", "raw files/s", "fs files/s", "ratio", "ratio range"],
        rows,
    )


if __name__ == "__main__":
    main()
