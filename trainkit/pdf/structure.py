"""One structure tree for a tagged PDF: merged from the parts a document is assembled from,
and compacted.

WeasyPrint tags every text run as a /Span element of its own and wraps anonymous
boxes in /NonStruct elements: half of a handout's structure elements say nothing a
screen reader uses. `compact` gives their marked content to the element above
them, which reads the same and makes the tagged file about a third smaller.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from .render import AssemblyError

if TYPE_CHECKING:
    import pikepdf

_PLAIN = {"/Type", "/S", "/K", "/Pg", "/P"}  # an element with nothing else says nothing of its own


class Structure:
    """One structure tree for the assembled document, from the front's and each part's.

    WeasyPrint tags each piece on its own: a /Document element whose kids are the page's
    elements, a parent tree keyed by each page's /StructParents and each annotation's
    /StructParent, and table header ids made from object numbers. Here the parts' kids
    join the front's /Document in page order (with the part's /Lang when it is not the
    document's), and every key is numbered again from 0. Table header ids got their part's
    prefix when the part was laid out (`compact_bytes`), so two parts' ids cannot meet. An
    untagged front (an old cache entry) leaves the document untagged rather than half-tagged."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        root = pdf.Root.get("/StructTreeRoot")
        self.document = root.K[0] if root is not None and len(root.get("/K", ())) else None
        self.keys: list[tuple[int, pikepdf.Object]] = []
        if self.document is not None:
            self._renumber(root, range(len(pdf.pages)))

    def add(self, part: pikepdf.Pdf, start: int, lang: str, lesson: str) -> None:
        import pikepdf

        if self.document is None:
            return
        foreign = part.Root.get("/StructTreeRoot")
        if foreign is None or not len(foreign.get("/K", ())):
            raise AssemblyError(f"the laid-out pages of lesson '{lesson}' carry no structure tree", lesson)
        # The parts' pages were copied already: qpdf maps their /Pg references to those copies.
        root = self.pdf.copy_foreign(foreign)
        self._renumber(root, range(start, start + len(part.pages)))
        for kid in root.K[0].K:
            kid.P = self.document
            if lang:
                kid.Lang = pikepdf.String(lang)
            self.document.K.append(kid)

    def _renumber(self, root: pikepdf.Dictionary, pages: range) -> None:
        """The piece's parent tree entries under new keys, following on from the pieces before."""
        import pikepdf

        old = dict(pikepdf.NumberTree(root.ParentTree).items())
        for number in pages:
            page = self.pdf.pages[number].obj
            if "/StructParents" in page:
                page.StructParents = self._key(old, int(page.StructParents))
            for annotation in page.get("/Annots", pikepdf.Array()):
                if "/StructParent" in annotation:
                    annotation.StructParent = self._key(old, int(annotation.StructParent))

    def _key(self, old: dict[int, pikepdf.Object], key: int) -> int:
        new = len(self.keys)
        if key in old:
            self.keys.append((new, old[key]))
        return new

    def finish(self) -> None:
        """The document's parent tree: every page's and annotation's entry under its new key."""
        import pikepdf

        if self.document is None:
            return
        nums = pikepdf.Array()
        for key, value in self.keys:
            nums.extend([key, value])
        self.pdf.Root.StructTreeRoot.ParentTree = self.pdf.make_indirect(pikepdf.Dictionary(Nums=nums))
        self.pdf.Root.StructTreeRoot.ParentTreeNextKey = len(self.keys)


def _prefix_ids(element: pikepdf.Object, prefix: str) -> None:
    """Table header ids (/ID) and the cells that name them (/A /Headers), made unique to one part."""
    import pikepdf

    stack = [element]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or node.get("/Type") not in (None, pikepdf.Name.StructElem):
            continue
        if "/ID" in node:
            node.ID = pikepdf.String(prefix + str(node.ID))
        attributes = node.get("/A")
        if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
            attributes.Headers = pikepdf.Array([pikepdf.String(prefix + str(h)) for h in attributes.Headers])
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
        elif isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)


def compact(pdf: pikepdf.Pdf) -> None:
    """Lift the kids of plain /Span and /NonStruct elements into their parent, in place and in
    order, when they are on the parent's page: marked content goes up (the parent tree
    follows), elements move up. Elements with attributes, a language or alt text stay."""
    import pikepdf

    root = pdf.Root.get("/StructTreeRoot")
    if root is None or "/ParentTree" not in root or not len(root.get("/K", ())):
        return
    owners = dict(pikepdf.NumberTree(root.ParentTree).items())
    keys = {page.objgen: int(page.obj.StructParents) for page in pdf.pages if "/StructParents" in page.obj}
    stack = [root.K[0]]
    while stack:
        element = stack.pop()
        kids = element.get("/K")
        if not isinstance(kids, pikepdf.Array):
            continue
        lifted = list(kids)
        while any(_liftable(kid, element) for kid in lifted):  # a wrapper may hold wrappers: lift until none is left
            flat: list[pikepdf.Object] = []
            for kid in lifted:
                if not _liftable(kid, element):
                    flat.append(kid)
                    continue
                for grandchild in kid.K:
                    if isinstance(grandchild, int):
                        owners[keys[element.Pg.objgen]][int(grandchild)] = element
                    else:
                        grandchild.P = element
                    flat.append(grandchild)
            lifted = flat
            element.K = pikepdf.Array(lifted)
        stack.extend(kid for kid in lifted if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)


def _liftable(kid: pikepdf.Object, parent: pikepdf.Dictionary) -> bool:
    import pikepdf

    return (
        isinstance(kid, pikepdf.Dictionary)
        and kid.get("/S") in (pikepdf.Name.Span, pikepdf.Name.NonStruct)
        and set(kid.keys()) <= _PLAIN
        and "/Pg" in parent
        and "/Pg" in kid
        and kid.Pg.objgen == parent.Pg.objgen
        and isinstance(kid.get("/K"), pikepdf.Array)
        and all(isinstance(item, int) or (isinstance(item, pikepdf.Dictionary) and "/S" in item) for item in kid.K)
    )


def compact_bytes(data: bytes, id_prefix: str = "") -> bytes:
    """A tagged PDF with its structure tree compacted: a document laid out whole (the slides,
    the worksheets), or a part as it is stored, its table header ids given `id_prefix` so
    that they stay unique in any document it joins. Done once per layout, never per assembly."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(data))
    compact(pdf)
    root = pdf.Root.get("/StructTreeRoot")
    if id_prefix and root is not None and len(root.get("/K", ())):
        _prefix_ids(root.K[0], id_prefix)
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True, deterministic_id=True, linearize=False)
    return buffer.getvalue()
