"""Fillable worksheets: `::: worksheet {id=…}` becomes real form fields in the PDF handout
and in worksheets.pdf, a printable form on screen that keeps and sends nothing, with
labels translated and ids not; check holds authors and translators to the syntax."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from support import build, lesson, run, write_tree

from trainkit.loader import fingerprint
from trainkit.segments import segment_file

WORKSHEET = """\
## Why plan

Some text before the worksheet.

::: worksheet {id=security-plan}
### My security plan

Fill this in on your own.

- [line id=name] A name for this plan
- [lines id=protect rows=5] What do I need to protect?
- [check id=backup] I have a backup of my contacts
- [table id=contacts rows=3] People I can call
    - Name
    - How to reach them
:::
"""

WORKSHEET_AR = """\
---
title: التخطيط
summary: خطة.
objectives:
  - وضع خطة.
source_fingerprint: {fingerprint}
---

## لماذا نخطط

نص قبل ورقة العمل.

::: worksheet {{id=security-plan}}
### خطتي للأمان

املئيها وحدك.

- [line id=name] اسم لهذه الخطة
- [lines id=protect rows=5] ما الذي أحتاج إلى حمايته؟
- [check id=backup] لدي نسخة احتياطية من جهات الاتصال
- [table id=contacts rows=3] أشخاص يمكنني الاتصال بهم
    - الاسم
    - كيف أصل إليهم
:::
"""


def curriculum(root: Path, translation: str = WORKSHEET_AR, extra: dict[str, str] | None = None) -> Path:
    source = lesson(WORKSHEET, "Planning", audiences="whrd")
    return write_tree(
        root / "curriculum",
        {
            "curriculum.yml": "title: Worksheets\nsource_language: en\nlanguages: [en, ar]\n",
            "lessons/plan/en.md": source,
            "lessons/plan/ar.md": translation.format(fingerprint=fingerprint(source)),
            "lessons/other/en.md": lesson("## Other\n\nA lesson with no worksheet.\n", "Other", audiences="whrd"),
            "profiles/whrd.yml": "title: Defenders\naudiences: [whrd]\n",
            **(extra or {}),
        },
    )


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = curriculum(tmp_path_factory.mktemp("worksheets"))
    result = build(root, root.parent / "output")
    assert result.exit_code == 0, result.output
    return root.parent / "output" / "whrd"


OPEN: list[pikepdf.Pdf] = []  # the files fields() read stay open: their objects die with them


def fields(path: Path) -> dict[str, pikepdf.Dictionary]:
    pdf = pikepdf.open(path)
    OPEN.append(pdf)
    found = {str(field.T): field for field in pdf.Root.AcroForm.Fields}
    widgets = {a.objgen for page in pdf.pages for a in page.obj.get("/Annots", ()) if a.get("/Subtype") == "/Widget"}
    assert {field.objgen for field in found.values()} == widgets  # every field is on a page, every widget is a field
    return found


NAMES = {
    "security-plan-name",
    "security-plan-protect",
    "security-plan-backup",
    *(f"security-plan-contacts-{row}-{column}" for row in (1, 2, 3) for column in (1, 2)),
}


@pytest.mark.parametrize("name", ["handout.pdf", "worksheets.pdf"])
@pytest.mark.parametrize(("lang", "label"), [("en", "What do I need to protect?"), ("ar", "ما الذي أحتاج إلى حمايته؟")])
def test_the_pdf_worksheet_is_a_real_form_with_translated_labels_and_stable_names(packs: Path, name: str, lang: str, label: str) -> None:
    found = fields(packs / lang / name)
    assert set(found) == NAMES  # ids, never translated
    assert found["security-plan-name"].FT == "/Tx"
    assert found["security-plan-protect"].FT == "/Tx" and int(found["security-plan-protect"].Ff) & (1 << 12)  # multiline
    assert found["security-plan-backup"].FT == "/Btn"
    assert str(found["security-plan-protect"].TU) == label  # what a screen reader and a form filler call the field
    pdf = pikepdf.open(packs / lang / name)
    assert pdf.Root.AcroForm.NeedAppearances is True
    fonts = pdf.Root.AcroForm.DR.Font
    for field in found.values():
        if field.FT == "/Tx":
            font = re.search(r"/(\S+) [\d.]+ Tf", str(field.DA))
            assert font and f"/{font.group(1)}" in fonts  # the font its text is typed in is in the form's resources
    forms = [node for node in _elements(pdf) if node.S == "/Form"]
    assert len(forms) == len(NAMES)  # each field is in the structure tree


def _elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found, stack = [], [pdf.Root.StructTreeRoot.K[0]]
    while stack:
        node = stack.pop()
        found.append(node)
        kids = node.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                stack.append(kid)
    return found


def test_a_filled_worksheet_keeps_its_answers_when_saved(packs: Path, tmp_path: Path) -> None:
    """What a PDF reader does when a participant types and saves: the values stay in the file."""
    pdf = pikepdf.open(packs / "en" / "worksheets.pdf")
    answers = {"security-plan-name": "Plan A", "security-plan-contacts-2-1": "Nadia"}
    for field in pdf.Root.AcroForm.Fields:
        if str(field.T) in answers:
            field.V = pikepdf.String(answers[str(field.T)])
    pdf.save(tmp_path / "filled.pdf")
    filled = pikepdf.open(tmp_path / "filled.pdf")
    again = {str(f.T): str(f.get("/V", "")) for f in filled.Root.AcroForm.Fields}
    assert {name: again[name] for name in answers} == answers


def test_worksheets_pdf_holds_every_worksheet_of_the_pack_and_prints_blank(packs: Path) -> None:
    reader = PdfReader(packs / "en" / "worksheets.pdf")
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "My security plan" in text and "Fill this in on your own." in text
    assert "From the lesson “Planning”" in text
    assert "A lesson with no worksheet" not in text
    assert all(not str(field.get("/V", "")) for field in fields(packs / "en" / "worksheets.pdf").values() if field.FT == "/Tx")
    handout = PdfReader(packs / "en" / "handout.pdf")
    page = next(i for i, p in enumerate(handout.pages) if "My security plan" in p.extract_text())
    assert "Some text before the worksheet." not in handout.pages[page].extract_text()  # it starts a page of its own in print


# Where a font's own cmap maps its glyphs: Latin ligatures and Arabic presentation forms.
PRESENTATION_FORMS = [(0xFB00, 0xFDFF), (0xFE70, 0xFEFF)]


@pytest.mark.parametrize("name", ["handout.pdf", "worksheets.pdf"])
@pytest.mark.parametrize(
    ("lang", "phrases"),
    [
        ("en", ["Fill this in on your own.", "I have a backup of my contacts"]),
        # lam-alef ligatures (للأمان, الاتصال), and the letters' joined forms everywhere
        ("ar", ["خطتي للأمان", "املئيها وحدك.", "لدي نسخة احتياطية من جهات الاتصال"]),
    ],
)
def test_the_text_of_a_page_with_fields_reads_back_as_written(packs: Path, name: str, lang: str, phrases: list[str]) -> None:
    """The font the fields use is the text's own. WeasyPrint embeds it whole and mapped its
    glyphs back to text from the font's cmap, not from what it drew: Arabic read back as
    presentation forms with every lam-alef lost, for copying, search and screen readers."""
    text = "".join(page.extract_text() for page in PdfReader(packs / lang / name).pages)
    assert [c for c in text if any(low <= ord(c) <= high for low, high in PRESENTATION_FORMS)] == []
    for phrase in phrases:
        assert phrase in text


def test_a_pack_without_worksheets_has_no_worksheets_pdf(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "curriculum",
        {
            "curriculum.yml": "title: None\nsource_language: en\nlanguages: [en]\n",
            "lessons/other/en.md": lesson("## Other\n\nNo worksheet.\n", "Other", audiences="whrd"),
            "profiles/whrd.yml": "title: Defenders\naudiences: [whrd]\n",
        },
    )
    assert build(root, tmp_path / "out").exit_code == 0
    assert not (tmp_path / "out" / "whrd" / "en" / "worksheets.pdf").exists()
    assert (tmp_path / "out" / "whrd" / "en" / "handout.pdf").exists()


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_screen_worksheet_is_labelled_and_keeps_and_sends_nothing(packs: Path, lang: str) -> None:
    html = (packs / lang / "handout.html").read_text(encoding="utf-8")
    parser = _Form()
    parser.feed(html)
    tags = parser.tags
    assert not any(tag == "form" for tag, _ in tags)  # nothing to submit
    csp = next(attrs["content"] for tag, attrs in tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert "form-action 'none'" in (csp or "")
    inputs = [attrs for tag, attrs in tags if tag in ("input", "textarea")]
    assert {attrs["name"] for attrs in inputs} == NAMES
    labels = {attrs["for"] for tag, attrs in tags if tag == "label"}
    for attrs in inputs:
        assert attrs.get("id") in labels or attrs.get("title")  # every field has a name a screen reader reads
        assert attrs.get("autocomplete") == "off" or attrs.get("type") == "checkbox"


def test_field_labels_are_translated_in_catalogs_and_the_field_syntax_is_not(tmp_path: Path) -> None:
    root = curriculum(tmp_path)
    segmented = segment_file((root / "lessons/plan/en.md").read_text(encoding="utf-8"), root / "lessons/plan/en.md")
    texts = [segment.text for segment in segmented.segments]
    assert "A name for this plan" in texts and "How to reach them" in texts
    assert not any("[line" in text or "id=" in text for text in texts)
    exported = run("--curriculum", root, "translate", "export", "ar")
    assert exported.exit_code == 0, exported.output
    catalog = (root / "po" / "ar" / "plan.po").read_text(encoding="utf-8")
    assert 'msgid "A name for this plan"' in catalog and 'msgstr "اسم لهذه الخطة"' in catalog


@pytest.mark.parametrize(
    ("worksheet", "line", "message"),
    [
        ("::: worksheet\n### T\n\n- [line id=a] A\n:::\n", 19, "a worksheet has no id"),
        ("::: worksheet {id=Plan_1}\n### T\n\n- [line id=a] A\n:::\n", 19, "worksheet id 'Plan_1' is not a plain id"),
        ("::: worksheet {id=p}\nNo title.\n\n- [line id=a] A\n:::\n", 20, "a worksheet starts with a '### Title' line"),
        ("::: worksheet {id=p}\n### T\n\n- [lnie id=a] A\n:::\n", 22, "'lnie' is not a kind of worksheet field"),
        ("::: worksheet {id=p}\n### T\n\n- [lines id=a rows=99] A\n:::\n", 22, "rows must be a whole number from 1 to 30 (found '99')"),
        ("::: worksheet {id=p}\n### T\n\n- [check id=a rows=2] A\n:::\n", 22, "a 'check' field takes no rows"),
        ("::: worksheet {id=p}\n### T\n\n- [line id=a] A\n- [line id=a] B\n:::\n", 23, "two fields of this worksheet are called 'a'"),
        ("::: worksheet {id=p}\n### T\n\n- [line id=a]\n:::\n", 22, "a worksheet field has no label"),
        ("::: worksheet {id=p}\n### T\n\n- [table id=t] People\n:::\n", 22, "a table field has 0 columns (it takes 1 to 6)"),
        ("::: worksheet {id=p}\n### T\n\n- [line id=a] A\n\nMore text.\n:::\n", 24, "text after a worksheet's fields"),
        ("::: worksheet {id=p}\n### T\n\nOnly words.\n:::\n", 19, "a worksheet has no fields"),
        (
            "::: slides\n## S\n\n::: worksheet {id=p}\n### T\n- [line id=a] A\n:::\n:::\n",
            22,
            "'::: worksheet' cannot be inside '::: slides'",
        ),
    ],
)
def test_check_names_each_worksheet_mistake_where_it_is(tmp_path: Path, worksheet: str, line: int, message: str) -> None:
    root = write_tree(
        tmp_path / "curriculum",
        {
            "curriculum.yml": "title: W\nsource_language: en\nlanguages: [en]\n",
            "lessons/plan/en.md": lesson("## Plan\n\nText.\n\n" + worksheet, "Planning", audiences="whrd"),
            "profiles/whrd.yml": "title: Defenders\naudiences: [whrd]\n",
        },
    )
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    assert f"en.md:{line}: {message}" in result.output, result.output


def test_a_worksheet_id_belongs_to_one_lesson(tmp_path: Path) -> None:
    again = "## Again\n\n::: worksheet {id=security-plan}\n### Another\n\n- [line id=x] X\n:::\n"
    root = curriculum(tmp_path, extra={"lessons/again/en.md": lesson(again, "Again", audiences="whrd")})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "plan/en.md:19: worksheet id 'security-plan' is already used by lesson 'again'" in result.output  # lessons in id order


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[line id=name]", "[line id=nombre]"), "worksheet 'security-plan' has other fields than the source's"),
        (("rows=5", "rows=2"), "worksheet 'security-plan' has other fields than the source's"),
        (("    - كيف أصل إليهم\n", ""), "worksheet 'security-plan' has other fields than the source's"),
        (("{{id=security-plan}}", "{{id=my-plan}}"), "the source has no worksheet 'my-plan'"),
    ],
)
def test_a_translation_keeps_the_worksheet_and_changes_only_words(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    translation = WORKSHEET_AR.replace(*change)
    assert translation != WORKSHEET_AR
    result = run("--curriculum", curriculum(tmp_path, translation), "check")
    assert result.exit_code == 1
    assert re.search(r"plan/ar\.md:\d+: " + re.escape(message), result.output), result.output


@pytest.mark.parametrize("name", ["handout.pdf", "worksheets.pdf"])
def test_the_pdf_form_can_send_nothing(packs: Path, name: str) -> None:
    """No field submits, runs a script or opens an address: a filled sheet stays in the file."""
    pdf = pikepdf.open(packs / "en" / name)
    for field in pdf.Root.AcroForm.Fields:
        assert "/A" not in field and "/AA" not in field
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary):
            assert obj.get("/S") not in (pikepdf.Name.SubmitForm, pikepdf.Name.JavaScript, pikepdf.Name.Launch, pikepdf.Name.ImportData)
    assert "/JavaScript" not in pdf.Root.get("/Names", pikepdf.Dictionary())
