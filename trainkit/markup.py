"""Lesson Markdown → safe HTML fragments.

Python-Markdown passes raw HTML, `javascript:` links and event attributes straight
through, so every fragment is sanitised by nh3 with an explicit allowlist right
after rendering. Images may only name files in the lesson folder; they come out
as `trainkit:` URLs that only our fetcher (PDF) or inliner (HTML) resolves.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markupsafe import escape

from .files import write_atomic

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
    "div": {"class"},  # only the value "caution" survives (see sanitize)
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
# no attr_list: it injects attributes. md_in_html lets a `::: caution` box (parts.CAUTION_OPEN) hold Markdown.
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "md_in_html"]
CAUTION_CLASS = "caution"

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
        write_atomic(self.file(cache_dir), json.dumps(self.used, sort_keys=True).encode("utf-8"))

    def references(self, text: str, inline: bool) -> list[Reference]:
        """markup.references for one piece, kept with the conversions (a rebuild parses nothing)."""
        key = "refs:" + hashlib.sha256(f"{int(inline)}{text}".encode()).hexdigest()
        kept = self.used.get(key) or self.known.get(key)
        if kept is None:
            kept = json.dumps([[r.target, r.text, r.is_image] for r in _references_of(text, inline)])
        self.used[key] = kept
        return [Reference(target, label, bool(image)) for target, label, image in json.loads(kept)]

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
        if tag == "div" and attribute == "class":
            return CAUTION_CLASS if value.strip() == CAUTION_CLASS else None
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


@dataclass(frozen=True, slots=True)
class ListItem:
    """One key point or checklist item as inline HTML, with the caution written before it, if any."""

    html: str
    caution: str = ""

    def __str__(self) -> str:
        return self.html


def list_items(text: str, resolve_image: ImageResolver = lambda name: None) -> list[ListItem]:
    """The items of a Markdown bullet list (key points, checklist), each as inline HTML.

    A caution box (parts.CAUTION_OPEN … CAUTION_CLOSE) belongs to the item after it."""
    items: list[ListItem] = []
    current: list[str] = []
    caution: list[str] | None = None
    pending = ""

    def finish() -> None:
        nonlocal pending
        if current:
            items.append(ListItem(render_inline(" ".join(current)), pending))
            current.clear()
            pending = ""

    for line in text.split("\n"):
        if caution is not None:
            if line.strip() == "</div>":
                pending = render_markdown("\n".join(caution), resolve_image)
                caution = None
            else:
                caution.append(line)
            continue
        if line.strip().startswith("<div") and f'class="{CAUTION_CLASS}"' in line:
            finish()
            caution = []
            continue
        bullet = re.match(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)$", line)
        if bullet:
            finish()
            current.append(bullet.group(1))
        elif line.strip() and current:
            current.append(line.strip())
    finish()
    if pending:  # a caution after the last item still shows
        items.append(ListItem("", pending))
    return items


# A warning triangle drawn as a path: no font needed, stays black in grayscale, same in RTL.
CAUTION_ICON = (
    '<svg class="caution-icon" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">'
    '<path d="M12 2.5 22.5 21h-21z" fill="none" stroke="#000" stroke-width="2.4" stroke-linejoin="round"/>'
    '<path d="M11 9h2v6.5h-2zM11 17h2v2h-2z" fill="#000"/></svg>'
)


def label_cautions(html: str, label: str) -> str:
    """Give every caution box its heading: the icon and the translated word ("Caution").

    Lesson HTML can only carry a caution as the exact `<div class="caution">` that the
    sanitiser keeps, so one replacement over the finished document labels them all."""
    heading = f'<div class="caution" role="note"><p class="caution-label">{CAUTION_ICON}<span>{escape(label)}</span></p>'
    return html.replace(f'<div class="{CAUTION_CLASS}">', heading)


def scroll_tables(html: str, label: str) -> str:
    """Wrap every table in a box that scrolls sideways on its own, for the screen handout:
    a wide table on a phone at 200 % text then scrolls inside the box, not the whole page.

    The box takes the keyboard focus (tabindex) so it can be scrolled without a pointer,
    and is a named region so a screen reader says what that focus stop is."""
    opening = f'<div class="table-scroll" role="region" tabindex="0" aria-label="{escape(label)}"><table'
    return re.sub(r"<table\b", opening, html).replace("</table>", "</table></div>")


def continue_numbering(html: str) -> str:
    """`<ol start="N">` also as a CSS counter: WeasyPrint ignores the attribute, browsers honour both.

    A numbered list that a caution box interrupts goes on at its own number in the PDF too."""
    return re.sub(r'<ol start="(\d{1,9})">', lambda m: f'<ol start="{m[1]}" style="counter-reset: list-item {int(m[1]) - 1}">', html)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The text of an HTML fragment (a form field's name for screen readers and PDF forms)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


@dataclass(frozen=True, slots=True)
class Reference:
    """A link or image as the renderer sees it: its target, its text (or alt), and its kind."""

    target: str
    text: str
    is_image: bool


class _References(HTMLParser):
    """Links and images of one HTML fragment (comments and dropped elements are not text)."""

    def __init__(self, want_links: bool, want_images: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.want_links, self.want_images = want_links, want_images
        self.found: list[Reference] = []
        self.open_link: list[object] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "img" and self.want_images and "src" in values:
            self.found.append(Reference(values["src"], values.get("alt", ""), True))
        elif tag == "a" and self.want_links and "href" in values:
            self.found.append(Reference(values["href"], "", False))
            self.open_link.append(len(self.found) - 1)
        elif tag == "a":
            self.open_link.append(None)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.open_link:
            self.open_link.pop()

    def handle_data(self, data: str) -> None:
        for index in self.open_link:
            if isinstance(index, int):
                ref = self.found[index]
                self.found[index] = Reference(ref.target, (ref.text + data).strip(), False)


def _keep_name(name: str) -> str:
    return f"{VIRTUAL_SCHEME}check/{name}"


def references(pieces: Iterable[tuple[str, bool]]) -> list[Reference]:
    """Every link and image that rendering these pieces of Markdown produces, in order.

    `pieces` are (text, inline) as the views render them (inline: a title, an objective,
    a list item). Links come from the sanitised HTML, so only what a reader can follow
    counts, whatever its Markdown form (inline, wrapped over lines, reference-style,
    autolink, raw HTML) and nothing hidden in a comment does. Images come from the
    Markdown HTML before sanitising, so that check can name a refused or remote one."""
    found: list[Reference] = []
    for text, inline in pieces:
        if text.strip():
            found += CONVERSIONS.references(text, inline)
    return found


def _references_of(text: str, inline: bool) -> list[Reference]:
    raw = _convert(str(escape(text)) if inline else text)
    images = _References(want_links=False, want_images=True)
    images.feed(raw)
    links = _References(want_links=True, want_images=False)
    links.feed(sanitize(raw, _keep_name))
    return images.found + links.found
