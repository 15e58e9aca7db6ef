"""What the renderer hands the PDF stage: a document whole, or laid out in parts.

A handout or guide is a `PagedDocument`: its CSS, its footer rules, the front
(cover, contents and, in the guide, the agenda), one `Part` per lesson with the
lesson's id, and the back matter. Nothing is cut out of one HTML string: each
piece is made on its own by the templates (render.py), and this module only wraps
a piece in the page it is laid out in. A slides PDF is a `WholeDocument`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from .render import PART_END

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
# Transparent pages: the overlay must draw its footers and nothing else over the content.
_SHEETS = "html, body { background: transparent; } .tk-sheet + .tk-sheet { break-before: page; }"


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One lesson's pages (or the back matter's: `lesson` is then empty)."""

    body: str
    lesson: str = ""
    images: tuple[str, ...] = ()  # the trainkit:lesson/ URLs it shows (they are part of its cache key)
    lang: str = ""  # its language when not the document's (a lesson shown in the source language)


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """The `<html>` and `<body>` a piece is laid out in: the document's language, direction and classes."""

    lang: str
    dir: str
    body_class: str

    def wrap(self, body: str, *, title: str = "", style: str = "") -> str:
        """A whole HTML document around `body`. With no `style`, the CSS is given to the
        renderer on its own (a parsed stylesheet reused by every part of the document)."""
        css = f"<style>\n{style}\n</style>\n" if style else ""
        return (
            f'<!DOCTYPE html>\n<html lang="{escape(self.lang)}" dir="{escape(self.dir)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n{css}</head>\n"
            f'<body class="{escape(self.body_class)}">\n{body}\n</body>\n</html>\n'
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PagedDocument:
    """A handout or guide in pieces, each laid out alone and assembled (pdf/parts.py)."""

    page: Page
    title: str  # the PDF's title (metadata); parts carry none, so that packs can share them
    style: str  # every CSS rule of the document except its footers
    footers: str  # the @page rules that draw "Page N of M" and the title in the margins
    front: str
    contents: tuple[str, ...]  # the anchors the contents list gives a page number
    parts: tuple[Part, ...]

    def part_html(self, part: Part) -> str:
        """A part alone, ending with the marker whose place says how full its last page is (pdf/render.py)."""
        return self.page.wrap(f'{part.body}\n<div id="{PART_END}"></div>')

    def front_html(self, pages: Mapping[str, int]) -> str:
        """The front with each contents entry carrying the page its target starts on, which
        a front laid out alone cannot know (`target-counter` sees only its own pages)."""
        numbers = "\n".join(
            f'nav.toc a[href="#{anchor}"]::after {{ content: leader(". ") "{pages[anchor]}"; }}'
            for anchor in self.contents
            if anchor in pages and _SAFE_ID.fullmatch(anchor)
        )
        return self.page.wrap(self.front, title=self.title, style=numbers)

    def overlay_html(self, pages: int) -> str:
        """`pages` empty pages with the document's page rules and footers: only the footers are drawn."""
        return self.page.wrap('<div class="tk-sheet"></div>' * pages, style=f"{self.style}\n{self.footers}\n{_SHEETS}")

    def whole_html(self) -> str:
        """The same document as one HTML file, as a one-pass renderer would lay it out (for
        the benchmark's floor and the tests that compare an assembled PDF with it)."""
        body = "\n".join([self.front, *(part.body for part in self.parts)])
        return self.page.wrap(body, title=self.title, style=f"{self.style}\n{self.footers}")


@dataclass(frozen=True, slots=True, kw_only=True)
class WholeDocument:
    """A PDF laid out in one go (the slides): its HTML, and the images it shows."""

    html: str
    images: tuple[str, ...] = ()
    lessons: tuple[str, ...] = ()  # the lessons it shows, to name in an error no single lesson can be blamed for
