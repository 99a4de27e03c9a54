"""Cross-package tests: the workspace as a whole (builds, releases, installs, the demo)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from fs_testservers.fixtures import moto_server  # noqa: F401  (fixture: fs-s3 in the pick-and-mix)

ROOT = Path(__file__).resolve().parent.parent

# The build scripts (build-support/*.py) import each other as top-level modules.
sys.path.insert(0, str(ROOT / "build-support"))


@pytest.fixture
def demo_module():
    """The demo app's module, imported from examples/ (it is not a package)."""
    path = ROOT / "examples" / "demo" / "app.py"
    spec = importlib.util.spec_from_file_location("fs_demo_app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fs_demo_app"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("fs_demo_app", None)
