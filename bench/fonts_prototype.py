#!/usr/bin/env python3
"""Prototype of the code review's §5.2 (1): pre-subset fonts + WeasyPrint's full_fonts=True.

    .venv/bin/python bench/fonts_prototype.py [--lessons 30] [--lang en]

Builds the first profile's handout of a synthetic curriculum (bench/synth.py) in
parts, twice, from an empty part cache each time, and prints time and size:

  union  - what Trainkit does: each part embeds WeasyPrint's own subset of each face,
           and assembly replaces the copies with one subset holding all their glyphs
           (pdf/fonts.py);
  full   - every part embeds the same per-language subset of each face, made once with
           fontTools and served through @font-face, written whole (full_fonts=True),
           so identical font objects are merged by compress_identical_objects and no
           font surgery is needed.

It answers the review's question before any code moves: which design is smaller and
faster for our documents. It changes nothing in the package.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from synth import make_curriculum  # noqa: E402

FACES = (("Noto Sans", False, False), ("Noto Sans", True, False), ("Noto Sans", False, True), ("Noto Sans", True, True))


def planned_handout(root: Path, lang: str):  # type: ignore[no-untyped-def]
    from trainkit import pipeline
    from trainkit.model import Format
    from trainkit.pack import plan_pack

    options = pipeline.BuildOptions(
        curriculum=root, out=Path(tempfile.mkdtemp()), formats=(Format.HANDOUT,), source_date_epoch="1767225600"
    )
    curriculum, _, _ = pipeline.prepare(options)
    requests: list = []
    profile = sorted(curriculum.profiles)[0]
    plan_pack(curriculum, profile, lang, options, None, dt.date(2026, 1, 1), pipeline.environment_key(), submit=requests.append)
    request = next(r for r in requests if r.key.endswith("handout.pdf"))
    return request.document, request.part_keys


def font_files(text: str, folder: Path) -> str:
    """Per-language TTF subsets of the faces the handout uses, and their @font-face rules."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from trainkit.fonts import installed_fonts

    wanted = {ord(c) for c in text} | set(range(0x20, 0x7F))
    rules = []
    for family, bold, italic in FACES:
        weight = 200 if bold else 80
        candidates = [f for f in installed_fonts() if family in f.families and (f.slant > 0) == italic and f.width == 100]
        if not candidates:
            continue
        font = min(candidates, key=lambda f: abs(f.weight - weight))
        options = subset.Options()
        options.layout_features = ["*"]
        options.notdef_outline = True
        options.name_IDs = ["*"]
        subsetter = subset.Subsetter(options)
        source = TTFont(str(font.path), fontNumber=font.index)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(source)
        name = f"{family.replace(' ', '')}-{int(bold)}{int(italic)}.ttf"
        # A name of its own, so that fontconfig never takes the installed file for it.
        for record in source["name"].names:
            if record.nameID in (1, 3, 4, 6, 16):
                record.string = f"Tk{name[:-4]}"
        source.save(str(folder / name))
        rules.append(
            f'@font-face {{ font-family: "Tk{family}"; font-weight: {700 if bold else 400}; '
            f'font-style: {"italic" if italic else "normal"}; src: url("trainkit:font/{name}"); }}'
        )
    # The aliases in place of the installed families (fontconfig prefers an installed file of
    # the same name), for the text and the page margins alike.
    families = ", ".join(dict.fromkeys(f'"Tk{family}"' for family, _, _ in FACES))
    rules.append(f"html, body, body * {{ font-family: {families}, sans-serif !important; }}")
    rules.append(f"@page {{ font-family: {families}, sans-serif; }}")
    return "\n".join(rules)


def run(kind: str, document, keys, root: Path) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    import io

    import weasyprint
    from pypdf import PdfReader

    from trainkit.pdf import parts
    from trainkit.pdf import render as render_module
    from trainkit.pdf.parts import PartCache, assemble
    from trainkit.pdf.render import PdfWriter

    folder = Path(tempfile.mkdtemp())
    original_load = render_module.load_resource
    original_write = weasyprint.Document.write_pdf
    original_share = parts.share_fonts
    if kind == "full":
        text = document.whole_html()
        faces = font_files(text, folder)
        document = dataclasses.replace(document, style=document.style + "\n" + faces, footers=document.footers + "\n" + faces)

        def load(url: str, lessons_root: Path):  # type: ignore[no-untyped-def]
            if url.startswith("trainkit:font/"):
                return (folder / url.removeprefix("trainkit:font/")).read_bytes(), "font/ttf"
            return original_load(url, lessons_root)

        render_module.load_resource = load
        weasyprint.Document.write_pdf = functools.partialmethod(original_write, full_fonts=True)
        parts.share_fonts = lambda writer: None
    try:
        started = time.perf_counter()
        cache = PartCache(folder / "parts", "prototype", PdfWriter(root / "lessons"))
        data, pages = assemble(document, keys, cache)
        elapsed = time.perf_counter() - started
    finally:
        render_module.load_resource = original_load
        weasyprint.Document.write_pdf = original_write
        parts.share_fonts = original_share
    reader = PdfReader(io.BytesIO(data))
    programs = set()
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            font = font.get_object()
            if font.get("/Subtype") == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
                programs.add(descriptor["/FontFile2"].indirect_reference.idnum)
    return elapsed, len(data), len(programs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=30)
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    root = make_curriculum(Path(tempfile.mkdtemp()) / "curriculum", args.lessons, 2, 1)
    document, keys = planned_handout(root, args.lang)
    print(f"handout of {len(document.parts)} parts, {args.lang}, laid out in one process from an empty part cache\n")
    print(f"{'design':8} {'seconds':>8} {'bytes':>10} {'font programs':>14}")
    for kind in ("union", "full", "union", "full"):
        elapsed, size, programs = run(kind, document, keys, root)
        print(f"{kind:8} {elapsed:8.2f} {size:10d} {programs:14d}")


if __name__ == "__main__":
    main()
