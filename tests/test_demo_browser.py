"""The demo in a real browser (Debian's Chromium, headless): what a person sees and does."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


@pytest.fixture
def server(demo_module, tmp_path, live_server):
    app = demo_module.create_app({"FS_ROOT": str(tmp_path), "UPLOADS_FS_MAX_SIZE": 1 << 20})
    return live_server(app)


def messages(browser) -> list[str]:
    return [el.text for el in browser.find_elements(By.CSS_SELECTOR, ".flash")]


def click_and_wait(browser, element) -> None:
    """Click a submit button and wait for the page it leads to, loaded: the old page going
    stale is not enough (reading the new one while it loads finds nodes that vanish)."""
    element.click()

    def left(_driver) -> bool:
        # Chromium reports a node of the page that went away either as stale, or (while the
        # next page loads) as "Node with given id does not belong to the document".
        try:
            element.is_enabled()
        except (StaleElementReferenceException, WebDriverException):
            return True
        return False

    WebDriverWait(browser, 20).until(left)
    WebDriverWait(browser, 20).until(
        lambda driver: (
            driver.execute_script("return document.readyState") == "complete"
            and driver.find_elements(By.CSS_SELECTOR, "form[action='/upload'] button")
        )
    )


def open_page(browser, url: str) -> None:
    """Load ``url`` and wait for its upload form: on a loaded machine ``get`` may return before
    the page's document is there (an empty page source)."""
    browser.get(url)
    WebDriverWait(browser, 30).until(
        lambda driver: (
            driver.execute_script("return document.readyState") == "complete"
            and driver.find_elements(By.CSS_SELECTOR, "form[action='/upload'] button")
        )
    )


def upload(browser, *paths) -> None:
    if paths:
        browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys("\n".join(str(p) for p in paths))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/upload'] button"))


def test_upload_see_download_delete(server, browser, tmp_path):
    report = tmp_path / "Quarterly report.txt"
    report.write_text("numbers")
    photo = tmp_path / "фото.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    open_page(browser, server)
    assert "No files yet" in browser.page_source
    upload(browser, report, photo)
    assert messages(browser) == ["Saved Quarterly_report.txt.", "Saved фото.png."]
    links = {a.text: a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "td a")}
    assert set(links) == {"Quarterly_report.txt", "фото.png"}
    browser.get(links["Quarterly_report.txt"])
    assert browser.find_element(By.TAG_NAME, "body").text == "numbers"
    open_page(browser, server)
    click_and_wait(
        browser, browser.find_element(By.CSS_SELECTOR, "button[aria-label='Delete Quarterly_report.txt']")
    )
    assert messages(browser) == ["Deleted Quarterly_report.txt."]
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "td a")] == ["фото.png"]


def test_bad_uploads_show_a_readable_message(server, browser, tmp_path):
    script = tmp_path / "setup.exe"
    script.write_bytes(b"MZ")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * ((1 << 20) + 1))
    open_page(browser, server)
    upload(browser, script, big)
    assert messages(browser) == [
        "setup.exe: this type of file is not accepted here.",
        "big.txt: too large (the limit is 1 MB).",
    ]
    assert "No files yet" in browser.page_source
    upload(browser)
    assert messages(browser) == ["Choose at least one file to upload."]
