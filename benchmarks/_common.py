"""Shared helpers for the benchmarks: timing, peak memory, and result tables.

Every benchmark measures this project against a raw baseline in the same run and prints
the ratio (fs throughput / baseline throughput: 1.0 means as fast as the baseline).
Timings are medians; the machine may be shared, so read ratios, not absolute figures.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


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


def peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


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
