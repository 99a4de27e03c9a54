"""The demo in a real browser (Debian's Chromium, headless): what a person sees and does.

Screenshots of what the tests saw are saved in ``build/test-artifacts/demo/`` (or
``$FS_TEST_ARTIFACTS/demo/``), for a person to look at; they are not committed.
"""

from __future__ import annotations

import base64
import io
import os
import time
import wave
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from demo_pictures import write_photos

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("FS_TEST_ARTIFACTS") or ROOT / "build" / "test-artifacts") / "demo"
PHOTOS = {"Lake at dawn.jpg": "dawn", "Summer noon.jpg": "noon", "Dusk over the ridge.jpg": "dusk"}


def until(browser, check, timeout: float = 30, what: str = ""):
    return WebDriverWait(browser, timeout).until(lambda driver: check(driver), what)


def visit(browser, url: str) -> None:
    """Open ``url`` and wait for its page to be there (right after a window resize, Chromium
    may report the page of a navigation still under way as empty)."""
    browser.get(url)
    until(
        browser,
        lambda d: (
            d.execute_script("return document.readyState") == "complete"
            and d.find_elements(By.CSS_SELECTOR, "body > *")
        ),
        what=f"{url} to load",
    )


def screenshot(browser, name: str, width: int = 1280) -> Path:
    """The whole page at ``width`` CSS pixels, saved as an artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(width, 900)
    height, chrome = browser.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]"
    )
    browser.set_window_size(width, min(max(height + chrome, 600), 4000))
    time.sleep(0.3)
    path = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def queue(browser) -> list[tuple[str, str, str]]:
    """(file name, state, status text) of each file of the uploader's list."""
    rows = browser.find_elements(By.CSS_SELECTOR, ".queue li")
    return [
        (
            row.find_element(By.CSS_SELECTOR, ".file-name").text,
            row.get_attribute("class"),
            row.find_element(By.CSS_SELECTOR, ".status").text,
        )
        for row in rows
    ]


def uploads_finished(browser, count: int) -> list[tuple[str, str, str]]:
    def finished(_driver):
        rows = queue(browser)
        done = len(rows) == count and all(state in ("done", "failed") for _, state, _ in rows)
        return rows if done else False

    return until(browser, finished, what=f"{count} uploads to finish")


def loaded_thumbnails(browser) -> list[dict]:
    """The grid's images, once each has finished loading: its name, size and source."""
    script = """
        return Array.from(document.querySelectorAll('#listing .grid img')).map(img => ({
            name: img.closest('a').title, complete: img.complete, width: img.naturalWidth,
            source: img.currentSrc}));
    """

    def loaded(driver):
        images = driver.execute_script(script)
        return images if images and all(i["complete"] for i in images) else False

    return until(browser, loaded, what="the thumbnails to load")


@pytest.fixture
def files(tmp_path) -> Path:
    folder = tmp_path / "from-the-visitor"
    folder.mkdir()
    write_photos(folder, PHOTOS)
    (folder / "notes.txt").write_text("Meeting notes")
    (folder / "setup.exe").write_bytes(b"MZ\x90\x00")
    (folder / "holiday.jpg").write_bytes(b"this is no picture")
    return folder


@pytest.fixture
def site(make_demo_app, live_server, demo_backend):
    return live_server(make_demo_app(demo_backend))


def test_upload_several_files_with_the_picker(site, browser, files):
    browser.set_window_size(1280, 1000)
    visit(browser, site)
    assert "Nothing here yet" in browser.page_source
    picker = browser.find_element(By.CSS_SELECTOR, "form.upload input[type=file]")
    names = [*PHOTOS, "notes.txt", "setup.exe", "holiday.jpg"]
    picker.send_keys("\n".join(str(files / name) for name in names))
    rows = {name: (state, status) for name, state, status in uploads_finished(browser, len(names))}
    assert rows == {
        "Lake at dawn.jpg": ("done", "Saved as Lake_at_dawn.jpg."),
        "Summer noon.jpg": ("done", "Saved as Summer_noon.jpg."),
        "Dusk over the ridge.jpg": ("done", "Saved as Dusk_over_the_ridge.jpg."),
        "notes.txt": ("done", "Saved."),
        "setup.exe": (
            "failed",
            "'.exe' files are not accepted here: only photos, documents, text, audio, video and archives.",
        ),
        "holiday.jpg": ("failed", "Not really a JPG image: its content is something else, or damaged."),
    }
    bars = browser.execute_script(
        "return Array.from(document.querySelectorAll('.queue li.done progress')).map(p => p.value)"
    )
    assert bars == [100] * 4
    thumbnails = loaded_thumbnails(browser)
    assert sorted(t["name"] for t in thumbnails) == [
        "Dusk_over_the_ridge.jpg",
        "Lake_at_dawn.jpg",
        "Summer_noon.jpg",
    ]
    for thumbnail in thumbnails:
        assert thumbnail["width"] in (240, 480), thumbnail  # a real thumbnail, decoded
        assert thumbnail["source"].endswith(".jpg.webp"), thumbnail  # the WebP variant, chosen
    listed = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.files td.name a")]
    assert listed == ["notes.txt"]
    screenshot(browser, f"gallery-{site_backend(browser)}")


def site_backend(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, ".backend strong").text


def test_drag_and_drop(make_demo_app, live_server, browser, files):
    """A drop anywhere on the page: the browser's own drop event, with the files a person
    would drag from their desktop (made in the page, since a test cannot drag from the OS)."""
    site = live_server(make_demo_app())
    visit(browser, site)
    drop = """
        const [files, done] = [arguments[0], arguments[arguments.length - 1]];
        const transfer = new DataTransfer();
        for (const [name, base64] of files) {
            const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], name));
        }
        const target = document.querySelector('main h1');
        const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
        for (const type of ['dragenter', 'dragover']) target.dispatchEvent(new DragEvent(type, init));
        const highlighted = document.querySelector('form.upload').classList.contains('dragging');
        target.dispatchEvent(new DragEvent('drop', init));
        done(highlighted);
    """
    sources = [
        [name, base64.b64encode((files / name).read_bytes()).decode()]
        for name in ("Summer noon.jpg", "setup.exe")
    ]
    browser.set_script_timeout(20)
    highlighted = browser.execute_async_script(drop, sources)
    assert highlighted  # the zone showed it would take the files
    rows = uploads_finished(browser, 2)
    assert [(name, state) for name, state, _ in rows] == [
        ("Summer noon.jpg", "done"),
        ("setup.exe", "failed"),
    ]
    assert [t["name"] for t in loaded_thumbnails(browser)] == ["Summer_noon.jpg"]
    assert not browser.find_element(By.CSS_SELECTOR, "form.upload").get_attribute("class").count("dragging")


def test_detail_view_and_delete_with_confirmation(make_demo_app, live_server, browser, files):
    app = make_demo_app()
    site = live_server(app)
    client = app.test_client()
    sent = [
        (io.BytesIO((files / name).read_bytes()), name) for name in ("Dusk over the ridge.jpg", "notes.txt")
    ]
    assert client.post("/api/files", data={"file": sent}).status_code == 201
    browser.set_window_size(1280, 900)
    visit(browser, site)
    browser.find_element(By.CSS_SELECTOR, "#listing .grid a").click()
    until(browser, lambda d: d.current_url.endswith("/view/Dusk_over_the_ridge.jpg"))
    facts = {
        dt.text: dd.text
        for dt, dd in zip(
            browser.find_elements(By.CSS_SELECTOR, ".facts dt"),
            browser.find_elements(By.CSS_SELECTOR, ".facts dd"),
            strict=True,
        )
    }
    assert facts["Type"] == "image/jpeg"
    assert facts["Dimensions"] == "1200 × 800 pixels"
    assert facts["Metadata"] == "EXIF removed: no camera, date or GPS position is stored"
    assert facts["Checksum"].startswith("sha256:")
    image = until(
        browser,
        lambda d: d.execute_script(
            "const i = document.querySelector('.stage img');"
            "return i.complete && i.naturalWidth ? [i.naturalWidth, i.currentSrc] : false"
        ),
    )
    assert image[0] == 1200
    assert image[1].endswith("/media/shared/Dusk_over_the_ridge.jpg.webp")
    screenshot(browser, "detail")

    # Delete: a dialog asks first; cancelling keeps the file.
    browser.find_element(By.CSS_SELECTOR, ".info a[data-delete]").click()
    dialog = browser.find_element(By.ID, "confirm-delete")
    until(browser, lambda d: dialog.is_displayed())
    assert dialog.find_element(By.TAG_NAME, "h2").text == "Delete Dusk_over_the_ridge.jpg?"
    dialog.find_element(By.CSS_SELECTOR, "[data-close]").click()
    until(browser, lambda d: not dialog.is_displayed())
    assert client.get("/api/files/Dusk_over_the_ridge.jpg").status_code == 200
    browser.find_element(By.CSS_SELECTOR, ".info a[data-delete]").click()
    until(browser, lambda d: dialog.is_displayed())
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".message"))
    assert [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".message")] == [
        "Dusk_over_the_ridge.jpg: Deleted."
    ]
    assert not browser.find_elements(By.CSS_SELECTOR, "#listing .grid")
    assert client.get("/api/files/Dusk_over_the_ridge.jpg").status_code == 404

    # The list's own delete button asks too.
    dialog = browser.find_element(By.ID, "confirm-delete")  # of the page we are on now
    browser.find_element(By.CSS_SELECTOR, "a[aria-label='Delete notes.txt']").click()
    until(browser, lambda d: dialog.is_displayed())
    assert dialog.find_element(By.TAG_NAME, "h2").text == "Delete notes.txt?"
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(browser, lambda d: "Nothing here yet" in d.page_source)


def test_audio_plays_from_the_storage(make_demo_app, live_server, browser):
    """The detail view of a sound has a player; the browser reads it through ranges."""
    samples = io.BytesIO()
    with wave.open(samples, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(bytes(2 * 8000 * 2))  # two seconds of silence
    app = make_demo_app()
    upload = {"file": (io.BytesIO(samples.getvalue()), "Campfire.wav")}
    assert app.test_client().post("/api/files", data=upload).status_code == 201
    visit(browser, live_server(app) + "/view/Campfire.wav")
    duration = until(
        browser,
        lambda d: d.execute_script(
            "const a = document.querySelector('.stage audio'); return a.readyState >= 1 && a.duration"
        ),
        what="the sound's metadata",
    )
    assert abs(duration - 2.0) < 0.01


def test_long_names_stay_on_the_page(make_demo_app, live_server, browser, files):
    app = make_demo_app()
    client = app.test_client()
    long = "A_very_long_file_name_that_someone_pasted_a_whole_sentence_into_" * 3
    photo = (files / "Lake at dawn.jpg").read_bytes()
    upload = [
        (io.BytesIO(photo), long + ".jpg"),
        (io.BytesIO(b"notes"), long + ".txt"),
        (io.BytesIO(b"x"), "a.txt"),
    ]
    assert client.post("/api/files", data={"file": upload}).status_code == 201
    site = live_server(app)
    widths = {}
    for width in (1280, 390):
        browser.set_window_size(width, 900)
        for path in ("/", f"/view/{long}.jpg", f"/view/{long}.txt"):
            visit(browser, site + path)
            widths[width, path] = browser.execute_script(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
        visit(browser, site)
        screenshot(browser, f"long-names-{width}", width)
    for (width, path), (scroll, client_width) in widths.items():
        assert scroll <= client_width, (width, path, scroll, client_width)


def test_private_area_with_links_that_expire(make_demo_app, live_server, browser, files):
    site = live_server(make_demo_app(DEMO_LINK_EXPIRES=3))
    browser.set_window_size(1280, 900)
    visit(browser, site + "/private/")
    assert "Only you see these files" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "form.upload input[type=file]").send_keys(
        str(files / "Summer noon.jpg")
    )
    assert uploads_finished(browser, 1)[0][1] == "done"
    (thumbnail,) = loaded_thumbnails(browser)
    assert thumbnail["width"] > 0
    assert "/media/private/" in thumbnail["source"]
    assert "signature=" in thumbnail["source"]
    link = browser.find_element(By.CSS_SELECTOR, "#listing .grid a").get_attribute("href")
    # A profile: a name and a picture (an fs-mongoengine ImageField), shown in the header.
    profile = browser.find_element(By.CSS_SELECTOR, "form.profile")
    profile.find_element(By.NAME, "name").send_keys("Ann")
    profile.find_element(By.NAME, "avatar").send_keys(str(files / "Lake at dawn.jpg"))
    profile.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    avatar = until(
        browser,
        lambda d: d.execute_script(
            "const i = document.querySelector('.top .me img');"
            "return i && i.complete && i.naturalWidth"
            " ? [i.naturalWidth, i.closest('a').textContent.trim()] : false"
        ),
        what="the profile picture in the header",
    )
    assert avatar == [32, "Ann"]
    screenshot(browser, "private")
    visit(browser, site)  # the shared area does not show it
    assert "Summer_noon" not in browser.page_source
    unsigned = thumbnail["source"].split("?")[0]
    visit(browser, unsigned)
    assert "403" in browser.title or "Forbidden" in browser.find_element(By.TAG_NAME, "body").text
    visit(browser, link)  # the detail view, with fresh links
    time.sleep(3.5)
    visit(browser, thumbnail["source"])  # the link the page gave, expired
    assert "Forbidden" in browser.find_element(By.TAG_NAME, "body").text


def test_readme_screenshot(make_demo_app, live_server, browser, tmp_path):
    """The scene of the README's screenshot (examples/demo/screenshot.png is a copy of
    build/test-artifacts/demo/readme.png): a gallery, a list of files, and an upload under
    way with a refusal among it."""
    app = make_demo_app()
    client = app.test_client()
    photos = {
        "Morning mist.jpg": "mist",
        "Lake at dawn.jpg": "dawn",
        "Night by the water.jpg": "night",
        "Dusk over the ridge.jpg": "dusk",
    }
    folder = tmp_path / "scene"
    folder.mkdir()
    write_photos(folder, {**photos, "Summer noon.jpg": "noon"})
    others = {
        "Trip budget.xlsx": b"PK\x03\x04" + bytes(48_200),
        "Packing list.txt": b"tent, stove, maps\n" * 40,
        "Campfire song.mp3": b"ID3" + bytes(3_412_000),
        "Route.pdf": b"%PDF-1.7\n" + bytes(1_270_000),
    }
    for name, content in others.items():
        assert client.post("/api/files", data={"file": (io.BytesIO(content), name)}).status_code == 201
    for name in photos:
        upload = (io.BytesIO((folder / name).read_bytes()), name)
        assert client.post("/api/files", data={"file": upload}).status_code == 201
    (folder / "install.exe").write_bytes(b"MZ" + bytes(600_000))
    site = live_server(app)
    browser.set_window_size(1280, 900)
    visit(browser, site)
    picker = browser.find_element(By.CSS_SELECTOR, "form.upload input[type=file]")
    picker.send_keys(f"{folder / 'Summer noon.jpg'}\n{folder / 'install.exe'}")
    assert [state for _, state, _ in uploads_finished(browser, 2)] == ["done", "failed"]
    assert len(loaded_thumbnails(browser)) == 5
    assert screenshot(browser, "readme").stat().st_size > 0
    scroll, width = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= width
