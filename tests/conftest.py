"""Cross-package tests: the workspace as a whole (builds, releases, installs, the demo)."""

from __future__ import annotations

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

# The build scripts (build-support/*.py) import each other as top-level modules, and so do
# the tests' helpers (demo_pictures).
sys.path.insert(0, str(ROOT / "build-support"))
sys.path.insert(0, str(ROOT / "tests"))


# The demo's package, fs_demo, lives in examples/demo (examples/ is no package).
sys.path.insert(0, str(ROOT / "examples" / "demo"))

from fs_demo.backends import BACKENDS as DEMO_BACKENDS  # noqa: E402


@pytest.fixture(scope="session")
def demo() -> Any:
    """The demo's package, ``fs_demo``."""
    import fs_demo

    return fs_demo


@pytest.fixture(scope="session", params=sorted(DEMO_BACKENDS))
def demo_backend(request) -> Iterator[tuple[Any, Any]]:
    """Each backend the demo runs on (``fs_demo.backends.BACKENDS``), its server started by
    fs-testservers for the session: ``(backend, server)``."""
    from fs_testservers import ServiceUnavailable
    from fs_testservers.fixtures import require_service

    backend = DEMO_BACKENDS[request.param]
    service = backend.service()
    try:
        server = service.__enter__()
    except ServiceUnavailable as exc:
        require_service(str(exc))
    try:
        yield backend, server
    finally:
        service.__exit__(None, None, None)


@pytest.fixture
def make_demo_app(demo, tmp_path) -> Callable[..., Any]:
    """``make_demo_app(backend=None, **config)``: the demo app on local disk in a scratch
    folder, or on ``backend`` (a ``demo_backend`` pair) in a bucket of its own."""
    from fs_testservers import unique_name

    def make(backend: tuple[Any, Any] | None = None, **config: Any) -> Any:
        settings: dict[str, Any] = {"FS_ROOT": str(tmp_path / "fs"), "SECRET_KEY": "test", "TESTING": True}
        if backend is not None:
            settings.update(backend[0].config(backend[1], unique_name("demo")))
        settings.update(config)
        return demo.create_app(settings)

    return make


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
