"""Cross-package tests: the workspace as a whole (builds, releases, installs, the demo)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from fs_testservers.fixtures import moto_server, swift_server  # noqa: F401  (fixtures: the pick-and-mix)

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


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], str]]:
    """``live_server(app)``: serve a WSGI app on a free loopback port; returns its base URL."""
    servers = []

    def start(app: Any) -> str:
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        servers.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_port}"

    yield start
    for httpd, thread in servers:
        httpd.shutdown()
        thread.join()


def _chromium() -> tuple[str, str]:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        reason = "Chromium is not installed: apt-get install chromium chromium-driver (./dev test does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return chromium, chromedriver


@pytest.fixture(scope="session")
def browser_session(tmp_path_factory) -> Iterator[Any]:
    """One headless Chromium (Debian's) for the session; downloads go to a scratch folder."""
    chromium, chromedriver = _chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile / 'profile'}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(profile / "downloads"), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(30)
    driver.downloads = profile / "downloads"
    yield driver
    driver.quit()


@pytest.fixture
def browser(browser_session) -> Any:
    """The session's Chromium, on a blank page with no cookies."""
    browser_session.get("about:blank")
    browser_session.delete_all_cookies()
    return browser_session
