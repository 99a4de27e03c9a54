"""Running a test's own child processes (a real ``kill -9``, a race between processes)."""

from __future__ import annotations

import os
import sys

__all__ = ["child_env"]


def child_env(**extra: str) -> dict[str, str]:
    """The environment for ``subprocess`` children of a test: this one's, with ``sys.path``
    as ``PYTHONPATH``, so that a child imports what the test imports (under Pants, packages
    and their plugins' metadata are on ``sys.path`` only, not installed)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), **extra}
