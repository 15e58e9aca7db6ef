"""One font program per face in an assembled PDF, instead of one per part.

Every part embeds its own subset of each font it uses. WeasyPrint subsets keeping
the original glyph ids (`/CIDToGIDMap /Identity`), so all of a face's subsets index
the same glyphs, each holding only the ones its part draws. Their union, made by
copying each part's glyph outlines into one program with fontTools, draws every
part's text exactly as before: no installed file is looked up, and nothing is
shared unless the copies prove they come from one font (same header, same outline
for every glyph two of them hold). Otherwise each part keeps its own subset, which
is always correct; sharing only ever saves bytes.

Works on a pikepdf.Pdf (public API), in the pass that stamps the footers.

Also here, run on each PDF as WeasyPrint writes it: the text of a font that a form
field uses as well (restore_field_fonts_text), whose glyphs WeasyPrint maps back to
text from the font's cmap rather than from what it drew.
"""

from __future__ import annotations

import array
import io
import re
import struct
import sys
from collections.abc import Callable, Iterable
from typing import Any

_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>")
# Tables that hold a per-glyph count or map and would disagree with the union; a PDF viewer reads none of them.
_DROPPED = ("hdmx", "LTSH", "VDMX", "kern", "vmtx", "vhea", "GDEF", "GSUB", "GPOS")


def share_fonts(pdf: Any) -> None:
    """Point every page's copies of a face at one program holding all their glyphs."""
    import pikepdf

    faces: dict[str, list[tuple[Any, Any, Any]]] = {}  # BaseFont → [(Type0 font, CIDFont, FontDescriptor)]
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", pikepdf.Dictionary()).get("/Font", pikepdf.Dictionary())
        for font in fonts.values():
            if font.objgen in seen or font.get("/Subtype") != pikepdf.Name.Type0:
                continue
            seen.add(font.objgen)
            cid_font = font.DescendantFonts[0]
            descriptor = cid_font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor:
                faces.setdefault(str(font.BaseFont), []).append((font, cid_font, descriptor))
    for members in faces.values():
        programs: dict[tuple[int, int], tuple[Any, set[int]]] = {}
        for _, cid_font, descriptor in members:
            program = descriptor.FontFile2
            programs.setdefault(program.objgen, (program, set()))[1].update(widths_glyphs(cid_font.get("/W")))
        if len(programs) < 2 or not all(shareable(cid_font) for _, cid_font, _ in members):
            continue
        union = merge_programs([(program.read_bytes(), drawn) for program, drawn in programs.values()])
        if union is None:
            continue
        stream = pdf.make_stream(union)
        stream.Length1 = len(union)
        for _, _, descriptor in members:
            descriptor.FontFile2 = stream
        share_unicode_map(pdf, [font for font, _, _ in members])


def shareable(cid_font: Any) -> bool:
    """Whether a part's copy of a face keeps the font's glyph ids (CIDToGIDMap /Identity)
    and lists its glyphs' widths in /W: what one shared program relies on (D17)."""
    mapping = cid_font.get("/CIDToGIDMap")
    identity = mapping is None or str(mapping) == "/Identity"
    return identity and cid_font.get("/W") is not None and cid_font.get("/DW") is None


def _identity(font: Any) -> tuple[object, ...]:
    """What every subset of one font file keeps from it: its header and vertical metrics."""
    head, hhea = font["head"], font["hhea"]
    return (head.unitsPerEm, head.created, head.fontRevision, hhea.ascent, hhea.descent, hhea.lineGap)


def widths_glyphs(widths: Any) -> set[int]:
    """The glyph ids a CIDFont's /W array gives widths for (both of its forms): the glyphs its text draws."""
    glyphs: set[int] = set()
    items = list(widths or [])
    i = 0
    while i + 1 < len(items):
        first, following = int(items[i]), items[i + 1]
        if isinstance(following, Iterable) and not isinstance(following, (str, bytes)):
            glyphs.update(range(first, first + len(following)))
            i += 2
        else:
            glyphs.update(range(first, int(following) + 1))
            i += 3
    return glyphs


def merge_programs(programs: list[tuple[bytes, set[int]]]) -> bytes | None:
    """One TrueType program for these subsets of one font, each given with the glyph ids its
    part draws; None when they are not subsets of one font (each part then keeps its own).

    A drawn glyph keeps its id (the page content names it). The glyphs a composite glyph is
    built from are not always at their original ids in a subset (WeasyPrint renumbers those
    past the last drawn id, differently in each part), so components are placed apart, once
    per distinct outline, and every composite is pointed at its components' places."""
    from fontTools.ttLib import TTFont, TTLibError
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    try:
        # recalcTimestamp off: the union's bytes depend on the parts alone, never on the clock.
        fonts = [TTFont(io.BytesIO(program), lazy=True, recalcTimestamp=False) for program, _ in programs]
        base = fonts[0]
        if "glyf" not in base or "fvar" in base or len({_identity(font) for font in fonts}) != 1:
            return None
        drawn_ids = set().union(*(drawn for _, drawn in programs))
        union = _Union(first_free=max(drawn_ids, default=0) + 1)
        for font, (_, drawn) in zip(fonts, programs, strict=True):
            raw, offsets = font.reader["glyf"], _offsets(font)

            def outline(glyph: int, raw: bytes = raw, offsets: array.array = offsets) -> bytes:
                return raw[offsets[glyph] : offsets[glyph + 1]] if glyph + 1 < len(offsets) else b""

            for glyph in sorted(drawn):
                if not union.place_drawn(glyph, font, outline):
                    return None  # one id, two outlines: not one font
        order = [".notdef", *(f"glyph{i:05d}" for i in range(1, union.count))]
        for tag in _DROPPED:
            if tag in base:
                del base[tag]
        if "post" in base:
            base["post"].formatType = 3.0  # no glyph names: the ids are all a PDF uses
        glyf, hmtx, maxp = base["glyf"], base["hmtx"], base["maxp"]  # read as they are, then given every glyph
        base.setGlyphOrder(order)
        glyf.glyphOrder = order
        glyf.glyphs = {name: Glyph(union.outlines[i]) if i in union.outlines else Glyph() for i, name in enumerate(order)}
        hmtx.metrics = {name: union.metrics.get(i, (0, 0)) for i, name in enumerate(order)}
        maxp.numGlyphs = union.count
        buffer = io.BytesIO()
        base.save(buffer, reorderTables=False)
        return buffer.getvalue()
    except (TTLibError, KeyError, IndexError, ValueError, AssertionError, AttributeError, TypeError, struct.error, RecursionError):
        return None  # a program we cannot read is left as it is


class _Union:
    """The glyphs of the union font by id, as the subsets are read into it."""

    def __init__(self, first_free: int):
        self.outlines: dict[int, bytes] = {}
        self.metrics: dict[int, tuple[int, int]] = {}
        self.placed_apart: dict[bytes, int] = {}  # a component's outline (components resolved) → its id
        self.next_free = first_free

    @property
    def count(self) -> int:
        return max([self.next_free, *(i + 1 for i in self.outlines)])

    def place_drawn(self, glyph: int, font: Any, outline: Callable[[int], bytes]) -> bool:
        """A glyph a part draws, at its own id; False if the id already holds another outline."""
        data = self._resolved(outline(glyph), font, outline, depth=0)
        if not data:
            return True  # nothing to draw (a space): nothing to keep
        kept = self.outlines.get(glyph)
        if kept is not None:
            return kept.rstrip(b"\0") == data.rstrip(b"\0")
        self.outlines[glyph] = data
        self.metrics[glyph] = _metric(font, glyph)
        return True

    def _component(self, glyph: int, font: Any, outline: Callable[[int], bytes], depth: int) -> int:
        """The union id of a component: one place per distinct outline, whatever id it had in
        its subset (even one the part also draws), so that every copy of a composite glyph
        comes out byte for byte the same."""
        data = self._resolved(outline(glyph), font, outline, depth + 1)
        place = self.placed_apart.get(data)
        if place is None:
            place = self.placed_apart[data] = self.next_free
            self.next_free += 1
            self.outlines[place] = data
            self.metrics[place] = _metric(font, glyph)
        return place

    def _resolved(self, data: bytes, font: Any, outline: Callable[[int], bytes], depth: int) -> bytes:
        """The outline with each component id replaced by the component's id in the union."""
        if depth > 8:
            raise ValueError("components nested too deep")
        components = _components(data)
        if not components:
            return data
        resolved = bytearray(data)
        for offset, component in components:
            struct.pack_into(">H", resolved, offset, self._component(component, font, outline, depth))
        return bytes(resolved)


def _components(outline: bytes) -> list[tuple[int, int]]:
    """(offset of the glyph id, glyph id) of each component of a composite glyph; [] for a simple one."""
    if len(outline) < 10 or struct.unpack_from(">h", outline, 0)[0] >= 0:
        return []
    found, position = [], 10
    while True:
        flags, glyph = struct.unpack_from(">HH", outline, position)
        found.append((position + 2, glyph))
        position += 4 + (4 if flags & 0x0001 else 2)  # ARG_1_AND_2_ARE_WORDS
        if flags & 0x0008:  # WE_HAVE_A_SCALE
            position += 2
        elif flags & 0x0040:  # WE_HAVE_AN_X_AND_Y_SCALE
            position += 4
        elif flags & 0x0080:  # WE_HAVE_A_TWO_BY_TWO
            position += 8
        if not flags & 0x0020:  # MORE_COMPONENTS
            return found


def _offsets(font: Any) -> array.array:
    """The 'loca' table: where each glyph's outline starts in 'glyf' (and where the last ends)."""
    data = font.reader["loca"]
    short = font["head"].indexToLocFormat == 0
    offsets = array.array("H" if short else "I")
    offsets.frombytes(data[: len(data) - len(data) % offsets.itemsize])
    if sys.byteorder == "little":
        offsets.byteswap()
    return array.array("I", (offset * 2 for offset in offsets)) if short else offsets


def _metric(font: Any, glyph: int) -> tuple[int, int]:
    """(advance width, left side bearing) of one glyph, from the raw 'hmtx' table."""
    data, long_metrics = font.reader["hmtx"], font["hhea"].numberOfHMetrics
    if glyph < long_metrics:
        advance, bearing = struct.unpack_from(">Hh", data, 4 * glyph)
        return advance, bearing
    advance = struct.unpack_from(">H", data, 4 * (long_metrics - 1))[0]
    (bearing,) = struct.unpack_from(">h", data, 4 * long_metrics + 2 * (glyph - long_metrics))
    return advance, bearing


def share_unicode_map(pdf: Any, fonts: list[Any]) -> None:
    """One ToUnicode map (glyph → text, for copying, search and screen readers) for all copies of a face."""
    mapping: dict[bytes, bytes] = {}
    for font in fonts:
        unicode_map = font.get("/ToUnicode")
        if unicode_map is None:
            return
        data = unicode_map.read_bytes()
        if b"beginbfrange" in data:
            return  # ranges are not merged: each copy keeps its own, complete map
        for glyph, text in _BFCHAR.findall(data):
            if mapping.setdefault(glyph.lower(), text) != text:
                return  # one glyph, two texts: keep each copy's own map rather than lose one
    stream = pdf.make_stream(unicode_cmap(mapping))
    for font in fonts:
        font.ToUnicode = stream


def unicode_cmap(mapping: dict[bytes, bytes]) -> bytes:
    """A ToUnicode CMap: glyph id (4 hex digits) → UTF-16BE text (hex), in glyph order."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [b"<" + glyph + b"> <" + text + b">" for glyph, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


# Code points a font's cmap gives its positional and ligature glyphs: Latin ligatures and
# Arabic presentation forms. Their text is the plain letters they stand for (NFKC).
_PRESENTATION_FORMS = ((0xFB00, 0xFDFF), (0xFE70, 0xFEFF))


def restore_field_fonts_text(data: bytes, fonts: Iterable[Any]) -> bytes:
    """`data` (a PDF WeasyPrint just wrote) with the text of what it drew in a font that a form
    field also uses.

    WeasyPrint embeds such a font whole, since a field's typed text may need any of its
    glyphs, and writes its ToUnicode map from the font's own cmap instead of from the text
    it drew: Arabic letters come out as presentation forms and a lam-alef ligature as
    nothing, so copying, search and screen readers get other words than the page shows.
    Each such font's map is written again: the text each glyph was drawn for (WeasyPrint's
    `Document.fonts`, the fonts a write used), then the cmap's entries for the glyphs no text
    drew (a field's typed text), presentation forms as the letters they stand for."""
    drawn = {
        font.name.decode("latin-1").lstrip("/"): font.to_unicode
        for font in fonts
        if getattr(font, "used_in_forms", False) and getattr(font, "to_unicode", None) and isinstance(getattr(font, "name", None), bytes)
    }
    if not drawn:
        return data
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(data))
    for font in pdf.objects:
        if not isinstance(font, pikepdf.Dictionary) or font.get("/Subtype") != pikepdf.Name.Type0:
            continue
        texts = drawn.get(str(font.get("/BaseFont", ""))[1:])
        unicode_map = font.get("/ToUnicode")
        if texts is None or unicode_map is None:
            continue
        mapping = {glyph.lower(): _plain_letters(text) for glyph, text in _BFCHAR.findall(unicode_map.read_bytes())}
        for glyph, text in texts.items():
            if isinstance(glyph, int) and 0 <= glyph <= 0xFFFF and isinstance(text, str) and text:
                mapping[f"{glyph:04x}".encode()] = text.encode("utf-16-be").hex().encode()
        font.ToUnicode = pdf.make_stream(unicode_cmap(mapping))
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True, deterministic_id=True, linearize=False)
    return buffer.getvalue()


def _plain_letters(text: bytes) -> bytes:
    """A ToUnicode target (UTF-16BE hex) with presentation forms written as their letters."""
    import unicodedata

    try:
        decoded = bytes.fromhex(text.decode()).decode("utf-16-be")
    except (ValueError, UnicodeDecodeError):
        return text
    plain = "".join(
        unicodedata.normalize("NFKC", char) if any(low <= ord(char) <= high for low, high in _PRESENTATION_FORMS) else char
        for char in decoded
    )
    return text if plain == decoded else plain.encode("utf-16-be").hex().encode()
