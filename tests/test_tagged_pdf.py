"""Tagged PDFs: one coherent structure tree in every assembled handout and guide, and in the slides.

Handouts and guides are assembled from parts that WeasyPrint tags one by one
(pdf/parts.py, `Structure`). These tests read the real files back with pikepdf:
the tree exists and is marked, every element points at a page of this document,
the parent tree answers for every page and link, headings nest, every figure has
its alt text, the document and a lesson shown in the source language carry their
languages, and the reading order follows the pages, left to right and right to left.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from support import build, lesson, write_tree

from trainkit.loader import fingerprint

FIXTURES = Path(__file__).parent / "fixtures"

ONE = """\
## Why the first lesson matters

The first lesson's participant text, with a [link to the second lesson](#lesson-two).

![Three rows of locks, one for each layer](lock.svg)

| Layer | Who can read |
| --- | --- |
| In transit | The server |
| End to end | Only the two phones |

1. Open the settings.

::: caution
Do not lend your phone while it is unlocked.
:::

2. Turn on the screen lock.

::: slides
## First slide
- Point one

![Three rows of locks, one for each layer](lock.svg)
:::
"""

ONE_AR = """\
---
title: الدرس الأول
summary: الدرس الأول في الاختبارات.
objectives:
  - شرح أمر واحد.
source_fingerprint: {fingerprint}
---

## لماذا يهم الدرس الأول

نص المشاركين في الدرس الأول، مع [رابط إلى الدرس الثاني](#lesson-two).

![ثلاثة صفوف من الأقفال، صف لكل طبقة](lock.svg)

| الطبقة | من يستطيع القراءة |
| --- | --- |
| أثناء النقل | الخادم |
| من طرف إلى طرف | الهاتفان فقط |

1. افتح الإعدادات.

::: caution
لا تعِر هاتفك وهو غير مقفل.
:::

2. فعّل قفل الشاشة.

::: slides
## الشريحة الأولى
- النقطة الأولى

![ثلاثة صفوف من الأقفال، صف لكل طبقة](lock.svg)
:::
"""

TWO = """\
## What the second lesson adds

Text of the second lesson, which has no Arabic translation yet.

::: slides
## Second slide
- Point two
:::
"""


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One curriculum, built once: lesson one in English and Arabic, lesson two in English only."""
    root = tmp_path_factory.mktemp("tagged") / "curriculum"
    source = lesson(ONE, "The first lesson", audiences="whrd")
    write_tree(
        root,
        {
            "curriculum.yml": "title: Tagged\nsource_language: en\nlanguages: [en, ar]\n",
            "lessons/one/en.md": source,
            "lessons/one/ar.md": ONE_AR.format(fingerprint=fingerprint(source)),
            "lessons/two/en.md": lesson(TWO, "The second lesson", audiences="whrd", prerequisites="one"),
            "profiles/whrd.yml": "title: Defenders\naudiences: [whrd]\n",
        },
    )
    shutil.copyfile(FIXTURES / "mini/lessons/alpha/lock.svg", root / "lessons/one/lock.svg")
    out = root.parent / "output"
    result = build(root, out)
    assert result.exit_code == 0, result.output
    yield out / "whrd"


def elements(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    """Every structure element in tree order (depth first), with the language it inherits."""
    stack = [(pdf.Root.StructTreeRoot.K[0], str(pdf.Root.Lang))]
    while stack:
        node, lang = stack.pop()
        lang = str(node.get("/Lang", lang))
        yield node, lang
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        stack.extend((kid, lang) for kid in reversed(kids) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("name", ["handout.pdf", "guide.pdf", "slides.pdf"])
def test_every_pdf_is_marked_with_one_structure_tree_that_points_at_its_own_pages(packs: Path, lang: str, name: str) -> None:
    pdf = pikepdf.open(packs / lang / name)
    assert pdf.Root.MarkInfo.Marked is True
    assert str(pdf.Root.Lang) == lang
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    assert str(pdf.docinfo.Title)  # shown instead of the file name
    tree = pdf.Root.StructTreeRoot
    assert len(tree.K) == 1 and tree.K[0].S == "/Document"
    pages = {page.objgen for page in pdf.pages}
    found = list(elements(pdf))
    assert len(found) > 20
    assert all(node.Pg.objgen in pages for node, _ in found if "/Pg" in node)
    # The parent tree: one entry per page and per annotation, no key twice, each pointing back.
    parent = dict(pikepdf.NumberTree(tree.ParentTree).items())
    keys = [int(page.obj.StructParents) for page in pdf.pages]
    annotations = [annotation for page in pdf.pages for annotation in page.obj.get("/Annots", ())]
    keys += [int(annotation.StructParent) for annotation in annotations]
    assert len(keys) == len(set(keys)) and set(keys) <= set(parent)
    for page in pdf.pages:
        for element in parent[int(page.obj.StructParents)]:
            assert element.Pg.objgen == page.objgen
    for annotation in annotations:
        owner = parent[int(annotation.StructParent)]
        assert any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Obj") == annotation for kid in owner.K)
    # Table header ids are unique across the parts they came from.
    ids = [str(node.ID) for node, _ in found if "/ID" in node]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("name", ["handout.pdf", "guide.pdf", "slides.pdf"])
def test_headings_nest_and_follow_the_pages(packs: Path, lang: str, name: str) -> None:
    pdf = pikepdf.open(packs / lang / name)
    index = {page.objgen: number for number, page in enumerate(pdf.pages)}
    headings = [(int(str(node.S)[2]), index[node.Pg.objgen]) for node, _ in elements(pdf) if str(node.S) in {f"/H{n}" for n in range(1, 7)}]
    levels = [level for level, _ in headings]
    assert levels and levels[0] == 1
    assert all(after <= before + 1 for before, after in zip(levels, levels[1:], strict=False)), levels
    pages = [page for _, page in headings]
    assert pages == sorted(pages)  # the tree reads in page order, front to back


@pytest.mark.parametrize(("lang", "alt"), [("en", "Three rows of locks, one for each layer"), ("ar", "ثلاثة صفوف من الأقفال، صف لكل طبقة")])
@pytest.mark.parametrize("name", ["handout.pdf", "slides.pdf"])
def test_every_figure_has_its_alt_text_and_decoration_is_no_figure(packs: Path, lang: str, alt: str, name: str) -> None:
    pdf = pikepdf.open(packs / lang / name)
    figures = [str(node.get("/Alt", "")) for node, _ in elements(pdf) if node.S == "/Figure"]
    assert figures == [alt]  # the lesson's image; the caution triangle is a background, not a figure


def test_tables_and_links_are_tagged(packs: Path) -> None:
    pdf = pikepdf.open(packs / "en" / "handout.pdf")
    kinds = [str(node.S) for node, _ in elements(pdf)]
    assert {"/Table", "/TR", "/TH", "/TD", "/L", "/LI", "/P", "/Link"} <= set(kinds)
    links = [node for node, _ in elements(pdf) if node.S == "/Link"]
    annotations = [a for page in pdf.pages for a in page.obj.get("/Annots", ()) if a.get("/Subtype") == "/Link"]
    assert len(links) >= len(annotations) > 0


def test_a_lesson_shown_in_the_source_language_says_so(packs: Path) -> None:
    """In the Arabic handout, lesson two (not translated) is English: its elements carry /Lang en."""
    pdf = pikepdf.open(packs / "ar" / "handout.pdf")
    index = {page.objgen: number for number, page in enumerate(pdf.pages)}
    by_lang: dict[str, set[int]] = {}
    for node, lang in elements(pdf):
        if "/Pg" in node:
            by_lang.setdefault(lang, set()).add(index[node.Pg.objgen])
    assert set(by_lang) == {"ar", "en"}
    assert min(by_lang["en"]) > min(by_lang["ar"])  # the English lesson comes after the Arabic one
    headings = [(lang, node) for node, lang in elements(pdf) if node.S in ("/H1", "/H2")]
    assert any(lang == "en" for lang, _ in headings) and any(lang == "ar" for lang, _ in headings)


@pytest.mark.parametrize("name", ["handout.pdf", "guide.pdf"])
def test_footers_are_artifacts_outside_the_tree(packs: Path, name: str) -> None:
    """The stamped "Page N of M" is page furniture: drawn last, inside /Artifact BMC … EMC."""
    pdf = pikepdf.open(packs / "en" / name)
    for page in pdf.pages:
        last = [(list(operands), str(operator)) for operands, operator in pikepdf.parse_content_stream(page)][-6:]
        assert [operator for _, operator in last] == ["Q", "BMC", "q", "Do", "Q", "EMC"]
        assert last[1][0] == [pikepdf.Name.Artifact]


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("name", ["handout.pdf", "guide.pdf", "slides.pdf"])
def test_the_compacted_tree_and_the_parent_tree_agree_on_every_marked_content(packs: Path, lang: str, name: str) -> None:
    """Every marked-content id an element holds is owned by that element in the parent tree, and
    the plain /Span and /NonStruct wrappers WeasyPrint makes are gone (pdf/structure.py: compact)."""
    pdf = pikepdf.open(packs / lang / name)
    parent = dict(pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items())
    keys = {page.objgen: int(page.obj.StructParents) for page in pdf.pages}
    owned = 0
    for node, _ in elements(pdf):
        kids = node.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, int):
                assert parent[keys[node.Pg.objgen]][kid].objgen == node.objgen
                owned += 1
        plain = set(node.keys()) <= {"/Type", "/S", "/K", "/Pg", "/P"}
        wrapper = plain and node.S in ("/Span", "/NonStruct") and "/Pg" in node.P and node.P.Pg.objgen == node.Pg.objgen
        assert not wrapper, node.S
    total = sum(len(parent[key]) for key in keys.values())
    assert owned == total  # no marked content is left without its element
