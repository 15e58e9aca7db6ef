"""Handouts and guides in parts: each lesson is laid out once and reused across packs and rebuilds.

In: a PagedDocument (pdf/document.py): the front (cover, contents, agenda), one part
per lesson and the back, each made on its own by the templates. Out: the same PDF a
single render of the whole document would give, assembled with pypdf from parts.

Each part is rendered alone, without page footers, and cached under the hash of
what decides its bytes, so a lesson that reads the same in two profiles, or did not
change since the last build, is never laid out again. Assembly renders the front
last with the real page numbers in its contents, stamps the footers ("Page N of M")
from an overlay document of empty pages, points links between parts at their pages,
keeps every part's bookmarks in order, and shares the fonts the parts have in common.

What the design rules out in the CSS: anything that depends on the pages before a
lesson (recto breaks, running headers with string-set, counters across lessons);
footers are the one exception, and they come from the overlay.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

from ..files import write_atomic
from .document import PagedDocument, Part
from .fonts import share_fonts
from .render import GOTO, PdfWriter


class AssemblyError(Exception):
    """Assembly would give a wrong PDF (missing footers, a dead link, unsettled contents): fail loudly."""

    def __init__(self, message: str, lesson: str = ""):
        self.lesson = lesson
        super().__init__(message)


def part_key(environment: str, html: str, css: str, images: str) -> str:
    """What decides a laid-out part's bytes: the renderer's versions and fonts, its images, CSS and HTML."""
    return hashlib.sha256(f"{environment}\n{images}\n{css}\n{html}".encode()).hexdigest()


class PartCache:
    """Rendered parts on disk, named by their part_key; laid out by this worker's PdfWriter when missing."""

    def __init__(self, folder: Path, environment: str, writer: PdfWriter):
        self.folder = folder
        self.environment = environment
        self.writer = writer

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    def lay_out(self, key: str, html: str, css: str, lesson: str = ""):  # type: ignore[no-untyped-def]
        """The part as a pypdf reader: from disk when it reads back whole, else rendered now and stored."""
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        path = self.path(key)
        data = read_part(path)
        if data is not None:
            try:
                reader = PdfReader(io.BytesIO(data))
                if len(reader.pages) > 0:
                    return reader
            except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
                pass  # damaged on disk: lay it out again
        data, _ = self.writer.render(html, css=css, lesson=lesson, outward_links=True)
        write_atomic(path, data)
        return PdfReader(io.BytesIO(data))

    def lay_out_own(self, html: str, css: str):  # type: ignore[no-untyped-def]
        """A front or an overlay: no lesson images, so its key is made here from what it shows."""
        return self.lay_out(part_key(self.environment, html, css, ""), html, css)


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


def assemble(document: PagedDocument, part_keys: tuple[str, ...], cache: PartCache) -> tuple[bytes, int]:
    """The whole PDF from the front, the parts and the footer overlay; (bytes, page count)."""
    from pypdf import PdfWriter as Writer

    readers = [
        cache.lay_out(key, document.part_html(part), document.style, part.lesson)
        for part, key in zip(document.parts, part_keys, strict=True)
    ]
    counts = [len(reader.pages) for reader in readers]
    front_pages = 2  # a first guess (cover and contents); the front's own length moves every number after it
    for _ in range(4):
        anchors = _anchors(readers, counts, front_pages)
        front_reader = cache.lay_out_own(document.front_html(anchors), document.style)
        if len(front_reader.pages) == front_pages:
            break
        front_pages = len(front_reader.pages)
    else:
        raise AssemblyError(f"the contents pages never settled (the front took {front_pages} pages, then a different number)")
    anchors = _anchors(readers, counts, front_pages)
    total = front_pages + sum(counts)
    footers = cache.lay_out_own(document.overlay_html(total), "")

    writer = Writer()
    for reader in (front_reader, *readers):
        writer.append(reader)
    if len(footers.pages) != total:
        raise AssemblyError(f"the footer overlay has {len(footers.pages)} pages for a document of {total}")
    starts = [front_pages + sum(counts[:i]) for i in range(len(counts))]
    _resolve_links(writer, anchors, lambda page: _part_at(page, starts, document.parts))
    writer.add_metadata({k: v for k, v in (front_reader.metadata or {}).items()})
    language = front_reader.trailer["/Root"].get("/Lang")
    if language is not None:
        from pypdf.generic import NameObject

        writer.root_object[NameObject("/Lang")] = language
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return compact(buffer.getvalue(), footers.stream.getvalue()), total


def _part_at(page: int, starts: list[int], parts: tuple[Part, ...]) -> Part | None:
    """The part a page (0-based, whole document) belongs to; None for the front."""
    found = None
    for start, part in zip(starts, parts, strict=True):
        if page >= start:
            found = part
    return found


def compact(data: bytes, footers: bytes | None = None) -> bytes:
    """Share the parts' fonts, stamp the footers, and rewrite with object streams (pypdf
    cannot) and an /ID made from the content, so that the same parts always give the same
    bytes. qpdf, through pikepdf's public API, does it all: page i of `footers` is drawn
    over page i as a form XObject (copied once per document with the fonts it uses)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if footers is not None:
            share_fonts(pdf)
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


def _resolve_links(writer, anchors: dict[str, int], part_at: Callable[[int], Part | None]) -> None:  # type: ignore[no-untyped-def]
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
                part = part_at(number)
                where = "the front pages" if part is None else f"lesson '{part.lesson}'" if part.lesson else "the closing pages"
                raise AssemblyError(
                    f"a link in {where} points to '#{uri[len(GOTO) :]}', which is nowhere in this document", part.lesson if part else ""
                )
            goal = writer.pages[target - 1]
            del annotation["/A"]
            top = FloatObject(float(goal.mediabox.top))
            annotation[NameObject("/Dest")] = ArrayObject([goal.indirect_reference, NameObject("/XYZ"), NullObject(), top, NullObject()])
            kept.append(reference)
        page[NameObject("/Annots")] = kept
