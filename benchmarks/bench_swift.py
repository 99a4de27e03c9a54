"""fs-swift against plain python-swiftclient on the same Swift, in the same run; peak RSS.

Starts its own OpenStack Swift (``fs_testservers``). The same bytes go through:

* **fs-swift**: ``Storage.save`` (create-only, the default: one PUT with ``If-None-Match: *``;
  and with ``overwrite=True`` over existing names: a HEAD, to find the segments of a large
  object it replaces, then a PUT) and ``Storage.open(..., 'rb')`` read to the end, on a
  storage configured through the app config as users do;
* **swiftclient**: ``Connection.put_object`` (from the file object, blind overwrite) and
  ``get_object(resp_chunk_size=...)`` read to the end.

Workloads: many small objects (from memory) and one large object (from a file on disk, read
back into a sink that discards); the large one also as a Static Large Object of 4 segments
(fs-swift with ``SLO_THRESHOLD`` below its size), written against swiftclient's one PUT (what
segments cost) and read against swiftclient reading the same large object. Each run times
both sides, one after the other (the order alternating); the ratio is fs-swift throughput /
swiftclient throughput (1.0: as fast), the median of the runs' ratios, with their min-max as
the spread.

Then, in fresh processes, the peak RSS (VmHWM) of saving and serving one large generated file
through ``Storage.save`` and the ``fs.get_file`` view: it must not grow with the file.

    ./dev bench bench_swift [--runs 5] [--large-mib 200] [--rss-sizes 256,1024]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from _common import peak_rss_kib, serve_through_view, table

MiB = 1 << 20


def make_app(config: dict[str, Any], container: str, **extra: Any) -> tuple[Any, Any]:
    """A Flask app with the storage ``files`` on the swift backend, in ``container``."""
    from flask import Flask

    import fs_core as fs

    app = Flask("bench_swift")
    settings = {**config, "container": container, **extra}
    app.config.update(FS_BACKEND="swift", **{f"FS_SWIFT_{k.upper()}": v for k, v in settings.items()})
    files = fs.Storage("files", fs.ALL)
    fs.init_app(app, files)
    return app, files


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(
    label: str, nbytes: int, runs: int, pairs: dict[str, tuple[Callable, Callable, Callable]]
) -> list:
    """``pairs``: direction -> (fs-swift, swiftclient, cleanup after both). Alternates which
    goes first; returns rows with the median ratio and its spread over runs."""
    rows = []
    for direction, (ours, theirs, cleanup) in pairs.items():
        ratios, ours_t, theirs_t = [], [], []
        for run in range(runs):
            order = [(ours, ours_t), (theirs, theirs_t)]
            for fn, times in order if run % 2 == 0 else order[::-1]:
                times.append(timed(fn))
            cleanup()
            ratios.append(theirs_t[-1] / ours_t[-1])
        o, t = statistics.median(ours_t), statistics.median(theirs_t)
        # Each run's two sides ran one after the other: the median of the per-run ratios is
        # steadier than the ratio of medians when the machine's load drifts.
        ratio = statistics.median(ratios)
        rows.append(
            [
                label,
                direction,
                nbytes / o / MiB,
                nbytes / t / MiB,
                ratio,
                f"{min(ratios):.2f}-{max(ratios):.2f}",
            ]
        )
        print(
            f"  {label:36s} {direction:9s} {ratio:.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            file=sys.stderr,
            flush=True,
        )
    return rows


def throughput(server: Any, runs: int, large_mib: int, workdir: str) -> list[list[object]]:
    import swiftclient

    from fs_core import streams
    from fs_core.testing import PatternStream

    config = server.swift_config()
    app, files = make_app(config, "bench-fs")
    segment_mib = max(1, large_mib // 4)  # the large file in 4 segments
    slo_app, slo_files = make_app(
        config, "bench-fs-slo", slo_threshold=f"{segment_mib}MiB", segment_size=f"{segment_mib}MiB"
    )
    conn = swiftclient.Connection(authurl=server.auth_url, user=server.swift_user, key=server.swift_key)
    conn.put_container("bench-raw")
    for each_app, storage in ((app, files), (slo_app, slo_files)):
        with each_app.app_context():
            storage.write("warm-up.txt", b"x", overwrite=True)

    def in_app(fn: Callable[[], object], each_app: Any = app) -> Callable[[], object]:
        def run() -> object:
            with each_app.app_context():
                return fn()

        return run

    def fs_read(storage: Any, names: list[str]) -> None:
        for name in names:
            with storage.open(name, "rb") as f:
                streams.copy_stream(f, lambda _: None)

    def raw_read(names: list[str], container: str = "bench-raw") -> None:
        for name in names:
            _, body = conn.get_object(container, name, resp_chunk_size=256 * 1024)
            for _chunk in body:
                pass

    def raw_delete(names: list[str]) -> None:
        for name in names:
            conn.delete_object("bench-raw", name)

    rows: list[list[object]] = []
    for count, size in ((200, MiB), (1000, 10 * 1024)):
        data = os.urandom(size)
        names = [f"small/{i:05d}.bin" for i in range(count)]
        label = f"{count} x {size // 1024:,} KiB"

        def fs_save(names: list[str] = names, data: bytes = data, overwrite: bool = False) -> None:
            for name in names:
                files.save(io.BytesIO(data), name, overwrite=overwrite)

        def raw_put(names: list[str] = names, data: bytes = data) -> None:
            for name in names:
                conn.put_object("bench-raw", name, io.BytesIO(data), content_length=len(data))

        # Writes are measured on empty names (create-only needs them), reads on stored ones.
        rows += compare(
            label,
            count * size,
            runs,
            {
                "write": (
                    in_app(fs_save),
                    raw_put,
                    lambda names=names: (in_app(lambda: files.delete("small"))(), raw_delete(names)),
                ),
            },
        )
        in_app(fs_save)()
        raw_put()
        # Over existing names: fs-swift's overwrite is a HEAD (to find the segments of a large
        # object it replaces) and a PUT; swiftclient's a blind PUT.
        rows += compare(
            label,
            count * size,
            runs,
            {
                "overwrite": (
                    in_app(lambda: fs_save(overwrite=True)),
                    raw_put,
                    lambda: None,
                ),
                "read": (
                    in_app(lambda names=names: fs_read(files, names)),
                    lambda n=names: raw_read(n),
                    lambda: None,
                ),
            },
        )
        in_app(lambda: files.delete("small"))()
        raw_delete(names)

    large_path = os.path.join(workdir, "large.bin")
    with open(large_path, "wb") as out:
        streams.copy_stream(PatternStream(large_mib * MiB), out.write)

    def fs_save_large(storage: Any) -> None:
        with open(large_path, "rb") as f:
            storage.save(f, "large/one.bin")

    def raw_put_large() -> None:
        with open(large_path, "rb") as f:
            conn.put_object(
                "bench-raw", "large/one.bin", f, content_length=large_mib * MiB, chunk_size=256 * 1024
            )

    # The large object as a Static Large Object: written against swiftclient's one PUT (the
    # cost of segments), read against swiftclient reading the same large object.
    for label, each_app, storage, raw_source in (
        (f"1 x {large_mib} MiB", app, files, ("bench-raw", "large/one.bin")),
        (
            f"1 x {large_mib} MiB, SLO of {segment_mib} MiB segments",
            slo_app,
            slo_files,
            ("bench-fs-slo", "files/large/one.bin"),
        ),
    ):
        rows += compare(
            label,
            large_mib * MiB,
            runs,
            {
                "write": (
                    in_app(lambda s=storage: fs_save_large(s), each_app),
                    raw_put_large,
                    lambda s=storage, a=each_app: (
                        in_app(lambda: s.delete("large"), a)(),
                        raw_delete(["large/one.bin"]),
                    ),
                )
            },
        )
        in_app(lambda s=storage: fs_save_large(s), each_app)()
        raw_put_large()
        rows += compare(
            label,
            large_mib * MiB,
            runs,
            {
                "read": (
                    in_app(lambda s=storage: fs_read(s, ["large/one.bin"]), each_app),
                    lambda c=raw_source[0], n=raw_source[1]: raw_read([n], c),
                    lambda: None,
                )
            },
        )
        in_app(lambda s=storage: s.delete("large"), each_app)()
        raw_delete(["large/one.bin"])
    return rows


def child(size_mib: int, config_json: str) -> None:
    """In a fresh process: store and serve one generated file; print the VmHWM figures."""
    from fs_core.testing import PatternStream

    config = json.loads(config_json)
    app, files = make_app(config, "bench-rss")
    with app.app_context():
        files.write("warm-up.txt", b"x", overwrite=True)  # swiftclient imported, authenticated
        baseline = peak_rss_kib()
        files.save(PatternStream(size_mib * MiB), "big.bin", overwrite=True)
        after_save = peak_rss_kib()
    served = serve_through_view(app, "/files/big.bin")
    assert served == size_mib * MiB, served
    with app.app_context():
        files.delete("big.bin")
    print(json.dumps({"baseline": baseline, "save": after_save, "serve": peak_rss_kib()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-mib", type=int, default=200)
    parser.add_argument("--rss-sizes", default="256,1024")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1])
        return

    import swiftclient

    import fs_swift
    from fs_testservers import SwiftServer

    print(f"fs-swift {fs_swift.__version__}, python-swiftclient {swiftclient.__version__}", file=sys.stderr)
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    server = SwiftServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="fs-bench-swift-") as workdir:
            rows = throughput(server, args.runs, args.large_mib, workdir)
        rss_rows = []
        for size in [int(s) for s in args.rss_sizes.split(",") if s]:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(size), json.dumps(server.swift_config())],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            peaks = json.loads(out)
            rss_rows.append(
                [
                    f"{size:,} MiB",
                    peaks["baseline"] / 1024,
                    peaks["save"] / 1024,
                    peaks["serve"] / 1024,
                    (peaks["serve"] - peaks["baseline"]) / 1024,
                ]
            )
            print(f"  rss {size} MiB: {rss_rows[-1][-1]:.1f} MiB growth", file=sys.stderr, flush=True)
    finally:
        server.stop()
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    table(
        f"fs-swift against plain python-swiftclient, same Swift, same run ({args.runs} runs; MiB/s: "
        f"medians; ratio = fs-swift / swiftclient throughput, median of the per-run ratios; "
        f"spread = their min-max)",
        ["objects", "direction", "fs-swift MiB/s", "swiftclient MiB/s", "ratio", "spread"],
        rows,
    )
    table(
        "Peak RSS (VmHWM) of a process saving then serving (fs.get_file) one generated file (MiB)",
        ["file size", "after warm-up", "after save", "after serve", "growth"],
        rss_rows,
    )


if __name__ == "__main__":
    main()
