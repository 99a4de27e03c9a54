"""The suite's branch coverage per package, against the floors of ``[tool.fs.packages]``.

    python build-support/coverage_floors.py           # combine, report, fail below a floor
    python build-support/coverage_floors.py --report  # combine and report only (./dev test)

``./dev test`` and ``./dev test-pythons`` leave coverage data files (``.coverage.*``, see
``[tool.coverage.run]``); this combines them into ``.coverage``, so the report covers every
run since ``./dev test`` erased the last one: the packages, their subprocesses and every
Python. Each package's figure is coverage.py's total for the files of its ``src/``: covered
lines and branches over all lines and branches. An HTML report of the lines that never ran is
written to ``htmlcov/``.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import coverage
from coverage.exceptions import NoDataError
from workspace import ROOT, Package, packages


def measure(cov: coverage.Coverage, package: Package) -> float | None:
    """The package's coverage in percent, ``None`` if the data has none of its files."""
    try:
        return cov.report(include=[f"{package.src}/*"], file=io.StringIO())
    except NoDataError:
        return None


def table(figures: dict[str, tuple[float | None, float]], verdicts: bool = True) -> str:
    """The figures, one package a line; ``verdicts``: mark those below their floor."""
    width = max(len(name) for name in figures)
    lines = [f"{'package':<{width}}  coverage  floor"]
    for name, (percent, floor) in figures.items():
        shown = "no data" if percent is None else f"{percent:6.2f}%"
        below = verdicts and (percent is None or percent < floor)
        lines.append(f"{name:<{width}}  {shown:>8}  {floor:4.0f}%{'  BELOW THE FLOOR' if below else ''}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--report", action="store_true", help="report only: never fail on a floor")
    args = parser.parse_args(argv)
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"), data_file=str(ROOT / ".coverage"))
    cov.load()  # what earlier runs combined, if any: combining adds to it
    if any(Path(ROOT).glob(".coverage.*")):
        cov.combine(keep=False)
        cov.save()
    measured = {name: (measure(cov, package), package.coverage) for name, package in packages().items()}
    print(table(measured, verdicts=not args.report))
    if args.report:
        print("(the floors are checked on the whole suite's runs: ./dev coverage)")
    try:
        cov.html_report(directory=str(ROOT / "htmlcov"))
        print("the lines and branches that never ran: htmlcov/index.html")
    except NoDataError:
        pass
    below = [name for name, (percent, floor) in measured.items() if percent is None or percent < floor]
    if below and not args.report:
        print(f"coverage below the floor set in pyproject.toml: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
