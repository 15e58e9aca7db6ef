"""The workbench in real Chromium (Playwright driving the Debian browser, as test_slides does).

The trainer's path: a workshop from a profile, drop, add, reorder (with the keyboard),
budget and agenda following, save, reopen from disk, build, download, verify. A lesson
edited on disk changes the preview without a reload. Arabic lays the pages out right
to left. axe-core finds no serious or critical violation in the pages or the previews.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support import CHROMIUM, Server, chromium, serious_violations, start

pytestmark = [
    pytest.mark.allow_hosts(["127.0.0.1"]),
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"), reason="Debian chromium is not installed (make deps installs it)"
    ),
]


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    with chromium() as launched:
        yield launched


def new_page(browser, server: Server, remote: list[str], errors: list[str]):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    base = f"http://127.0.0.1:{server.port}"
    page.on("request", lambda request: None if request.url.startswith((base, "data:")) else remote.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return page, base


def expect(locator):  # type: ignore[no-untyped-def]
    """Playwright's retrying assertions (they need no eval, which the workbench's policy forbids)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def lesson_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("#plan-list li", "items => items.map(i => i.dataset.id)")


def test_the_trainers_path_from_profile_to_verified_zip(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    remote: list[str] = []
    errors: list[str] = []
    page, base = new_page(browser, server, remote, errors)
    page.goto(base + "/plan")
    page.fill("#f-name", "autumn-school")
    page.select_option("#f-profile", "journalist")
    expect(page.locator("#plan-list li")).to_have_count(2)
    assert lesson_ids(page) == ["alpha", "beta"]
    assert page.inner_text("#budget").startswith("75 min / 60 min")  # over the profile's budget
    # drop beta
    page.click("#plan-list li[data-id=beta] .remove")
    expect(page.locator("#plan-list li")).to_have_count(1)
    assert page.inner_text("#budget").startswith("30 min / 60 min")
    # add gamma, then beta back: the planner orders them (beginner before intermediate)
    page.select_option("#add-lesson", "gamma")
    page.click("#add-button")
    expect(page.locator("#plan-list li")).to_have_count(2)
    page.select_option("#add-lesson", "beta")
    page.click("#add-button")
    expect(page.locator("#plan-list li")).to_have_count(3)
    assert lesson_ids(page) == ["alpha", "gamma", "beta"]
    assert page.inner_text("#budget").startswith("115 min")
    # reorder with the keyboard alone: focus beta's "move up" and press Enter
    page.focus("#plan-list li[data-id=beta] .up")
    page.keyboard.press("Enter")
    expect(page.locator("#plan-list li").nth(1)).to_have_attribute("data-id", "beta")
    assert lesson_ids(page) == ["alpha", "beta", "gamma"]
    # moving beta above alpha is refused by its prerequisite, and the planner says why
    page.click("#plan-list li[data-id=beta] .up")
    expect(page.locator("#plan-notes .note-moved")).to_have_count(1)
    assert lesson_ids(page) == ["alpha", "beta", "gamma"]
    assert "builds on it" in page.inner_text("#plan-notes .note-moved")
    # the agenda follows the times
    first = page.inner_text(".agenda-day tbody tr:first-child .clock")
    assert first.replace("\u2013", "-") == "09:00-09:30"
    page.fill("#f-start", "10:00")
    expect(page.locator(".agenda-day tbody tr .clock").first).to_have_text(re.compile("^10:00"))
    page.fill("#f-break_every", "30")
    expect(page.locator(".agenda-day .slot-break")).to_have_count(2)
    # save: the file on disk is the one build --workshop reads
    page.click("#save-button")
    expect(page.locator("#save-state")).to_have_text("Saved")
    saved = server.folder / "workshops" / "autumn-school.yml"
    data = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert data["profile"] == "journalist" and data["start"] == "10:00" and data["break_every"] == 30
    assert data["order"] == ["alpha", "beta", "gamma"] and data["drop"] == [] and sorted(data["add"]) == ["gamma"]
    # reload from disk: a fresh page opens the saved file
    page.goto(base + "/plan?workshop=autumn-school")
    expect(page.locator("#plan-list li")).to_have_count(3)
    assert lesson_ids(page) == ["alpha", "beta", "gamma"]
    assert page.input_value("#f-start") == "10:00"
    # build and download
    page.select_option("#build-lang", "en")
    page.click("#build-button")
    page.wait_for_selector("#download-link", timeout=180_000)
    assert page.inner_text("#build-state").startswith("Built")
    with page.expect_download() as download_info:
        page.click("#download-link")
    zipped = tmp_path / "autumn-school-en.zip"
    download_info.value.save_as(zipped)
    checked = subprocess.run([sys.executable, "-m", "trainkit", "verify", str(zipped)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert remote == [] and errors == []


def test_editing_a_lesson_on_disk_refreshes_the_preview_without_a_reload(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    remote: list[str] = []
    errors: list[str] = []
    page, base = new_page(browser, server, remote, errors)
    page.goto(base + "/preview")
    page.select_option("#p-source", "profile/journalist")
    frame = page.frame_locator("#preview-frame")
    frame.locator("text=Alpha basics").first.wait_for()
    page.evaluate("window.stillTheSamePage = true")
    lesson = server.folder / "curriculum" / "lessons" / "alpha" / "en.md"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.replace("title: Alpha basics", "title: Alpha, freshly edited"), encoding="utf-8")
    frame.locator("text=Alpha, freshly edited").first.wait_for(timeout=10_000)
    assert page.evaluate("window.stillTheSamePage") is True
    # a mistake in the lesson shows as path:line: message in place of the preview
    lesson.write_text(text.replace("level: beginner", "level: expert"), encoding="utf-8")
    frame.locator("text=The curriculum has errors").first.wait_for(timeout=10_000)
    shown = frame.locator("body").inner_text()
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("level:"))
    assert f"alpha/en.md:{line}:" in shown
    lesson.write_text(text, encoding="utf-8")
    frame.locator("text=Alpha basics").first.wait_for(timeout=10_000)
    # the handout PDF follows
    page.wait_for_selector("#pdf-links a", timeout=180_000)
    assert [a.inner_text() for a in page.query_selector_all("#pdf-links a")] == ["guide.pdf", "handout.pdf"]
    assert page.evaluate("window.stillTheSamePage") is True
    assert remote == []
    assert [e for e in errors if "status of 422" not in e] == []  # the problems page comes with 422, by design


def test_arabic_interface_is_right_to_left(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    remote: list[str] = []
    errors: list[str] = []
    page, base = new_page(browser, server, remote, errors)
    page.goto(base + "/ui/ar?back=/plan")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    page.select_option("#open-workshop", "spring")
    expect(page.locator("#plan-list li")).to_have_count(2)
    expect(page.locator("#f-name")).to_have_value("spring")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    # the first lesson's title starts at the right edge of the list
    box = page.locator("#plan-list li").first.bounding_box()
    title = page.locator("#plan-list li .lesson-title").first.bounding_box()
    assert box and title and title["x"] + title["width"] > box["x"] + box["width"] * 0.6
    assert "خطط لورشة عمل" in page.inner_text("h1")
    assert remote == [] and errors == []


@pytest.mark.parametrize("ui", ["en", "ar"])
def test_axe_finds_no_serious_violation_in_the_workbench(server: Server, browser, ui: str) -> None:  # type: ignore[no-untyped-def]
    remote: list[str] = []
    errors: list[str] = []
    page, base = new_page(browser, server, remote, errors)
    page.goto(f"{base}/ui/{ui}?back=/lessons")
    found = {}
    for path, ready in (
        ("/lessons", "#lesson-table"),
        ("/lessons/alpha", ".handout-text"),
        ("/plan?workshop=spring", "#plan-list li"),
        ("/preview", "#preview-frame"),
        ("/translations", "table.statuses"),
    ):
        page.goto(base + path)
        page.wait_for_selector(ready)
        found[path] = serious_violations(page)
    assert found == {path: [] for path in found}
    assert remote == []


@pytest.fixture
def shipped(tmp_path: Path) -> Iterator[Server]:
    """The workbench on the shipped curriculum (Arabic and Spanish translations)."""
    root = Path(__file__).parent.parent
    shutil.copytree(root / "curriculum", tmp_path / "curriculum")
    shutil.copytree(root / "workshops", tmp_path / "workshops")
    running = start(tmp_path)
    yield running
    running.stop()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_finds_no_serious_violation_in_the_previewed_documents(shipped: Server, browser, lang: str) -> None:  # type: ignore[no-untyped-def]
    remote: list[str] = []
    errors: list[str] = []
    page, base = new_page(browser, shipped, remote, errors)
    found = {}
    for name in ("handout.html", "slides.html"):
        page.goto(f"{base}/preview/profile/whrd/{lang}/{name}")
        page.wait_for_selector("h1, h2")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        found[name] = serious_violations(page)
    assert found == {"handout.html": [], "slides.html": []}
    assert remote == []
