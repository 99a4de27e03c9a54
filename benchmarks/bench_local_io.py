"""fs-local save and read against plain Python file I/O, in the same run.

Cases: 10,000 files of 1 KiB and 500 files of 1 MiB, each file saved from an in-memory
upload stream (as a werkzeug upload would be) and read back whole. fs-local is measured
through ``Storage.save``/``Storage.read`` (name validation, policy hooks and signals
included) with its two atomic methods: ``O_TMPFILE`` + ``link`` (the default) and a named
temporary file + ``rename`` (the fallback), with every installed plugin loaded (fs-images
among them: its hooks run for every save, and do nothing for this storage), and with fs-local
alone (``FS_PLUGINS = ['local']``). The baseline is ``open(path, 'wb')`` +
``shutil.copyfileobj`` and ``open(path, 'rb').read()``: fast, but neither atomic nor
create-only.

The small-file save is also profiled, into ``benchmarks/out/bench_local_io/``: the Python
bytecodes each function executes per save (exact on any machine: compare them across
changes) and cProfile's summary (``profile-save-1KiB-*.txt``).

Every method runs in each run, in a rotating order, each one starting on an empty folder
with the previous one's dirty pages flushed; a ratio is taken within a run (so drift on a
shared machine hits both sides), and the table shows the median ratio and its range.

    ./dev bench bench_local_io [--runs 5] [--dir /path/on/the/disk/to/test]

On a shared machine the ratios move with the load; the profiles do not.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import partial

from _common import out_dir, paired, profile_summary, ratio_row, table
from flask import Flask

import fs_core as fs

CASES = [("1 KiB x 10,000", 1024, 10_000), ("1 MiB x 500", 1 << 20, 500)]
METHODS = {"O_TMPFILE + link": True, "temp + rename": False}
#: Plugin sets: every installed plugin (the default), and fs-local alone.
PLUGIN_SETS = {"all plugins": None, "fs-local alone": ["local"]}


class Bench:
    def __init__(self, base: str, plugins: list[str] | None = None) -> None:
        self.raw_dir = os.path.join(base, "raw")
        self.app = Flask("bench")
        self.app.config.update(FS_ROOT=base)
        if plugins is not None:
            self.app.config["FS_PLUGINS"] = plugins
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


def in_app(bench: Bench, fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` run inside ``bench``'s app context."""

    def run() -> object:
        with bench.app.app_context():
            return fn()

    return run


def measure_case(
    benches: dict[str, Bench], label: str, size: int, count: int, runs: int
) -> list[list[object]]:
    """The rows of one case: each save method with each plugin set, then reads."""
    bench = benches["all plugins"]
    data = os.urandom(size)
    names = [f"f{i:05d}.bin" for i in range(count)]
    writers: dict[str, Callable[[], object]] = {"raw": lambda: bench.raw_write(names, data)}
    for key, each in benches.items():
        for method, tmpfile in METHODS.items():
            writers[f"{method}, {key}"] = in_app(each, partial(each.fs_write, names, data, tmpfile))

    def reset_all() -> None:
        for each in benches.values():
            each.reset()

    times = paired(runs, writers, reset_all)
    rows = [
        ratio_row(label, f"save, fs-local {w}", count, times["raw"], times[w]) for w in writers if w != "raw"
    ]
    reset_all()
    bench.raw_write(names, data)
    in_app(bench, partial(bench.fs_write, names, data))()
    readers = {"raw": partial(bench.raw_read, names), "fs": in_app(bench, partial(bench.fs_read, names))}
    reads = paired(runs, readers, lambda: None)
    rows.append(ratio_row(label, "read whole file (page cache)", count, reads["raw"], reads["fs"]))
    return rows


def profile_saves(benches: dict[str, Bench]) -> None:
    """The 1 KiB save's profile with each plugin set, into benchmarks/out/bench_local_io/."""
    folder = out_dir("bench_local_io")
    data = os.urandom(1024)
    for key, each in benches.items():
        each.reset()
        batches = iter([f"p{batch}-{i:03d}.bin" for i in range(500)] for batch in range(3))

        def save_batch(each: Bench = each, batches: Iterator[list[str]] = batches) -> None:
            each.fs_write(next(batches), data)

        in_app(each, save_batch)()  # warm-up
        profile_summary(
            in_app(each, save_batch),
            500,
            os.path.join(folder, f"profile-save-1KiB-{key.replace(' ', '-')}.txt"),
            f"Storage.save of 1 KiB from memory on fs-local ({key}), O_TMPFILE + link",
        )
        each.reset()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="fs-bench-", dir=args.dir)
    benches = {
        key: Bench(os.path.join(base, str(i)), plugins)
        for i, (key, plugins) in enumerate(PLUGIN_SETS.items())
    }
    rows = []
    try:
        for label, size, count in CASES:
            rows += measure_case(benches, label, size, count, args.runs)
        profile_saves(benches)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table(
        "fs-local vs plain file I/O (files/s: median of runs; ratio = fs / raw, median of per-run ratios)",
        ["case", "operation", "raw files/s", "fs files/s", "ratio", "ratio range"],
        rows,
    )


if __name__ == "__main__":
    main()
