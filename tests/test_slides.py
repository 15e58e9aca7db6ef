"""Slides: the HTML deck (self-contained, CSP, notes), a real Chromium run, and the 16:9 PDF."""

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from support import CHROMIUM, CHROMIUM_ARGS

from trainkit.cli import main


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    root = tmp_path_factory.mktemp("slides")
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", root / "mini")
    args = ["--curriculum", str(root / "mini"), "build", "--format", "slides", "--profile", "journalist", "--out", str(root / "out")]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "out" / "journalist"


class Deck(HTMLParser):
    def __init__(self):
        super().__init__()
        self.slides, self.refs, self.csp, self.scripts = 0, [], None, 0
        self.in_style, self.style = False, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "slide" in (attrs.get("class") or "").split():
            self.slides += 1
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.csp = attrs["content"]
        if tag == "script":
            self.scripts += 1
            assert "src" not in attrs
        if tag in ("link", "iframe", "object", "embed", "base"):
            self.refs.append((tag, attrs))
        for name in ("src", "srcset", "poster", "data"):
            if name in attrs:
                self.refs.append((tag, attrs))
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.style += data


def test_deck_html_is_self_contained_with_slides_and_notes(deck):
    html = (deck / "en" / "slides.html").read_text()
    parser = Deck()
    parser.feed(html)
    # title + agenda + (section + 2 slides) for alpha + (section + 1 slide) for beta
    assert parser.slides == 1 + 1 + 3 + 2
    for text in ("Alpha slide one", "Alpha notes one.", "Alpha notes two.", "Beta slide", "Beta notes."):
        assert text in html
    assert parser.csp.startswith("default-src 'none'") and "script-src 'sha256-" in parser.csp and "base-uri 'none'" in parser.csp
    assert parser.scripts == 1
    for tag, attrs in parser.refs:
        assert tag == "img" and attrs["src"].startswith("data:"), (tag, attrs)
    assert "@import" not in parser.style
    assert all(url.startswith("data:") for url in re.findall(r"url\(\s*['\"]?([^)'\"]+)", parser.style))


def test_script_hash_in_csp_matches_the_script(deck):
    import base64
    import hashlib

    html = (deck / "en" / "slides.html").read_text()
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in html


def test_slides_pdf_is_16_by_9_one_page_per_slide(deck):
    reader = PdfReader(deck / "en" / "slides.pdf")
    assert len(reader.pages) == 7
    for page in reader.pages:
        ratio = float(page.mediabox.width) / float(page.mediabox.height)
        assert abs(ratio - 16 / 9) < 0.01
    text = reader.pages[3].extract_text()
    assert "Alpha slide one" in text and "Point one" in text
    assert "Alpha notes one." not in text


def test_slides_pdf_with_notes(tmp_path, mini, cli):
    result = cli(
        "--curriculum", mini, "build", "--format", "slides", "--profile", "whrd", "--lang", "en", "--notes", "--out", tmp_path / "out"
    )
    assert result.exit_code == 0, result.output
    reader = PdfReader(tmp_path / "out" / "whrd" / "en" / "slides.pdf")
    texts = [p.extract_text() for p in reader.pages]
    assert any("Alpha slide one" in t and "Alpha notes one." in t for t in texts)


def test_long_slide_is_a_check_warning(cli, mini):
    path = mini / "lessons" / "beta" / "en.md"
    path.write_text(path.read_text().replace("## Beta slide\n- Encrypt", "## Beta slide\n" + "\n".join(f"- point {i}" for i in range(8))))
    result = cli("--curriculum", mini, "check")
    assert "slide 'Beta slide' has 8 bullets" in result.output


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"), reason="Debian chromium is not installed (make deps installs it)"
)


@needs_chromium
def test_deck_in_chromium_navigates_and_makes_no_request(deck):
    from playwright.sync_api import sync_playwright

    requests = []
    errors = []
    url = (deck / "en" / "slides.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            assert page.inner_text("#counter") == "1 / 7"
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            assert page.inner_text("#counter") == "4 / 7"
            assert page.evaluate("location.hash") == "#/4"
            assert page.is_visible("text=Alpha slide one")
            page.keyboard.press("PageDown")
            page.keyboard.press("PageUp")
            page.keyboard.press("s")
            assert page.is_visible("#speaker-notes")
            assert "Alpha notes one." in page.inner_text("#speaker-notes")
            assert "Alpha slide two" in page.inner_text("#speaker-next")
            page.keyboard.press("Escape")
            page.keyboard.press("?")
            assert page.is_visible("#help")
            page.keyboard.press("Escape")
            page.click("#next")
            assert page.inner_text("#counter") == "5 / 7"
            page.reload()
            assert page.inner_text("#counter") == "5 / 7"  # the hash keeps the place
        finally:
            browser.close()
    assert errors == []
    assert [r for r in requests if r != url] == []
