"""HTML → PDF with WeasyPrint, through a fetcher that serves only the curriculum's own images.

WeasyPrint's default fetcher follows file:// and http(s)://; ours serves
`trainkit:lesson/<id>/<file>` from that lesson's folder (regular files, no links,
size-capped, bytes matching the type) and refuses everything else before any
lookup. A refusal, or any resource WeasyPrint could not load, fails the document.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from ..files import Refused, read_bytes, sniff_image
from ..markup import VIRTUAL_SCHEME
from ..model import ID_PATTERN

LESSON_URL = re.compile(r"^trainkit:lesson/([a-z0-9][a-z0-9-]{0,63})/([^/\\]+)$")


class RenderError(Exception):
    """A document could not be rendered safely; `messages` say why."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


def load_resource(url: str, lessons_root: Path) -> tuple[bytes, str]:
    """The bytes and MIME type behind a `trainkit:` URL; Refused for anything else."""
    match = LESSON_URL.match(url)
    if not match or not ID_PATTERN.match(match.group(1)):
        raise Refused(f"refused to load '{url[:200]}': only images in the lesson's own folder may be used")
    lesson_id, quoted = match.groups()
    name = unquote(quoted)  # views.image_url quotes names with spaces or non-ASCII letters
    if name.startswith(".") or name in ("..", ".") or "/" in name or "\\" in name:
        raise Refused(f"refused to load '{url[:200]}'")
    folder = lessons_root / lesson_id
    try:
        data = read_bytes(folder / name, folder)
        return data, sniff_image(data, name)
    except Refused as refused:
        raise Refused(f"image '{name}' of lesson '{lesson_id}': {refused.message}", refused.line) from None


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
    """Renders HTML strings to PDF bytes; one per worker, reusing fonts between documents."""

    def __init__(self, lessons_root: Path):
        from weasyprint.text.fonts import FontConfiguration

        self.lessons_root = lessons_root
        self.font_config = FontConfiguration()
        self._fetcher = self._make_fetcher()

    def _make_fetcher(self):  # type: ignore[no-untyped-def]
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        lessons_root = self.lessons_root

        class CurriculumFetcher(URLFetcher):
            """Serves lesson images only; never opens a socket or a path outside a lesson folder."""

            def __init__(self) -> None:
                super().__init__(allowed_protocols=set(), allow_redirects=False, fail_on_errors=True)
                self.refused: list[str] = []

            def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
                try:
                    data, mime = load_resource(url, lessons_root)
                except Refused as refused:
                    self.refused.append(refused.message)
                    raise
                return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

        return CurriculumFetcher

    def render(self, html: str) -> tuple[bytes, int]:
        """PDF bytes and page count; RenderError if anything was refused or failed to load."""
        from weasyprint import HTML
        from weasyprint.urls import FatalURLFetchingError

        fetcher = self._fetcher()
        collector = _Collector()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(collector)
        try:
            document = HTML(string=html, base_url=f"{VIRTUAL_SCHEME}pack/", url_fetcher=fetcher).render(font_config=self.font_config)
            data = document.write_pdf(font_config=self.font_config)
        except FatalURLFetchingError as exc:
            raise RenderError(fetcher.refused or [str(exc)]) from None
        finally:
            logger.removeHandler(collector)
        failures = fetcher.refused + [m for m in collector.messages if _is_failure(m)]
        if failures:
            raise RenderError(failures)
        return data, len(document.pages)


def _is_failure(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in ("failed to load", "error fetching", "refused", "relative uri reference", "not an absolute uri"))
