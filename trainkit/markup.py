"""Lesson Markdown → safe HTML fragments.

Python-Markdown passes raw HTML, `javascript:` links and event attributes straight
through, so every fragment is sanitised by nh3 with an explicit allowlist right
after rendering. Images may only name files in the lesson folder; they come out
as `trainkit:` URLs that only our fetcher (PDF) or inliner (HTML) resolves.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markupsafe import escape

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "b", "i",
    "code", "pre", "kbd", "blockquote", "img", "table", "thead", "tbody", "tr", "th", "td",
    "del", "ins", "sup", "sub", "dl", "dt", "dd", "abbr", "mark", "small", "span", "div",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "abbr": {"title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# Removed together with their content, not just unwrapped.
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "template",
    "noscript",
    "svg",
    "math",
    "textarea",
    "select",
    "title",
    "head",
}
LINK_SCHEMES = ("https://", "http://", "mailto:")
VIRTUAL_SCHEME = "trainkit:"
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]  # no attr_list: it injects attributes

ImageResolver = Callable[[str], str | None]


@cache
def _converter() -> markdown.Markdown:
    """One converter per process, reset before every use (building one costs more than converting)."""
    return markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")


def image_name(target: str) -> str | None:
    """The plain file name an image reference points to, or None if it is anything else."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.query:
        return None
    name = unquote(parts.path)
    path = PurePosixPath(name)
    if not name or "\\" in name or path.is_absolute() or len(path.parts) != 1 or name.startswith("."):
        return None
    return name


def render_markdown(text: str, resolve_image: ImageResolver) -> str:
    """Markdown → sanitised HTML; `resolve_image(name)` gives the URL for a lesson image or None."""
    return sanitize(_convert(text), resolve_image)


class Conversions:
    """Markdown → HTML (before sanitising, which always runs) by the hash of the text.

    Kept on disk between builds (`load`, `save`), so a rebuild converts only the
    Markdown that changed. The file name carries the versions that decide the output.
    """

    def __init__(self) -> None:
        self.known: dict[str, str] = {}
        self.used: dict[str, str] = {}

    def file(self, cache_dir: Path) -> Path:
        from . import __version__

        return cache_dir / f"markdown-{markdown.__version__}-{__version__}-{'-'.join(MARKDOWN_EXTENSIONS)}.json"

    def load(self, cache_dir: Path) -> None:
        try:
            data = json.loads(self.file(cache_dir).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            self.known = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def save(self, cache_dir: Path) -> None:
        """Keep what this build used (so the file does not grow without bound)."""
        if self.used == self.known:
            return
        path = self.file(cache_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(self.used, sort_keys=True), encoding="utf-8")
        temporary.replace(path)

    def convert(self, text: str) -> str:
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        html = self.used.get(key) or self.known.get(key)
        if html is None:
            try:
                html = _converter().reset().convert(text)
            except RecursionError:
                # check reports the shape that causes this (parts.hostile_line); never crash on it here.
                html = f"<pre>{escape(text)}</pre>"
            # The lesson title is the page's <h1>; a lesson's own '# heading' becomes a section.
            html = re.sub(r"<(/?)h1\b", r"<\1h2", html)
        self.used[key] = html
        return html


CONVERSIONS = Conversions()  # one per process; the build loads and saves it
_convert = CONVERSIONS.convert


def sanitize(html: str, resolve_image: ImageResolver) -> str:
    """Keep only the allowlist: no scripts, styles, event handlers, remote resources or odd schemes."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            stripped = value.strip()
            if stripped.lower().startswith(LINK_SCHEMES) or re.fullmatch(r"#[\w-]+", stripped):
                return stripped
            return None
        if tag == "img" and attribute == "src":
            name = image_name(value)
            return resolve_image(name) if name else None
        return value

    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep,
        url_schemes={"https", "http", "mailto", VIRTUAL_SCHEME.rstrip(":")},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # An image whose source was refused is dropped whole rather than left empty.
    return re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", clean)


def render_inline(text: str) -> str:
    """One line of Markdown (a title, an objective) → sanitised inline HTML, no <p> wrapper.

    Raw HTML in these one-line fields is shown as text, not interpreted."""
    html = render_markdown(str(escape(text)), lambda name: None)
    return re.sub(r"^<p>(.*)</p>$", r"\1", html.strip(), flags=re.S)


def list_items(text: str) -> list[str]:
    """The items of a Markdown bullet list (key points, checklist), each as inline HTML."""
    items, current = [], []
    for line in text.split("\n"):
        bullet = re.match(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)$", line)
        if bullet:
            if current:
                items.append(" ".join(current))
            current = [bullet.group(1)]
        elif line.strip() and current:
            current.append(line.strip())
    if current:
        items.append(" ".join(current))
    return [render_inline(item) for item in items]
