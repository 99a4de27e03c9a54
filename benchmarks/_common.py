"""Shared helpers for the benchmarks: timing, peak memory, and result tables.

Every benchmark measures this project against a raw baseline in the same run and prints
the ratio (fs throughput / baseline throughput: 1.0 means as fast as the baseline).
Timings are medians; the machine may be shared, so read ratios, not absolute figures.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

MiB = 1 << 20


def median_time(
    fn: Callable[[], object], runs: int, setup: Callable[[], object] | None = None
) -> tuple[float, list[float]]:
    """Median wall time of ``fn`` over ``runs`` runs (``setup`` runs untimed before each)."""
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def paired(
    runs: int, contenders: dict[str, Callable[[], object]], before: Callable[[], object]
) -> dict[str, list[float]]:
    """Wall time of each contender in each run, in a rotating order (so drift on a shared
    machine hits every side), ``before`` untimed before each."""
    times: dict[str, list[float]] = {key: [] for key in contenders}
    keys = list(contenders)
    for run in range(runs):
        shift = run % len(keys)
        for key in keys[shift:] + keys[:shift]:
            before()
            times[key].append(median_time(contenders[key], 1)[0])
    return times


def ratio_row(
    label: str, operation: str, amount: float, base: list[float], ours: list[float]
) -> list[object]:
    """A table row: ``amount`` (files, MiB) per second for the baseline and for us, then the
    median and range of the per-run ratios baseline time / our time (above 1: we are faster)."""
    ratios = [b / o for b, o in zip(base, ours, strict=True)]
    print(f"  {label:22s} {operation:40s} {statistics.median(ratios):.2f}", file=sys.stderr)
    return [
        label,
        operation,
        amount / statistics.median(base),
        amount / statistics.median(ours),
        statistics.median(ratios),
        f"{min(ratios):.2f}-{max(ratios):.2f}",
    ]


def peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def serve_through_view(app: object, url: str) -> int:
    """GET ``url`` from ``app`` with werkzeug's test client, consuming the body chunk by chunk
    as a WSGI server would (never the whole body at once); returns the bytes served."""
    served = 0
    response = app.test_client().get(url, buffered=False)  # type: ignore[attr-defined]
    for chunk in response.response:
        served += len(chunk)
    response.close()
    return served


class Sink(io.RawIOBase):
    """A writable that counts and discards (so reads are measured, not memory copies)."""

    def __init__(self) -> None:
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        n = len(data)
        self.count += n
        return n


class Variant:
    """One way of writing then reading a workload's objects; ``read`` may be ``None``."""

    def __init__(
        self,
        name: str,
        write: Callable[[], object],
        read: Callable[[], object] | None,
        cleanup: Callable[[], object],
    ) -> None:
        self.name, self.write, self.read, self.cleanup = name, write, read, cleanup
        self.times: dict[str, list[float]] = {"write": [], "read": []}

    def run(self) -> None:
        for direction in ("write", "read"):
            fn = getattr(self, direction)
            if fn is not None:
                start = time.perf_counter()
                fn()
                self.times[direction].append(time.perf_counter() - start)
        self.cleanup()


def compare(service: str, label: str, nbytes: int, runs: int, variants: list[Variant]) -> list[list[object]]:
    """Run every variant ``runs`` times, in a rotating order; the last variant is the
    baseline. One row per variant and direction: MiB/s (medians), the median of the per-run
    ratios to the baseline, and their range (the spread of a shared machine)."""
    for run in range(runs):
        shift = run % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            variant.run()
    *measured, baseline = variants
    rows = []
    for direction in ("write", "read"):
        base = baseline.times[direction]
        for variant in measured:
            took = variant.times[direction]
            if not took or not base:
                continue
            ratios = [b / t for b, t in zip(base, took, strict=True)]
            rows.append(
                [
                    service,
                    label,
                    direction,
                    variant.name,
                    nbytes / statistics.median(took) / MiB,
                    nbytes / statistics.median(base) / MiB,
                    statistics.median(ratios),
                    f"{min(ratios):.2f}-{max(ratios):.2f}",
                ]
            )
            print(
                f"  {service:9s} {label:17s} {direction:5s} {variant.name:40s} {rows[-1][-2]:.2f} "
                f"({rows[-1][-1]})",
                file=sys.stderr,
            )
    return rows


def rss_row(where: str, what: str, size_mib: int, peaks: dict[str, int]) -> list[object]:
    """A row of a peak-RSS table from a child's VmHWM figures (KiB: ``baseline`` after its
    warm-up, after ``save``, after ``serve``), in MiB; the growth is also printed."""
    row: list[object] = [where, what, f"{size_mib:,} MiB"]
    row += [peaks["baseline"] / 1024, peaks["save"] / 1024, peaks["serve"] / 1024]
    row.append((peaks["serve"] - peaks["baseline"]) / 1024)
    print(f"  rss {what} {size_mib} MiB: {row[-1]:.1f} MiB growth", file=sys.stderr, flush=True)
    return row


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    """Print a Markdown table."""
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(_fmt(v) for v in row) + " |")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    return str(value)
