"""One font program per face in an assembled PDF, instead of one per part.

Every part embeds its own subset of each font it uses. WeasyPrint subsets with
HarfBuzz keeping the original glyph ids, so all of a face's subsets index the same
glyphs: one subset of the installed font file holding the union of the glyphs the
parts use can replace them all, and every part's text still draws the same.

The installed file is found by the PostScript name the subset keeps, in
fontconfig's list; the union is cut with libharfbuzz-subset (the library WeasyPrint uses,
installed by `make deps`). A face whose file cannot be found, is variable, or does
not hold the glyphs is left as it was: sharing only ever saves bytes.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

from ..fonts import installed_fonts

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
unsigned int hb_face_get_glyph_count(const hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
unsigned int hb_tag_from_string(const char *str, int len);
void hb_set_add(hb_set_t *set, unsigned int codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""
_READONLY = 1  # HB_MEMORY_MODE_READONLY
_NO_HINTING, _RETAIN_GIDS, _DESUBROUTINIZE, _PASSTHROUGH = 0x1, 0x2, 0x4, 0x20
_DROP_TABLE_TAG = 3  # HB_SUBSET_SETS_DROP_TABLE_TAG
# The tables a PDF viewer never reads (glyphs are already placed); WeasyPrint drops the same.
_DROPPED = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ", b"GDEF")


@cache
def _harfbuzz():  # type: ignore[no-untyped-def]
    """(ffi, libharfbuzz, libharfbuzz-subset), or None where they are not installed."""
    try:
        from cffi import FFI

        ffi = FFI()
        ffi.cdef(_CDEF)
        return ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")
    except (ImportError, OSError):
        return None


@cache
def _by_postscript_name() -> dict[str, tuple[Path, int] | None]:
    """Installed font files by PostScript name; None where two different files share a name
    (then we cannot know which one Pango used, and its glyph ids may differ: no sharing)."""
    found: dict[str, tuple[Path, int] | None] = {}
    for font in installed_fonts():
        if not font.postscript_name:
            continue
        here = (font.path, font.index)
        if font.postscript_name in found and found[font.postscript_name] not in (here, None):
            previous = found[font.postscript_name]
            same = previous is not None and _same_bytes(previous[0], font.path) and previous[1] == font.index
            found[font.postscript_name] = previous if same else None
        else:
            found.setdefault(font.postscript_name, here)
    return found


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


@cache
def _font_file(path: Path, index: int) -> tuple[bytes, bool] | None:
    """The file's bytes, and whether it can be used (a static font: no 'fvar' table)."""
    from fontTools.ttLib import TTFont

    try:
        data = path.read_bytes()
        with TTFont(io.BytesIO(data), lazy=True, fontNumber=index) as font:
            return data, "fvar" not in font
    except Exception:  # noqa: BLE001 - any unreadable font is simply not shared
        return None


def postscript_name(font_program: bytes) -> str | None:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(io.BytesIO(font_program), lazy=True) as font:
            name = font["name"].getDebugName(6)
    except Exception:  # noqa: BLE001 - a program we cannot read is left as it is
        return None
    return name or None


def union_subset(name: str, glyphs: set[int]) -> bytes | None:
    """A subset of the installed font `name` with these glyph ids (kept at their ids)."""
    found = _by_postscript_name().get(name)
    library = _harfbuzz()
    if found is None or library is None or not glyphs:
        return None
    loaded = _font_file(*found)
    if loaded is None or not loaded[1]:
        return None
    data, index = loaded[0], found[1]
    ffi, hb, hb_subset = library
    buffer = ffi.from_buffer(data)
    blob = hb.hb_blob_create(buffer, len(data), _READONLY, ffi.NULL, ffi.NULL)
    face = hb.hb_face_create(blob, index)
    subset_input = hb_subset.hb_subset_input_create_or_fail()
    try:
        if subset_input == ffi.NULL or max(glyphs) >= hb.hb_face_get_glyph_count(face):
            return None
        glyph_set = hb_subset.hb_subset_input_glyph_set(subset_input)
        for glyph in sorted(glyphs | {0}):
            hb.hb_set_add(glyph_set, glyph)
        dropped = hb_subset.hb_subset_input_set(subset_input, _DROP_TABLE_TAG)
        for tag in _DROPPED:
            hb.hb_set_add(dropped, hb.hb_tag_from_string(tag, 4))
        hb_subset.hb_subset_input_set_flags(subset_input, _NO_HINTING | _RETAIN_GIDS | _DESUBROUTINIZE | _PASSTHROUGH)
        result = hb_subset.hb_subset_or_fail(face, subset_input)
        if result == ffi.NULL:
            return None
        try:
            out = hb.hb_face_reference_blob(result)
            length = ffi.new("unsigned int *")
            pointer = hb.hb_blob_get_data(out, length)
            program = bytes(ffi.buffer(pointer, length[0]))
            hb.hb_blob_destroy(out)
        finally:
            hb.hb_face_destroy(result)
        return program or None
    finally:
        if subset_input != ffi.NULL:
            hb_subset.hb_subset_input_destroy(subset_input)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def widths_glyphs(widths) -> set[int]:  # type: ignore[no-untyped-def]
    """The glyph ids a CIDFont's /W array gives widths for (both of its forms)."""
    glyphs: set[int] = set()
    items = list(widths or [])
    i = 0
    while i < len(items):
        first = int(items[i])
        following = items[i + 1].get_object() if i + 1 < len(items) else None
        if isinstance(following, list):
            glyphs.update(range(first, first + len(following)))
            i += 2
        else:
            glyphs.update(range(first, int(following) + 1))
            i += 3
    return glyphs


def shareable(cid_font) -> bool:  # type: ignore[no-untyped-def]
    """Whether a part's copy of a face keeps the installed font's glyph ids (CIDToGIDMap
    /Identity) and lists its glyphs in /W: what sharing one program relies on (D17)."""
    mapping = cid_font.get("/CIDToGIDMap")
    identity = mapping is None or str(mapping) == "/Identity"
    return identity and cid_font.get("/W") is not None and cid_font.get("/DW") is None


def share_fonts(writer) -> None:  # type: ignore[no-untyped-def]
    """Point every part's copy of a face at one font program holding all their glyphs.

    A face is left as it is (each part keeps its own subset, which is always correct) when
    any copy does not keep glyph ids, does not list its glyphs, or when the installed file
    is ambiguous; the PDF is then larger, never wrong."""
    from pypdf.generic import DictionaryObject, NameObject, NumberObject, StreamObject

    faces: dict[str, list] = {}  # BaseFont → [(Type0 font dict, CIDFont dict, FontDescriptor dict)]
    seen: set[int] = set()

    def visit(resources) -> None:  # type: ignore[no-untyped-def]
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject):
            return
        for reference in (resources.get("/Font") or DictionaryObject()).get_object().values():
            font = reference.get_object()
            if id(font) in seen or font.get("/Subtype") != "/Type0":
                continue
            seen.add(id(font))
            cid_font = font["/DescendantFonts"][0].get_object()
            descriptor = cid_font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                faces.setdefault(str(font.get("/BaseFont")), []).append((font, cid_font, descriptor.get_object()))
        for reference in (resources.get("/XObject") or DictionaryObject()).get_object().values():
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in writer.pages:
        visit(page.get("/Resources"))
    for members in faces.values():
        programs = {id(d["/FontFile2"].get_object()) for _, _, d in members}
        if len(programs) < 2 or not all(shareable(cid_font) for _, cid_font, _ in members):
            continue
        name = postscript_name(members[0][2]["/FontFile2"].get_object().get_data())
        glyphs: set[int] = set()
        for _, cid_font, _ in members:
            glyphs |= widths_glyphs(cid_font.get("/W"))
        program = union_subset(name, glyphs) if name else None
        if program is None:
            continue
        stream = StreamObject()
        stream.set_data(program)
        stream[NameObject("/Length1")] = NumberObject(len(program))
        reference = writer._add_object(stream.flate_encode())
        for _, _, descriptor in members:
            descriptor[NameObject("/FontFile2")] = reference
        _share_unicode_map(writer, [font for font, _, _ in members])


_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>")


def _share_unicode_map(writer, fonts) -> None:  # type: ignore[no-untyped-def]
    """One ToUnicode map (glyph → text, for copying and search) for all copies of a face."""
    from pypdf.generic import NameObject, StreamObject

    mapping: dict[bytes, bytes] = {}
    for font in fonts:
        unicode_map = font.get("/ToUnicode")
        if unicode_map is None:
            return
        data = unicode_map.get_object().get_data()
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
    stream = StreamObject()
    stream.set_data(b"\n".join(lines))
    reference = writer._add_object(stream.flate_encode())
    for font in fonts:
        font[NameObject("/ToUnicode")] = reference
