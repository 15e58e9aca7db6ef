"""Handouts and guides in parts: each lesson is laid out once and reused across packs and rebuilds.

In: a document's HTML with `<!--trainkit:part-->` marks between its front (cover,
contents, agenda), its lessons and its back (glossary, after the workshop). Out:
the same PDF a single render would give, assembled with pypdf from parts.

Each part is rendered alone, without page footers, and cached under the hash of
its HTML, so a lesson that reads the same in two profiles, or did not change since
the last build, is never laid out again. Assembly renders the front last with the
real page numbers in its contents, stamps the footers ("Page N of M") from an
overlay document of empty pages, points links between parts at their pages, keeps
every part's bookmarks in order, and shares the fonts the parts have in common.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomic
from .fonts import share_fonts

PART_MARK = "<!--trainkit:part-->"
FOOTER_START = "/* trainkit:footer */"
FOOTER_END = "/* trainkit:end-footer */"
GOTO = "trainkit:goto/"

_FOOTER = re.compile(re.escape(FOOTER_START) + ".*?" + re.escape(FOOTER_END), re.S)
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_ID = re.compile(r'\sid="([^"]+)"')
_LOCAL_HREF = re.compile(r'href="#([^"]+)"')
_PAGE_REF = re.compile(r'href="' + re.escape(GOTO) + r'([^"]+)" class="page-ref"')
# Transparent pages: the overlay must draw its footers and nothing else over the content.
_SHEETS = "<style>html, body { background: transparent; } .tk-sheet + .tk-sheet { break-before: page; }</style>"


class AssemblyError(Exception):
    """Assembly would give a wrong PDF (missing footers, a dead link, unsettled contents): fail loudly."""


_LESSON_OF_PART = re.compile(r'<article class="lesson" id="lesson-([a-z0-9][a-z0-9-]*)"')


@dataclass(frozen=True, slots=True)
class Split:
    """A document cut into parts: `front` and `parts` are whole HTML documents without footers."""

    front: str
    parts: tuple[str, ...]
    overlay_head: str  # the document's own head and body tag, footers included
    tail: str


def split_document(html: str) -> Split | None:
    """Cut a document at its part marks; None when it has none (it is rendered whole)."""
    if PART_MARK not in html:
        return None
    body_at = html.index("<body")
    body_end = html.index(">", body_at) + 1
    close = html.rindex("</body>")
    head, body_tag, inner, tail = html[:body_at], html[body_at:body_end], html[body_end:close], html[close:]
    # A part's head has no footers, and no title: the title names the pack, and the
    # whole document's metadata comes from its front.
    plain_head = _TITLE.sub("<title></title>", _FOOTER.sub("", head), count=1)
    segments = [segment for segment in inner.split(PART_MARK) if segment.strip()]
    front = _FOOTER.sub("", head) + body_tag + _outward_links(segments[0]) + tail
    parts = tuple(plain_head + body_tag + _outward_links(segment) + tail for segment in segments[1:])
    return Split(front=front, parts=parts, overlay_head=head + body_tag, tail=tail)


def _outward_links(segment: str) -> str:
    """Links to an anchor in another part become trainkit:goto/ links, resolved after assembly."""
    own = set(_ID.findall(segment))
    return _LOCAL_HREF.sub(lambda m: m.group(0) if m.group(1) in own else f'href="{GOTO}{m.group(1)}"', segment)


def numbered_front(front: str, pages: dict[str, int]) -> str:
    """The front with each contents entry carrying the page its target starts on."""

    def number(match: re.Match[str]) -> str:
        page = pages.get(match.group(1))
        return match.group(0) + (f' data-page="{page}"' if page else "")

    return _PAGE_REF.sub(number, front)


def overlay(split: Split, pages: int) -> str:
    """`pages` empty pages with the document's own page rules: only the footers are drawn."""
    return split.overlay_head + _SHEETS + '<div class="tk-sheet"></div>' * pages + split.tail


class PartCache:
    """Rendered parts on disk, named by the hash of what decides their bytes."""

    def __init__(self, folder: Path, environment: str, render: Callable[[str], tuple[bytes, int]], key_extra: Callable[[str], str]):
        self.folder = folder
        self.environment = environment
        self._render = render
        self._key_extra = key_extra

    def key(self, html: str) -> str:
        return part_key(self.environment, html, self._key_extra(html))

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    def get(self, html: str):  # type: ignore[no-untyped-def]
        """The part as a pypdf reader: from disk when it reads back whole, else rendered now and stored."""
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        path = self.path(self.key(html))
        data = read_part(path)
        if data is not None:
            try:
                reader = PdfReader(io.BytesIO(data))
                if len(reader.pages) > 0:
                    return reader
            except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
                pass  # damaged on disk: lay it out again
        data, _ = self._render(html)
        store_part(path, data)
        return PdfReader(io.BytesIO(data))


def part_key(environment: str, html: str, images: str) -> str:
    return hashlib.sha256(f"{environment}\n{images}\n{html}".encode()).hexdigest()


def read_part(path: Path) -> bytes | None:
    """A stored part, or None if missing or damaged (it is then rendered again)."""
    try:
        data = path.read_bytes()
        if not (data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")):
            return None
        os.utime(path)  # in use: kept by the cache clean-up
    except OSError:
        return None
    return data


def store_part(path: Path, data: bytes) -> None:
    write_atomic(path, data)


def assemble(split: Split, cache: PartCache) -> tuple[bytes, int]:
    """The whole PDF from the front, the parts and the footer overlay; (bytes, page count)."""
    from pypdf import PdfWriter

    readers = [cache.get(html) for html in split.parts]
    counts = [len(reader.pages) for reader in readers]
    front_pages = 2  # a first guess (cover and contents); the front's own length moves every number after it
    for _ in range(4):
        anchors = _anchors(readers, counts, front_pages)
        front_reader = cache.get(numbered_front(split.front, anchors))
        if len(front_reader.pages) == front_pages:
            break
        front_pages = len(front_reader.pages)
    else:
        raise AssemblyError(f"the contents pages never settled (the front took {front_pages} pages, then a different number)")
    anchors = _anchors(readers, counts, front_pages)
    total = front_pages + sum(counts)
    footers = cache.get(overlay(split, total))

    writer = PdfWriter()
    for reader in (front_reader, *readers):
        writer.append(reader)
    if len(footers.pages) != total:
        raise AssemblyError(f"the footer overlay has {len(footers.pages)} pages for a document of {total}")
    starts = [front_pages + sum(counts[:i]) for i in range(len(counts))]
    lessons = [_LESSON_OF_PART.search(html) for html in split.parts]
    _resolve_links(
        writer,
        anchors,
        lambda page: next((m.group(1) for s, m in reversed(list(zip(starts, lessons, strict=True))) if m and page >= s), None),
    )
    share_fonts(writer)
    writer.add_metadata({k: v for k, v in (front_reader.metadata or {}).items()})
    language = front_reader.trailer["/Root"].get("/Lang")
    if language is not None:
        from pypdf.generic import NameObject

        writer.root_object[NameObject("/Lang")] = language
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return compact(buffer.getvalue(), footers.stream.getvalue()), total


def compact(data: bytes, footers: bytes | None = None) -> bytes:
    """Stamp the footers and rewrite with object streams (pypdf cannot) and an /ID made from
    the content, so that the same parts always give the same bytes. qpdf, through pikepdf's
    public API, does all three: page i of `footers` is drawn over page i as a form XObject
    (copied once per document with the fonts it uses)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if footers is not None:
            with pikepdf.open(io.BytesIO(footers)) as overlay:
                for index, (page, footer) in enumerate(zip(pdf.pages, overlay.pages, strict=True)):
                    # Page.add_overlay names its XObject at random; a fixed name keeps builds byte-identical.
                    form = pdf.copy_foreign(footer.as_form_xobject())
                    name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/TkFooter{index}"))
                    page.contents_add(b"q\n", prepend=True)
                    page.contents_add(f"\nQ q {name} Do Q\n".encode())
                buffer = io.BytesIO()
                pdf.save(
                    buffer,
                    object_stream_mode=pikepdf.ObjectStreamMode.generate,
                    compress_streams=True,
                    deterministic_id=True,
                    linearize=False,
                )
                return buffer.getvalue()
        buffer = io.BytesIO()
        pdf.save(
            buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True, deterministic_id=True, linearize=False
        )
    return buffer.getvalue()


def _anchors(readers, counts: list[int], front_pages: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Every named anchor of the parts → the page (1-based, whole document) it is on."""
    pages: dict[str, int] = {}
    offset = front_pages
    for reader, count in zip(readers, counts, strict=True):
        for name, destination in reader.named_destinations.items():
            try:
                pages.setdefault(str(name).lstrip("/"), offset + reader.get_destination_page_number(destination) + 1)
            except (ValueError, KeyError, IndexError):
                continue
        offset += count
    return pages


def _resolve_links(writer, anchors: dict[str, int], lesson_at: Callable[[int], str | None]) -> None:  # type: ignore[no-untyped-def]
    """trainkit:goto/<id> links → links to the page that anchor is on; a link to no anchor is an error."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NullObject

    for number, page in enumerate(writer.pages):
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        kept = ArrayObject()
        for reference in annotations.get_object():
            annotation = reference.get_object()
            action = annotation.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if not uri.startswith(GOTO):
                kept.append(reference)
                continue
            target = anchors.get(uri[len(GOTO) :])
            if target is None or target > len(writer.pages):
                lesson = lesson_at(number)
                where = f"lesson '{lesson}'" if lesson else "the front pages"
                raise AssemblyError(f"a link in {where} points to '#{uri[len(GOTO) :]}', which is nowhere in this document")
            goal = writer.pages[target - 1]
            del annotation["/A"]
            top = FloatObject(float(goal.mediabox.top))
            annotation[NameObject("/Dest")] = ArrayObject([goal.indirect_reference, NameObject("/XYZ"), NullObject(), top, NullObject()])
            kept.append(reference)
        page[NameObject("/Annots")] = kept
