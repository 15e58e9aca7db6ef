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


def retained_subset(family: str, text: str) -> bytes:
    """A subset that keeps the font's glyph ids, as WeasyPrint embeds it in a part."""
    font = find_font(family)
    if font is None:
        pytest.skip(f"{family} is not installed")
    options = subset.Options()
    options.retain_gids = True
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    source = TTFont(str(font.path))
    subsetter.populate(text=text)
    subsetter.subset(source)
    buffer = io.BytesIO()
    source.save(buffer)
    return buffer.getvalue()


def outlines(program: bytes) -> dict[int, bytes]:
    font = TTFont(io.BytesIO(program))
    raw, offsets = font.reader["glyf"], font["loca"]
    return {g: raw[offsets[g] : offsets[g + 1]].rstrip(b"\0") for g in range(len(offsets) - 1) if offsets[g + 1] > offsets[g]}


def test_the_union_holds_every_glyph_of_every_part_at_its_own_id():
    first, second = retained_subset("Noto Sans", "Safety"), retained_subset("Noto Sans", "Xylophone 42")
    merged = fontshare.merge_programs([first, second])
    assert merged is not None
    union = outlines(merged)
    for part in (first, second):
        for glyph, outline in outlines(part).items():
            assert union[glyph] == outline
    assert len(union) == len(outlines(first) | outlines(second))


def test_subsets_of_two_different_fonts_are_not_merged():
    assert fontshare.merge_programs([retained_subset("Noto Sans", "abc"), retained_subset("DejaVu Sans", "abc")]) is None


def test_one_id_with_two_outlines_is_not_merged(monkeypatch):
    first = retained_subset("Noto Sans", "a")
    font = TTFont(io.BytesIO(first))
    glyph = font.getGlyphID("a")
    changed = retained_subset("Noto Sans", "a")
    data = bytearray(changed)
    start = TTFont(io.BytesIO(changed)).reader.tables["glyf"].offset + TTFont(io.BytesIO(changed))["loca"][glyph]
    data[start + 2] ^= 0x01  # the outline's bounding box: the same id now draws something else
    assert fontshare.merge_programs([first, bytes(data)]) is None


def test_a_program_that_cannot_be_read_is_left_alone():
    assert fontshare.merge_programs([b"not a font", retained_subset("Noto Sans", "a")]) is None


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
