"""HTML → PDF with WeasyPrint, through a fetcher that serves only the curriculum's own images.

WeasyPrint's default fetcher follows file:// and http(s)://; ours serves
`trainkit:lesson/<id>/<file>` from that lesson's folder (assets.load_resource:
regular files, no links, size-capped, bytes matching the type) and refuses
everything else before any lookup. A refusal, or any resource WeasyPrint could
not load, fails the document with a `Failure` that names the lesson it is in.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..assets import lesson_of, load_resource
from ..files import Refused
from ..markup import VIRTUAL_SCHEME
from .fonts import restore_field_fonts_text

if TYPE_CHECKING:
    import weasyprint

GOTO = "trainkit:goto/"  # a link to an anchor in another part, resolved when the parts are assembled
# The end of a part's text (pdf/document.py puts it there): where it falls on the last page tells
# how full that page is, through WeasyPrint's documented Page.anchors.
PART_END = "tk-part-end"
# A last page whose text ends in its top quarter holds a few lines only: the part is laid out
# again a little tighter, step by step, and the tighter layout is kept if it saves that page.
NEARLY_EMPTY = 0.25
TIGHTER = (
    "html { font-size: 11pt; } body { line-height: 1.4; }",
    "html { font-size: 11pt; } body { line-height: 1.36; } p, ul, ol, dl { margin-block: 0.45em; }"
    " h2 { margin-top: 0.9em; } .box, .activity, .caution, .worksheet, .slide-notes > li { margin-block: 0.5em; }",
)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a document or part failed, and the lesson it happened in ('' when none can be named)."""

    message: str
    lesson: str = ""


class RenderError(Exception):
    """A document could not be rendered safely; `failures` say why and where."""

    def __init__(self, failures: list[Failure]):
        self.failures = failures
        super().__init__("; ".join(f.message for f in failures))


class AssemblyError(Exception):
    """Assembly would give a wrong PDF (missing footers, a dead link, unsettled contents): fail loudly."""

    def __init__(self, message: str, lesson: str = ""):
        self.lesson = lesson
        super().__init__(message)


@dataclass
class _Collector(logging.Handler):
    messages: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, level=logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __hash__(self) -> int:
        return id(self)


class PdfWriter:
    """Renders HTML strings to PDF bytes; one per worker, reusing fonts and parsed stylesheets."""

    def __init__(self, lessons_root: Path):
        from weasyprint.text.fonts import FontConfiguration

        self.lessons_root = lessons_root
        self.font_config = FontConfiguration()
        self._fetcher = self._make_fetcher()
        self._stylesheets: dict[str, weasyprint.CSS] = {}

    def _make_fetcher(self):  # type: ignore[no-untyped-def]
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        lessons_root = self.lessons_root

        class CurriculumFetcher(URLFetcher):
            """Serves lesson images only; never opens a socket or a path outside a lesson folder."""

            def __init__(self) -> None:
                super().__init__(allowed_protocols=set(), allow_redirects=False, fail_on_errors=True)
                self.refused: list[Failure] = []

            def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
                try:
                    data, mime = load_resource(url, lessons_root)
                except Refused as refused:
                    self.refused.append(Failure(refused.message, lesson_of(url)))
                    raise
                return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

        return CurriculumFetcher

    def stylesheet(self, css: str) -> weasyprint.CSS:
        """`css` parsed once per worker: every part of a document shares its stylesheet, and
        parsing it again for each lesson would cost a sixth of the lesson's layout."""
        from weasyprint import CSS

        key = hashlib.sha256(css.encode()).hexdigest()
        sheet = self._stylesheets.get(key)
        if sheet is None:
            if len(self._stylesheets) > 32:
                self._stylesheets.clear()
            # Our fetcher here too: a stylesheet given on its own would otherwise load url()s with WeasyPrint's.
            sheet = CSS(string=css, base_url=f"{VIRTUAL_SCHEME}pack/", url_fetcher=self._fetcher(), font_config=self.font_config)
            self._stylesheets[key] = sheet
        return sheet

    def _lay_out(self, html: str, fetcher, stylesheets: list[weasyprint.CSS]) -> weasyprint.Document:  # type: ignore[no-untyped-def]
        from weasyprint import HTML

        return HTML(string=html, base_url=f"{VIRTUAL_SCHEME}pack/", url_fetcher=fetcher).render(
            font_config=self.font_config, stylesheets=stylesheets or None, pdf_forms=True
        )

    def render(
        self, html: str, *, css: str = "", lesson: str = "", outward_links: bool = False, tagged: bool = True, settle: bool = False
    ) -> tuple[bytes, int]:
        """PDF bytes and page count; RenderError if anything was refused or failed to load.

        `css` is the document's stylesheet when the HTML carries none of its own. With
        `outward_links` (a part of a larger document), a link to an anchor this HTML does not
        hold becomes a `trainkit:goto/` link that assembly points at the right page. A `tagged`
        PDF carries WeasyPrint's structure tree (headings, lists, tables, figures with their
        alt text, links) for screen readers; only the footer overlay, drawn as an artifact, is not.
        To `settle` a part is to lay it out tighter when its last page would hold a few lines only."""
        from weasyprint.urls import FatalURLFetchingError

        fetcher = self._fetcher()
        collector = _Collector()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(collector)
        try:
            stylesheets = [self.stylesheet(css)] if css else []
            document = self._lay_out(html, fetcher, stylesheets)
            steps = iter(TIGHTER if settle else ())
            while len(document.pages) > 1 and _nearly_empty(document.pages[-1]) and (tighter := next(steps, None)):
                again = self._lay_out(html, fetcher, [*stylesheets, self.stylesheet(tighter)])
                if len(again.pages) < len(document.pages):
                    document = again
            if outward_links:
                _point_outward(document)
            data = restore_field_fonts_text(document.write_pdf(pdf_tags=tagged, pdf_forms=True), document.fonts.values())
        except FatalURLFetchingError as exc:
            raise RenderError(fetcher.refused or [Failure(str(exc), lesson)]) from None
        finally:
            logger.removeHandler(collector)
        failures = fetcher.refused + [Failure(m, lesson) for m in collector.messages if _is_failure(m)]
        if failures:
            raise RenderError(failures)
        return data, len(document.pages)


def _nearly_empty(page: weasyprint.Page) -> bool:
    end = page.anchors.get(PART_END)
    return end is not None and end[1] < page.height * NEARLY_EMPTY


def _point_outward(document: weasyprint.Document) -> None:
    """Internal links whose anchor is on none of the pages → `trainkit:goto/<anchor>`, through
    WeasyPrint's documented `Page.links` and `Page.anchors` (a missing anchor may be "not at all")."""
    anchors = {name for page in document.pages for name in page.anchors}
    for page in document.pages:
        page.links = [
            ("external", GOTO + target, rectangle, box) if kind == "internal" and target not in anchors else (kind, target, rectangle, box)
            for kind, target, rectangle, box in page.links
        ]


def _is_failure(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in ("failed to load", "error fetching", "refused", "relative uri reference", "not an absolute uri"))
