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
"""

from __future__ import annotations

import array
import io
import itertools
import re
import struct
import sys
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
        programs = {descriptor.FontFile2.objgen: descriptor.FontFile2 for _, _, descriptor in members}
        if len(programs) < 2 or not all(shareable(cid_font) for _, cid_font, _ in members):
            continue
        union = merge_programs([program.read_bytes() for program in programs.values()])
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


def merge_programs(programs: list[bytes]) -> bytes | None:
    """One TrueType program holding every glyph of these subsets at its own id, or None
    when they are not subsets of one font (then each part keeps its own)."""
    from fontTools.ttLib import TTFont, TTLibError
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    try:
        # recalcTimestamp off: the union's bytes depend on the parts alone, never on the clock.
        fonts = [TTFont(io.BytesIO(program), lazy=True, recalcTimestamp=False) for program in programs]
        base = fonts[0]
        if "glyf" not in base or "fvar" in base or len({_identity(font) for font in fonts}) != 1:
            return None
        outlines: dict[int, bytes] = {}
        metrics: dict[int, tuple[int, int]] = {}
        count = 0
        for font in fonts:
            # Read from the raw tables: a part's subset keeps the font's ids, so it has a slot
            # for thousands of glyphs, nearly all empty; decompiling them all costs more than the rest.
            raw, offsets = font.reader["glyf"], _offsets(font)
            count = max(count, len(offsets) - 1)
            for glyph, (start, end) in enumerate(itertools.pairwise(offsets)):
                if end <= start:
                    continue
                outline = raw[start:end]
                if glyph in outlines:
                    if outlines[glyph].rstrip(b"\0") != outline.rstrip(b"\0"):
                        return None  # one id, two outlines: not one font
                    continue
                outlines[glyph] = outline
                metrics[glyph] = _metric(font, glyph)
        order = [".notdef", *(f"glyph{i:05d}" for i in range(1, count))]
        for tag in _DROPPED:
            if tag in base:
                del base[tag]
        if "post" in base:
            base["post"].formatType = 3.0  # no glyph names: the ids are all a PDF uses
        glyf, hmtx, maxp = base["glyf"], base["hmtx"], base["maxp"]  # read as they are, then given every glyph
        base.setGlyphOrder(order)
        glyf.glyphOrder = order
        glyf.glyphs = {name: Glyph(outlines[i]) if i in outlines else Glyph() for i, name in enumerate(order)}
        hmtx.metrics = {name: metrics.get(i, (0, 0)) for i, name in enumerate(order)}
        maxp.numGlyphs = count
        buffer = io.BytesIO()
        base.save(buffer, reorderTables=False)
        return buffer.getvalue()
    except (TTLibError, KeyError, IndexError, ValueError, AssertionError, AttributeError, TypeError):
        return None  # a program we cannot read is left as it is


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
    stream = pdf.make_stream(b"\n".join(lines))
    for font in fonts:
        font.ToUnicode = stream
