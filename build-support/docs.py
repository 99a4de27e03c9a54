"""Build the documentation site (``./dev docs``): Sphinx with every warning an error, then a
check that every link inside the site leads somewhere.

    python build-support/docs.py [SPHINX ARGS]    # the site: docs/_build/html/index.html
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from check_links import broken_links
from workspace import ROOT

SITE = ROOT / "docs" / "_build" / "html"


def main(argv: list[str]) -> int:
    # -E: a fresh environment, so the warnings of pages that did not change are seen again.
    build = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-n", "-W", "--keep-going", "-q"]
    shutil.rmtree(SITE, ignore_errors=True)  # no page of an earlier build left for the link check
    status = subprocess.call([*build, *argv, str(ROOT / "docs"), str(SITE)], cwd=ROOT)
    if status:
        return status
    broken = broken_links(SITE)
    for message in broken:
        print(f"broken link: {message}", file=sys.stderr)
    if broken:
        return 1
    print(f"the site: {SITE.relative_to(ROOT)}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
