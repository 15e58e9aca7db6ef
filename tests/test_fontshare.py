"""D17: font sharing checks what it relies on, and leaves a face alone when it cannot be sure."""

from __future__ import annotations

from types import SimpleNamespace

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject

from trainkit.pdf import fonts as fontshare


def test_glyphs_are_read_from_both_forms_of_a_widths_array():
    widths = ArrayObject(
        [NumberObject(1), ArrayObject([NumberObject(500), NumberObject(600)]), NumberObject(10), NumberObject(12), NumberObject(700)]
    )
    assert fontshare.widths_glyphs(widths) == {1, 2, 10, 11, 12}


def test_a_copy_that_does_not_keep_glyph_ids_or_list_its_glyphs_is_not_shared():
    identity = DictionaryObject({NameObject("/CIDToGIDMap"): NameObject("/Identity"), NameObject("/W"): ArrayObject()})
    assert fontshare.shareable(identity)
    remapped = DictionaryObject({NameObject("/CIDToGIDMap"): StreamObject(), NameObject("/W"): ArrayObject()})
    assert not fontshare.shareable(remapped)
    assert not fontshare.shareable(DictionaryObject({NameObject("/CIDToGIDMap"): NameObject("/Identity")}))
    default_width = DictionaryObject({NameObject("/W"): ArrayObject(), NameObject("/DW"): NumberObject(1000)})
    assert not fontshare.shareable(default_width)


def unicode_map(body: bytes):  # type: ignore[no-untyped-def]
    stream = StreamObject()
    stream.set_data(b"begincmap\n" + body + b"\nendcmap")
    return stream


def test_unicode_maps_with_ranges_or_conflicts_are_left_as_they_are():
    writer = PdfWriter()
    for bodies in (
        [b"1 beginbfchar\n<0003> <0041>\nendbfchar", b"1 beginbfrange\n<0004> <0006> <0042>\nendbfrange"],
        [b"1 beginbfchar\n<0003> <0041>\nendbfchar", b"1 beginbfchar\n<0003> <0042>\nendbfchar"],
    ):
        fonts = [DictionaryObject({NameObject("/ToUnicode"): writer._add_object(unicode_map(body))}) for body in bodies]
        before = [font["/ToUnicode"] for font in fonts]
        fontshare._share_unicode_map(writer, fonts)
        assert [font["/ToUnicode"] for font in fonts] == before
    agreeing = [
        DictionaryObject({NameObject("/ToUnicode"): writer._add_object(unicode_map(b"1 beginbfchar\n<000" + d + b"> <0041>\nendbfchar"))})
        for d in (b"3", b"4")
    ]
    fontshare._share_unicode_map(writer, agreeing)
    merged = agreeing[0]["/ToUnicode"].get_object().get_data()
    assert agreeing[0]["/ToUnicode"] == agreeing[1]["/ToUnicode"] and b"<0003> <0041>" in merged and b"<0004> <0041>" in merged


def test_two_different_installed_files_with_one_name_are_not_used(tmp_path, monkeypatch):
    first, second, copy = tmp_path / "a.ttf", tmp_path / "b.ttf", tmp_path / "c.ttf"
    first.write_bytes(b"one font")
    second.write_bytes(b"another font")
    copy.write_bytes(b"one font")
    fonts = [
        SimpleNamespace(postscript_name="Face", path=first, index=0),
        SimpleNamespace(postscript_name="Face", path=second, index=0),
        SimpleNamespace(postscript_name="Same", path=first, index=0),
        SimpleNamespace(postscript_name="Same", path=copy, index=0),
    ]
    monkeypatch.setattr(fontshare, "installed_fonts", lambda: fonts)
    fontshare._by_postscript_name.cache_clear()
    try:
        found = fontshare._by_postscript_name()
        assert found["Face"] is None and found["Same"] == (first, 0)
        assert fontshare.union_subset("Face", {1, 2}) is None
    finally:
        fontshare._by_postscript_name.cache_clear()
