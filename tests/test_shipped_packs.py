"""The shipped whrd and journalist packs, in English and Arabic, as a participant's reader sees
them: tagged PDFs in the right language with alt text and nested headings, the worksheets of
the pack's lessons as form fields, and each audience's own story (`::: only`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pikepdf
import pytest
from support import html_text

from trainkit.loader import load_curriculum

CURRICULUM = Path(__file__).resolve().parent.parent / "curriculum"
PACKS = [(profile, lang) for profile in ("whrd", "journalist") for lang in ("en", "ar")]


def structure(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.Dictionary, str]]:
    """Every structure element in reading order, with the language it inherits."""
    found, stack = [], [(pdf.Root.StructTreeRoot.K[0], str(pdf.Root.Lang))]
    while stack:
        node, lang = stack.pop()
        lang = str(node.get("/Lang", lang))
        found.append((node, lang))
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        stack.extend((kid, lang) for kid in reversed(kids) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
    return found


@pytest.mark.parametrize(("profile", "lang"), PACKS)
@pytest.mark.parametrize("name", ["handout.pdf", "worksheets.pdf", "slides.pdf"])
def test_every_pdf_is_tagged_in_its_language_with_alt_text_and_nested_headings(
    shipped_packs: Path, profile: str, lang: str, name: str
) -> None:
    pdf = pikepdf.open(shipped_packs / profile / lang / name)
    assert pdf.Root.MarkInfo.Marked is True and str(pdf.Root.Lang) == lang
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True and str(pdf.docinfo.Title)
    elements = structure(pdf)
    figures = [node for node, _ in elements if node.S == "/Figure"]
    assert all(str(node.get("/Alt", "")).strip() for node in figures)
    levels = [int(str(node.S)[2]) for node, _ in elements if re.fullmatch(r"/H[1-6]", str(node.S))]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    pages = {page.objgen for page in pdf.pages}
    assert all(node.Pg.objgen in pages for node, _ in elements if "/Pg" in node)


@pytest.mark.parametrize(("profile", "lang"), PACKS)
def test_the_worksheets_of_the_pack_are_form_fields_in_the_handout_and_in_worksheets_pdf(
    shipped_packs: Path, profile: str, lang: str
) -> None:
    curriculum, _ = load_curriculum(CURRICULUM)
    assert curriculum is not None
    folder = shipped_packs / profile / lang
    lessons = [entry["id"] for entry in json.loads((folder / "manifest.json").read_text())["lessons"]]
    expected = {worksheet.id for ident in lessons for worksheet in curriculum.lessons[ident].body.worksheets}
    assert expected  # every shipped profile teaches at least one lesson with a worksheet
    for name in ("handout.pdf", "worksheets.pdf"):
        pdf = pikepdf.open(folder / name)
        names = {str(field.T) for field in pdf.Root.AcroForm.Fields}
        assert {name.split("-")[0] for name in names} >= {ident.split("-")[0] for ident in expected}
        assert all(any(field.startswith(f"{ident}-") for field in names) for ident in expected), (name, sorted(names))
        labels = [str(field.get("/TU", "")) for field in pdf.Root.AcroForm.Fields]
        assert all(labels)  # each field has the name a screen reader and a form filler show
        if lang == "ar":
            assert sum(bool(re.search("[\u0600-\u06ff]", label)) for label in labels) > len(labels) / 2  # translated labels


def _variant_openings(path: Path) -> dict[str, list[tuple[bool, str]]]:
    """The start of every `::: only` block of a lesson file, by audience: (is a slide title, words)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found: dict[str, list[tuple[bool, str]]] = {}
    for number, line in enumerate(lines):
        match = re.match(r"^::: only \{audience=\"?([a-z ]+)\"?\}$", line)
        if match and number + 1 < len(lines):
            following = lines[number + 1]
            text = re.sub(r"[*#]", "", following).strip()
            if text and not text.startswith(":::"):
                for audience in match.group(1).split():
                    found.setdefault(audience, []).append((following.startswith("## "), " ".join(text.split()[:5])))
    return found


def _article(html: str, lesson: str) -> str:
    """The text of one lesson's article in the HTML handout."""
    start = html.index(f'<article class="lesson" id="lesson-{lesson}"')
    end = html.index("</article>", start)
    return html_text(html[start:end])


def _slide_titles(path: Path) -> set[str]:
    titles = re.findall(r"<h2[^>]*>(.*?)</h2>", path.read_text(encoding="utf-8"), re.S)
    return {" ".join(re.sub(r"<[^>]+>", "", title).split()) for title in titles}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_each_audience_reads_its_own_story(shipped_packs: Path, lang: str) -> None:
    """Every `::: only` passage or slide of a lesson in the pack is there for its audience, and not for the other."""
    variants = {
        lesson.name: _variant_openings(lesson / f"{lang}.md")
        for lesson in sorted((CURRICULUM / "lessons").iterdir())
        if (lesson / f"{lang}.md").exists()
    }
    variants = {name: found for name, found in variants.items() if found}
    assert variants, "the shipped curriculum uses '::: only' somewhere"
    checked = 0
    for profile in ("whrd", "journalist"):
        folder = shipped_packs / profile / lang
        taught = {entry["id"] for entry in json.loads((folder / "manifest.json").read_text())["lessons"]}
        handout = (folder / "handout.html").read_text(encoding="utf-8")
        titles = _slide_titles(folder / "slides.html")
        for lesson, found in variants.items():
            if lesson not in taught:
                continue
            text = _article(handout, lesson)
            mine = set(found.get(profile, []))
            for audience, openings in found.items():
                for opening in openings:
                    is_slide, words = opening
                    shown = any(title.startswith(words) for title in titles) if is_slide else words in text
                    assert shown == (audience == profile or opening in mine), (profile, lesson, words)
                    checked += 1
    assert checked >= 4
