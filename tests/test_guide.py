"""A guide that reads well: contents in page order, no page left nearly empty by a short
end, preparation that leads with what to bring and what to re-check, and diagrams shown
on the slides that explain them."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from support import build, lesson, run, write_tree

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def mini_guide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    root = tmp_path_factory.mktemp("guide") / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    out = root.parent / "out"
    result = build(root, out, "--lang", "en")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("name", ["guide.pdf", "handout.pdf"])
def test_contents_list_entries_in_page_order(mini_guide: Path, name: str) -> None:
    reader = PdfReader(mini_guide / "whrd" / "en" / name)
    contents = next(page.extract_text() for page in reader.pages if page.extract_text().lstrip().startswith("Contents"))
    numbers = [int(found) for found in re.findall(r"(\d+)\s*$", contents, re.M)]
    assert len(numbers) >= 3
    assert numbers == sorted(numbers), contents
    if name == "guide.pdf":
        entries = [line for line in contents.splitlines() if re.search(r"\d\s*$", line)]
        assert entries[0].startswith("Agenda") and entries[1].startswith("Materials checklist")


def test_preparation_leads_with_what_to_bring_then_what_to_recheck(tmp_path: Path) -> None:
    head = lesson("## Text\n\nWords.\n", "Prepared")
    head = head.replace(
        "reviewed: 2026-01-01",
        "materials: [Sticky notes, A3 paper]\nverify:\n  - claim: A fact that changes.\n    where: https://example.org/\nreviewed: 2026-01-01",
    )
    root = write_tree(
        tmp_path / "curriculum",
        {
            "curriculum.yml": "title: G\nsource_language: en\nlanguages: [en]\n",
            "lessons/prepared/en.md": head,
            "profiles/journalist.yml": "title: J\naudiences: [journalist]\n",
        },
    )
    assert build(root, tmp_path / "out", "--format", "guide").exit_code == 0
    document = pdfium.PdfDocument(tmp_path / "out/journalist/en/guide.pdf")
    page = next(document[i] for i in range(len(document)) if "Preparation" in document[i].get_textpage().get_text_range())
    order = ["Preparation", "What to bring:", "Sticky notes", "A3 paper", "Re-check these facts", "A fact that changes."]
    tops = [_top(page, words) for words in order]
    assert tops == sorted(tops, reverse=True), dict(zip(order, tops, strict=True))  # top to bottom on the page


def _top(page: pdfium.PdfPage, words: str) -> float:
    """Where `words` start on the page (PDF units from the bottom: higher is nearer the top)."""
    textpage = page.get_textpage()
    found = textpage.search(words).get_next()
    assert found, words
    return textpage.get_charbox(found[0])[3]


def _text_end(page: pdfium.PdfPage) -> float:
    """How far down the page the last line of text reaches, as a fraction of its height (footers excluded)."""
    textpage = page.get_textpage()
    height = page.get_height()
    lowest = height
    for index in range(textpage.count_chars()):
        left, bottom, right, top = textpage.get_charbox(index)
        if bottom > 0.08 * height and not (left == right == 0):  # above the footer band
            lowest = min(lowest, bottom)
    return (height - lowest) / height


# (paragraphs, closing lines): sizes whose last page would hold only a few lines (measured with
# the tightening turned off: the text ended at 8 % to 23 % of that page).
@pytest.mark.parametrize(("paragraphs", "extra"), [(32, 1), (32, 4), (33, 1), (33, 3), (34, 1)])
def test_no_page_is_left_nearly_empty_by_the_end_of_a_lesson(tmp_path: Path, paragraphs: int, extra: int) -> None:
    """A lesson a few lines longer than its pages is laid out a little tighter: the tail gets no page of its own."""
    paragraph = "This sentence is here to fill the page with ordinary words, as a lesson would. " * 3
    body = "## A long section\n\n" + "\n\n".join([paragraph] * paragraphs) + "\n\n" + "\n\n".join(["A short closing line."] * extra) + "\n"
    root = write_tree(
        tmp_path / "curriculum",
        {
            "curriculum.yml": "title: G\nsource_language: en\nlanguages: [en]\n",
            "lessons/long/en.md": lesson(body, "A long lesson"),
            "profiles/journalist.yml": "title: J\naudiences: [journalist]\n",
        },
    )
    result = build(root, tmp_path / "out", "--format", "handout")
    assert result.exit_code == 0, result.output
    document = pdfium.PdfDocument(tmp_path / "out/journalist/en/handout.pdf")
    ends = [round(_text_end(document[index]), 2) for index in range(len(document))]
    assert ends[-1] >= 0.25, ends  # the lesson's last page is more than a few lines
    text = " ".join(document[index].get_textpage().get_text_range() for index in range(len(document)))
    assert text.count("A short closing line.") == extra  # nothing was cut to get there


def test_check_warns_when_a_lesson_with_images_shows_none_on_its_slides(tmp_path: Path) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    slides_without = "## Text\n\n![A square](box.svg)\n\n::: slides\n## A slide\n- Point\n\n::: notes\nNotes.\n:::\n:::\n"
    slides_with = slides_without.replace("- Point\n", "![A square](box.svg)\n")
    no_images = "## Text\n\nWords.\n\n::: slides\n## A slide\n- Point\n\n::: notes\nNotes.\n:::\n:::\n"
    outputs = {}
    for name, body in (("without", slides_without), ("with", slides_with), ("none", no_images)):
        root = write_tree(
            tmp_path / name,
            {
                "curriculum.yml": "title: G\nsource_language: en\nlanguages: [en]\n",
                "lessons/one/en.md": lesson(body, "One"),
                "lessons/one/box.svg": svg,
                "profiles/journalist.yml": "title: J\naudiences: [journalist]\n",
            },
        )
        outputs[name] = run("--curriculum", root, "check").output
    message = "the lesson has images but none of its slides shows one"
    assert f"one/en.md:17: warning: {message}" in outputs["without"]
    assert message not in outputs["with"] and message not in outputs["none"]
