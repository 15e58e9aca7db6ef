"""D17 and review §5: one program per face, merged from the parts' own subsets with fontTools;
nothing is shared unless the copies prove they are subsets of one font."""

from __future__ import annotations

import io

import pikepdf
import pytest
from fontTools import subset
from fontTools.ttLib import TTFont

from trainkit.fonts import find_font
from trainkit.pdf import fonts as fontshare


def retained_subset(family: str, text: str) -> tuple[bytes, set[int]]:
    """A subset that keeps the font's glyph ids, as WeasyPrint embeds it in a part, and the
    ids of the glyphs its text draws."""
    font = find_font(family)
    if font is None:
        pytest.skip(f"{family} is not installed")
    options = subset.Options()
    options.retain_gids = True
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    source = TTFont(str(font.path))
    cmap = source.getBestCmap()
    drawn = {source.getGlyphID(cmap[ord(c)]) for c in text if ord(c) in cmap}
    subsetter.populate(text=text)
    subsetter.subset(source)
    buffer = io.BytesIO()
    source.save(buffer)
    return buffer.getvalue(), drawn


def outlines(program: bytes | tuple[bytes, set[int]]) -> dict[int, bytes]:
    font = TTFont(io.BytesIO(program if isinstance(program, bytes) else program[0]))
    raw, offsets = font.reader["glyf"], font["loca"]
    return {g: raw[offsets[g] : offsets[g + 1]].rstrip(b"\0") for g in range(len(offsets) - 1) if offsets[g + 1] > offsets[g]}


def test_the_union_holds_every_glyph_of_every_part_at_its_own_id():
    first, second = retained_subset("Noto Sans", "Safety"), retained_subset("Noto Sans", "Xylophone 42")
    merged = fontshare.merge_programs([first, second])
    assert merged is not None
    union = outlines(merged)
    for part in (first, second):
        own = outlines(part)
        for glyph in part[1]:
            assert union.get(glyph) == own.get(glyph)  # every glyph the part draws, at its id


def test_subsets_of_two_different_fonts_are_not_merged():
    assert fontshare.merge_programs([retained_subset("Noto Sans", "abc"), retained_subset("DejaVu Sans", "abc")]) is None


def test_one_id_with_two_outlines_is_not_merged(monkeypatch):
    first = retained_subset("Noto Sans", "a")
    font = TTFont(io.BytesIO(first[0]))
    glyph = font.getGlyphID("a")
    changed, drawn = retained_subset("Noto Sans", "a")
    data = bytearray(changed)
    start = TTFont(io.BytesIO(changed)).reader.tables["glyf"].offset + TTFont(io.BytesIO(changed))["loca"][glyph]
    data[start + 2] ^= 0x01  # the outline's bounding box: the same id now draws something else
    assert fontshare.merge_programs([first, (bytes(data), drawn)]) is None


def test_a_program_that_cannot_be_read_is_left_alone():
    assert fontshare.merge_programs([(b"not a font", {1}), retained_subset("Noto Sans", "a")]) is None


def test_a_copy_that_does_not_keep_glyph_ids_or_list_its_glyphs_is_not_shared():
    pdf = pikepdf.new()
    identity = pikepdf.Dictionary(CIDToGIDMap=pikepdf.Name.Identity, W=pikepdf.Array())
    assert fontshare.shareable(identity)
    assert not fontshare.shareable(pikepdf.Dictionary(CIDToGIDMap=pdf.make_stream(b"\0\1"), W=pikepdf.Array()))
    assert not fontshare.shareable(pikepdf.Dictionary(CIDToGIDMap=pikepdf.Name.Identity))
    assert not fontshare.shareable(pikepdf.Dictionary(W=pikepdf.Array(), DW=1000))


def unicode_font(pdf: pikepdf.Pdf, body: bytes) -> pikepdf.Dictionary:
    return pdf.make_indirect(pikepdf.Dictionary(ToUnicode=pdf.make_stream(b"begincmap\n" + body + b"\nendcmap")))


def test_unicode_maps_with_ranges_or_conflicts_are_left_as_they_are():
    pdf = pikepdf.new()
    for bodies in (
        [b"1 beginbfchar\n<0003> <0041>\nendbfchar", b"1 beginbfrange\n<0004> <0006> <0042>\nendbfrange"],
        [b"1 beginbfchar\n<0003> <0041>\nendbfchar", b"1 beginbfchar\n<0003> <0042>\nendbfchar"],
    ):
        fonts = [unicode_font(pdf, body) for body in bodies]
        before = [font.ToUnicode.objgen for font in fonts]
        fontshare.share_unicode_map(pdf, fonts)
        assert [font.ToUnicode.objgen for font in fonts] == before
    agreeing = [unicode_font(pdf, b"1 beginbfchar\n<000" + digit + b"> <0041>\nendbfchar") for digit in (b"3", b"4")]
    fontshare.share_unicode_map(pdf, agreeing)
    merged = agreeing[0].ToUnicode.read_bytes()
    assert agreeing[0].ToUnicode.objgen == agreeing[1].ToUnicode.objgen
    assert b"<0003> <0041>" in merged and b"<0004> <0041>" in merged


def test_the_union_depends_on_the_parts_alone_not_on_the_clock(monkeypatch):
    """Builds are byte for byte repeatable: fontTools stamps a font it saves with the time
    unless told not to."""
    from fontTools.ttLib.tables import _h_e_a_d

    parts = [retained_subset("Noto Sans", "Safety"), retained_subset("Noto Sans", "Xylophone 42")]
    monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda: 3_000_000_000)
    first = fontshare.merge_programs(parts)
    monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda: 3_900_000_000)
    assert fontshare.merge_programs(parts) == first


def test_composite_glyphs_draw_the_same_from_the_union_as_from_each_part():
    """Arabic fonts build many glyphs from components, and WeasyPrint's subsets renumber the
    components past their last drawn glyph, differently in each part. Every glyph a part draws
    must draw the same outline, components and all, from the union (fontTools pens compare the
    decomposed drawing). The first two texts share glyphs whose components moved."""
    from fontTools.pens.recordingPen import DecomposingRecordingPen
    from weasyprint import HTML

    if find_font("Noto Naskh Arabic") is None:
        pytest.skip("Noto Naskh Arabic is not installed")
    texts = ("تشفير الرسائل من طرف إلى طرف", "لا تشارك كلمة المرور مع أحد؛ فعّل التحقق بخطوتين في حسابك الآن")
    programs = []
    for text in texts:
        html = f'<html lang="ar" dir="rtl"><body style="font-family: \'Noto Naskh Arabic\'; font-size: 20pt">{text}</body></html>'
        with pikepdf.open(io.BytesIO(HTML(string=html).write_pdf())) as pdf:
            for font in pdf.pages[0].Resources.Font.values():
                if "Naskh" in str(font.BaseFont):
                    cid_font = font.DescendantFonts[0]
                    programs.append((cid_font.FontDescriptor.FontFile2.read_bytes(), fontshare.widths_glyphs(cid_font.W)))
    assert len(programs) == 2
    union = fontshare.merge_programs(programs)
    assert union is not None
    merged = TTFont(io.BytesIO(union))
    composites = 0
    for program, drawn in programs:
        part = TTFont(io.BytesIO(program))
        for glyph in drawn:
            name = part.getGlyphName(glyph)
            composites += part["glyf"][name].isComposite()
            theirs, mine = DecomposingRecordingPen(part.getGlyphSet()), DecomposingRecordingPen(merged.getGlyphSet())
            part.getGlyphSet()[name].draw(theirs)
            merged.getGlyphSet()[merged.getGlyphName(glyph)].draw(mine)
            assert mine.value == theirs.value, f"glyph {glyph} draws differently from the union"
    assert composites > 0
