"""The HTML handout and slides, as `build` writes them, in Chromium: axe-core finds no serious or
critical violation; the deck works with the keyboard alone and tells a screen reader which slide
is shown; nothing moves for a reader who asked for reduced motion; the handout reflows on a
360 px phone at 200 % text. English and Arabic (right to left), whrd and journalist profiles.

The pages are opened from file:// and must make no request: anything that is not file: or
data: is aborted and fails the test. No server, so no allow_hosts mark: Playwright talks to its
driver over pipes, which pytest-socket leaves alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import CHROMIUM, chromium, serious_violations

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"), reason="Debian chromium is not installed (make deps installs it)"
)

CURRICULUM = Path(__file__).resolve().parent.parent / "curriculum"
PROFILES = ("whrd", "journalist")
LANGS = ("en", "ar")
PACKS = [(profile, lang) for profile in PROFILES for lang in LANGS]
LOCAL = ("file:", "data:")  # the files themselves, and what they carry inline


@pytest.fixture(scope="module")
def packs(shipped_packs: Path) -> Path:
    return shipped_packs


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with chromium() as launched:
        yield launched


class Pages:
    """Opens built files in fresh browser contexts and collects what must not happen: a request
    that leaves the file (aborted, never sent) and a script error."""

    def __init__(self, browser, packs: Path):  # type: ignore[no-untyped-def]
        self.browser, self.packs = browser, packs
        self.problems: list[str] = []
        self.contexts: list = []

    def open(self, profile: str, lang: str, name: str, **options):  # type: ignore[no-untyped-def]
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        context.route("**/*", self._route)
        page = context.new_page()
        # A request that CSP blocks never reaches the route, but Playwright still reports it.
        page.on("request", lambda request: None if request.url.startswith(LOCAL) else self.problems.append(f"request: {request.url}"))
        page.on("pageerror", lambda error: self.problems.append(f"error: {error}"))
        page.goto((self.packs / profile / lang / name).as_uri())
        return page

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.problems.append(f"request: {route.request.url}")
            route.abort()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, packs: Path) -> Iterator[Pages]:  # type: ignore[no-untyped-def]
    opened = Pages(browser, packs)
    yield opened
    opened.close()


@pytest.mark.parametrize(("profile", "lang"), PACKS)
def test_axe_finds_no_serious_violation_in_the_handout_or_the_slides(pages: Pages, profile: str, lang: str) -> None:
    found = {}
    for name in ("handout.html", "slides.html"):
        page = pages.open(profile, lang, name)
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        found[name] = serious_violations(page)
    assert found == {"handout.html": [], "slides.html": []}
    assert pages.problems == []


# --- the deck with the keyboard alone ----------------------------------------------------------

SLIDE_LABEL = {"en": "Slide {n} of {total}", "ar": "الشريحة {n} من {total}"}


def shown(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The ids of the slides that are rendered (the others are display: none)."""
    return page.eval_on_selector_all("#deck .slide", "slides => slides.filter(s => s.checkVisibility()).map(s => s.id)")


def expect(locator):  # type: ignore[no-untyped-def]
    """Playwright's retrying assertion, for what changes over a transition."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def focus_ring(page) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => {
          const el = document.activeElement, style = getComputedStyle(el);
          return {id: el.id, focusVisible: el.matches(':focus-visible'), outline: style.outlineStyle,
                  width: parseFloat(style.outlineWidth)};
        }"""
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_slides_work_with_the_keyboard_alone_and_say_where_they_are(pages: Pages, lang: str) -> None:
    page = pages.open("whrd", lang, "slides.html", viewport={"width": 1280, "height": 720})
    total = page.locator("#deck .slide").count()
    assert total > 10
    assert shown(page) == ["slide-1"]

    # The keys are not mirrored in Arabic: a presenter's clicker sends the same keys in every language.
    for key, expected in (
        ("ArrowRight", 2),
        ("ArrowRight", 3),
        ("ArrowLeft", 2),
        ("Space", 3),
        ("Shift+Space", 2),
        ("PageDown", 3),
        ("PageUp", 2),
        ("End", total),
        ("Home", 1),
        ("PageDown", 2),
    ):
        page.keyboard.press(key)
        assert shown(page) == [f"slide-{expected}"], key

    # the current slide is announced, and is the only one a screen reader or the Tab key can reach
    label = SLIDE_LABEL[lang].format(n=2, total=total)
    title = page.inner_text("#slide-2 h2")
    assert page.inner_text("#slide-status") == f"{label}: {title}"
    assert page.get_attribute("#slide-status", "aria-live") == "polite"
    assert page.eval_on_selector_all("[aria-current]", "all => all.map(e => e.id)") == ["slide-2"]
    tree = page.locator("#deck").aria_snapshot()
    assert f'region "{label}"' in tree and tree.count("region ") == 1, tree

    # Tab goes through the controls, each with a visible focus ring, and the hidden bar shows itself
    reached = []
    for _ in range(5):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        reached.append(ring["id"])
        assert ring["focusVisible"] and ring["outline"] != "none" and ring["width"] >= 2, ring
        expect(page.locator(".controls")).to_have_css("opacity", "1")  # it fades in
    assert reached == ["prev", "next", "speaker-button", "overview-button", "help-button"]
    # each says what it does: the help button by its name, not by the "?" it shows
    shortcuts = page.inner_text("#help h2")
    assert page.get_by_role("button", name=shortcuts, exact=True).get_attribute("id") == "help-button"

    # Enter and Space press the focused button (they do not turn the slide instead)
    page.focus("#prev")
    page.keyboard.press("Enter")
    assert shown(page) == ["slide-1"]
    page.focus("#next")
    page.keyboard.press("Space")
    assert shown(page) == ["slide-2"]

    # the help is a dialog: focus goes into it, and back to where it was on Escape
    page.focus("#help-button")
    page.keyboard.press("Enter")
    assert page.is_visible("#help") and page.evaluate("document.activeElement.id") == "help-close"
    assert page.evaluate("document.getElementById('deck').inert") is True
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    assert page.is_hidden("#help") and page.evaluate("document.activeElement.id") == "help-button"
    assert page.evaluate("document.getElementById('deck').inert") is False

    # the overview: arrows move the highlight, Enter opens that slide
    page.locator("#help-button").blur()
    page.keyboard.press("o")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert page.evaluate("document.body.classList.contains('overview-mode')") is False
    assert shown(page) == ["slide-3"]

    # and Tab goes from tile to tile (past any link a slide holds), the highlight and its
    # ring with it; out of the overview, the tiles are no longer stops for Tab
    page.keyboard.press("o")
    assert page.evaluate("document.activeElement.id") == "slide-3"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "slide-4":
            break
    ring = focus_ring(page)
    assert ring["id"] == "slide-4" and ring["focusVisible"] and ring["outline"] != "none", ring
    assert page.eval_on_selector_all("[aria-current]", "all => all.map(e => e.id)") == ["slide-4"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.body.classList.contains('overview-mode')") is False
    assert shown(page) == ["slide-4"]
    assert page.eval_on_selector_all("#deck .slide[tabindex]", "all => all.length") == 0
    assert pages.problems == []


# --- reduced motion ----------------------------------------------------------------------------

MOVING = """() => Array.from(document.querySelectorAll('*'))
  .filter(el => getComputedStyle(el).transitionDuration.split(', ').some(d => parseFloat(d) > 0)
             || getComputedStyle(el).animationName !== 'none')
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''))"""


@pytest.mark.parametrize("lang", LANGS)
def test_nothing_moves_when_the_reader_asks_for_reduced_motion(pages: Pages, lang: str) -> None:
    slides = pages.open("journalist", lang, "slides.html")
    assert slides.evaluate(MOVING) != []  # the control bar fades in and out normally
    slides.emulate_media(reduced_motion="reduce")
    assert slides.evaluate(MOVING) == []
    slides.keyboard.press("ArrowRight")
    style = slides.eval_on_selector(".slide.current", "s => [getComputedStyle(s).transitionDuration, getComputedStyle(s).animationName]")
    assert style == ["0s", "none"]
    handout = pages.open("journalist", lang, "handout.html")
    handout.emulate_media(reduced_motion="reduce")
    assert handout.evaluate(MOVING) == []
    assert pages.problems == []


# --- the handout on a phone at 200 % text ------------------------------------------------------

# What does not fit: the page scrolls sideways, or an element reaches past the screen's edge or
# past its own box. A box that scrolls on its own (a wide table) is checked as a whole, not inside.
OVERFLOWS = """() => {
  const html = document.documentElement, width = html.clientWidth, found = [];
  const scrolls = el => getComputedStyle(el).overflowX !== 'visible';
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (!el.checkVisibility()) continue;
    let inside = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) if (scrolls(up)) { inside = true; break; }
    if (inside) continue;
    const box = el.getBoundingClientRect();
    const spills = style.display !== 'inline' && !scrolls(el) && el.scrollWidth > el.clientWidth + 1;
    if (box.left < -1 || box.right > width + 1 || spills)
      found.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ': ' + (el.textContent || '').trim().slice(0, 40));
  }
  return {scrollWidth: html.scrollWidth, clientWidth: width, found: found};
}"""

# Text-only zoom, as a browser's font-size setting does it: the root font size doubled.
DOUBLE_THE_TEXT = """() => {
  const root = document.documentElement, size = parseFloat(getComputedStyle(root).fontSize);
  root.style.setProperty('font-size', (2 * size) + 'px', 'important');
  return parseFloat(getComputedStyle(document.querySelector('.participant p')).fontSize);
}"""


@pytest.mark.parametrize("zoom", ["text", "page"])
@pytest.mark.parametrize(("profile", "lang"), PACKS)
def test_the_handout_reflows_on_a_phone_at_200_percent(pages: Pages, profile: str, lang: str, zoom: str) -> None:
    if zoom == "text":  # a 360 px phone with its text at 200 %
        page = pages.open(profile, lang, "handout.html", viewport={"width": 360, "height": 740})
        assert page.evaluate(DOUBLE_THE_TEXT) >= 32
    else:  # the same phone zoomed to 200 %: 180 CSS pixels wide
        page = pages.open(profile, lang, "handout.html", viewport={"width": 180, "height": 370})
    result = page.evaluate(OVERFLOWS)
    assert result["found"] == []
    assert result["scrollWidth"] <= result["clientWidth"]
    # a wide table scrolls inside its own box, which the keyboard can reach and a screen reader names
    for box in page.query_selector_all(".table-scroll"):
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region" and box.get_attribute("aria-label")
    if profile == "whrd":  # its evidence log is a table wider than the phone
        assert page.eval_on_selector_all(".table-scroll", "boxes => boxes.some(b => b.scrollWidth > b.clientWidth)")
    assert pages.problems == []
