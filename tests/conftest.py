"""Cross-package tests: the workspace as a whole (builds, releases, installs, documentation)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The build scripts (build-support/*.py) import each other as top-level modules.
sys.path.insert(0, str(ROOT / "build-support"))
