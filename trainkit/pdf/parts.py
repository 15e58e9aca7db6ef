"""Handouts and guides in parts: each lesson is laid out once and reused across packs and rebuilds.

In: a PagedDocument (pdf/document.py): the front (cover, contents, agenda), one part
per lesson and the back, each made on its own by the templates. Out: the same PDF a
single render of the whole document would give, assembled from the parts with pikepdf (qpdf).

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
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import write_atomic
from .document import PagedDocument, Part
from .fonts import share_fonts
from .render import GOTO, AssemblyError, PdfWriter
from .structure import Structure, compact_bytes

if TYPE_CHECKING:
    import pikepdf

Anchors = dict[str, tuple[int, "pikepdf.Array"]]  # anchor name → (page index in the document, its destination in its part)


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

    def lay_out(self, key: str, html: str, css: str, lesson: str = "", *, tagged: bool = True, settle: bool = True) -> pikepdf.Pdf:
        """The part as an open pikepdf.Pdf: from disk when it reads back whole, else rendered now and stored."""
        import pikepdf

        path = self.path(key)
        data = read_part(path)
        if data is not None:
            try:
                pdf = pikepdf.open(io.BytesIO(data))
                if len(pdf.pages) > 0:
                    return pdf
            except pikepdf.PdfError:
                pass  # damaged on disk: lay it out again
        data, _ = self.writer.render(html, css=css, lesson=lesson, outward_links=True, tagged=tagged, settle=settle)
        if tagged:
            data = compact_bytes(data, id_prefix=f"{key[:12]}-")
        write_atomic(path, data)
        return pikepdf.open(io.BytesIO(data))

    def lay_out_own(self, html: str, css: str, *, tagged: bool = True) -> pikepdf.Pdf:
        """A front or an overlay: no lesson images, so its key is made here from what it shows."""
        return self.lay_out(self.own_key(html, css, tagged=tagged), html, css, tagged=tagged, settle=False)

    def own_key(self, html: str, css: str, *, tagged: bool = True) -> str:
        return part_key(self.environment, html, css, "" if tagged else "untagged")

    def wait_for(self, key: str, seconds: float) -> None:
        """Until another worker has stored this part, or `seconds` have passed."""
        deadline = time.monotonic() + seconds
        while not self.path(key).exists() and time.monotonic() < deadline:
            time.sleep(0.005)


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


# The front's pages before it is laid out: cover and contents.
FRONT_PAGES = 2


# How long an assembly waits for footers that another worker is laying out (a FooterJob,
# sent before the assembly, so already started) before it lays them out itself.
FOOTERS_WAIT = 10.0


def lay_out_footers(document: PagedDocument, pages: int, cache: PartCache, coming: int = 0) -> pikepdf.Pdf:
    """The footer overlay of a document of `pages` pages, from the cache or laid out now and
    stored. `coming`: the pages of the overlay another worker is laying out meanwhile; when
    they are these, wait for its file rather than lay the same pages out twice."""
    html = document.overlay_html(pages)
    if coming == pages:
        cache.wait_for(cache.own_key(html, "", tagged=False), FOOTERS_WAIT)
    return cache.lay_out_own(html, "", tagged=False)


def assemble(document: PagedDocument, part_keys: tuple[str, ...], cache: PartCache, footers_coming: int = 0) -> tuple[bytes, int]:
    """The whole PDF from the front, the parts and the footer overlay; (bytes, page count).

    All in qpdf through pikepdf's public API: the front is the base document (its
    metadata, language and bookmarks stay), each part's pages are copied after it with
    their named anchors and bookmarks, links between parts are pointed at their pages,
    the parts' fonts are shared, the footers stamped, and the file written once.
    `footers_coming`: see lay_out_footers."""
    import pikepdf

    parts = [
        cache.lay_out(key, document.part_html(part), document.style, part.lesson)
        for part, key in zip(document.parts, part_keys, strict=True)
    ]
    counts = [len(part.pages) for part in parts]
    front_pages = FRONT_PAGES  # a first guess; the front's own length moves every number after it
    for _ in range(4):
        anchors = _anchors(parts, counts, front_pages)
        front = cache.lay_out_own(document.front_html({name: page + 1 for name, (page, _) in anchors.items()}), document.style)
        if len(front.pages) == front_pages:
            break
        front_pages = len(front.pages)
    else:
        raise AssemblyError(f"the contents pages never settled (the front took {front_pages} pages, then a different number)")
    anchors = _anchors(parts, counts, front_pages)
    total = front_pages + sum(counts)

    pdf = front  # the base: its /Info, /Lang, structure tree and bookmarks are the document's
    starts = []
    structure = Structure(pdf)
    with pdf.open_outline() as outline:
        for part, made in zip(parts, document.parts, strict=True):
            starts.append(len(pdf.pages))
            with warnings.catch_warnings():  # pikepdf warns that forms are not carried: _merge_forms carries them
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                pdf.pages.extend(part.pages)
            outline.root.extend(_copy_bookmarks(part, pdf, starts[-1]))
            structure.add(part, starts[-1], made.lang, made.lesson)
    structure.finish()
    _merge_forms(pdf, parts)
    _copy_anchors(pdf, anchors)
    _resolve_links(pdf, anchors, lambda page: _part_at(page, starts, document.parts))
    share_fonts(pdf)
    # Last: another worker may be laying these footers out meanwhile (a FooterJob), stored under the same key.
    footers = lay_out_footers(document, total, cache, footers_coming)
    if len(footers.pages) != total:
        raise AssemblyError(f"the footer overlay has {len(footers.pages)} pages for a document of {total}")
    _stamp(pdf, footers)
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True, deterministic_id=True, linearize=False)
    return buffer.getvalue(), total


def _merge_forms(pdf: pikepdf.Pdf, parts: list[pikepdf.Pdf]) -> None:
    """One interactive form for the document: every part's fields (worksheets), and the fonts
    and graphics states their appearance strings name. The widgets came with their pages."""
    import pikepdf

    fields = pikepdf.Array()
    resources: dict[str, dict[str, pikepdf.Object]] = {"/Font": {}, "/ExtGState": {}}
    for source in (pdf, *parts):
        form = source.Root.get("/AcroForm")
        if form is None:
            continue

        def local(item: pikepdf.Object, source: pikepdf.Pdf = source) -> pikepdf.Object:
            """`item` in `pdf` (the same objects the copied pages use; a direct one made indirect first)."""
            if source is pdf:
                return item
            return pdf.copy_foreign(item if item.is_indirect else source.make_indirect(item))

        fields.extend(local(field) for field in form.get("/Fields", ()))
        given = form.get("/DR", pikepdf.Dictionary())
        for kind, found in resources.items():
            for name, value in given.get(kind, pikepdf.Dictionary()).items():
                found.setdefault(name, local(value))
    if len(fields):
        pdf.Root.AcroForm = pdf.make_indirect(
            pikepdf.Dictionary(
                Fields=fields,
                NeedAppearances=True,
                DR=pikepdf.Dictionary({kind: pikepdf.Dictionary(found) for kind, found in resources.items() if found}),
            )
        )


def _anchors(parts: list[pikepdf.Pdf], counts: list[int], front_pages: int) -> Anchors:
    """Every named anchor of the parts → (page index in the whole document, its destination)."""
    import pikepdf

    found: Anchors = {}
    offset = front_pages
    for part, count in zip(parts, counts, strict=True):
        names = part.Root.get("/Names", pikepdf.Dictionary()).get("/Dests")
        if names is not None:
            index = {page.objgen: number for number, page in enumerate(part.pages)}
            for name, destination in pikepdf.NameTree(names).items():
                target = destination.get("/D", destination) if isinstance(destination, pikepdf.Dictionary) else destination
                number = index.get(target[0].objgen) if len(target) else None
                if number is not None:
                    found.setdefault(name, (offset + number, target))
        offset += count
    return found


def _destination(pdf: pikepdf.Pdf, page: int, source: pikepdf.Array) -> pikepdf.Array:
    """`source` (a [page /XYZ left top zoom] array of a part) pointing at page `page` of `pdf`."""
    import pikepdf

    return pikepdf.Array([pdf.pages[page].obj, *list(source)[1:]])


def _copy_bookmarks(part: pikepdf.Pdf, pdf: pikepdf.Pdf, offset: int) -> list[pikepdf.OutlineItem]:
    """A part's bookmarks, at the same depth and place, pointing at its pages in `pdf`."""
    import pikepdf

    index = {page.objgen: number for number, page in enumerate(part.pages)}

    def copy(item: pikepdf.OutlineItem) -> pikepdf.OutlineItem:
        destination = item.destination
        if isinstance(destination, pikepdf.Array) and len(destination) and destination[0].objgen in index:
            destination = _destination(pdf, offset + index[destination[0].objgen], destination)
        else:
            destination = None
        new = pikepdf.OutlineItem(str(item.title), destination)
        new.is_closed = item.is_closed
        new.children.extend(copy(child) for child in item.children)
        return new

    with part.open_outline() as outline:
        return [copy(item) for item in outline.root]


def _copy_anchors(pdf: pikepdf.Pdf, anchors: Anchors) -> None:
    """The parts' named anchors in the document's own name tree, for the links inside each part."""
    import pikepdf

    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    if "/Dests" not in pdf.Root.Names:
        pdf.Root.Names.Dests = pikepdf.NameTree.new(pdf).obj
    tree = pikepdf.NameTree(pdf.Root.Names.Dests)
    for name, (page, source) in sorted(anchors.items()):
        if name not in tree:
            tree[name] = _destination(pdf, page, source)


def _stamp(pdf: pikepdf.Pdf, footers: pikepdf.Pdf) -> None:
    """Draw page i of `footers` over page i, as a form XObject with a fixed name (pikepdf's
    Page.add_overlay names them at random, and builds must be byte for byte repeatable)."""
    import pikepdf

    for index, (page, footer) in enumerate(zip(pdf.pages, footers.pages, strict=True)):
        form = pdf.copy_foreign(footer.as_form_xobject())
        name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/TkFooter{index}"))
        page.contents_add(b"q\n", prepend=True)
        # Marked as an artifact: page furniture a screen reader skips, outside the structure tree.
        page.contents_add(f"\nQ /Artifact BMC q {name} Do Q EMC\n".encode())


def _part_at(page: int, starts: list[int], parts: tuple[Part, ...]) -> Part | None:
    """The part a page (0-based, whole document) belongs to; None for the front."""
    found = None
    for start, part in zip(starts, parts, strict=True):
        if page >= start:
            found = part
    return found


def _resolve_links(pdf: pikepdf.Pdf, anchors: Anchors, part_at: Callable[[int], Part | None]) -> None:
    """trainkit:goto/<id> links → links to the place that anchor is on; a link to no anchor is an error."""
    import pikepdf

    for number, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(GOTO):
                continue
            name = uri[len(GOTO) :]
            if name not in anchors:
                part = part_at(number)
                where = "the front pages" if part is None else f"lesson '{part.lesson}'" if part.lesson else "the closing pages"
                raise AssemblyError(
                    f"a link in {where} points to '#{name}', which is nowhere in this document", part.lesson if part else ""
                )
            target, source = anchors[name]
            del annotation["/A"]
            annotation.Dest = _destination(pdf, target, source)
