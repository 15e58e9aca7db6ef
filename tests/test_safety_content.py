"""Content safety features: `::: caution` in every output, the caution-verb lint, the cast,
`verify:` claims and optional lessons — built into real packs and read back."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import EPOCH, run, write_tree

from trainkit.blocks import parse_body

CURRICULUM = "title: Test curriculum\nsource_language: en\nlanguages: [en, es, ar]\n"

LINKED = """\
---
title: Linked devices
summary: Check which computers read your messages.
topics: [encryption]
audiences: [journalist]
level: beginner
duration: 30
objectives:
  - Check the linked devices of a messaging app.
reviewed: 2026-01-01
review_by: 2099-01-01
verify:
  - claim: The linked-devices menu is under Settings.
    where: https://support.example.org/linked
---

## Check your devices

Grace keeps her phone with her.

1. Open Settings.
2. Tap Linked devices.

::: caution
If someone close to you linked a device, removing it can alert them. Plan with a specialist first.
:::

3. Remove any device you do not recognise.

::: checklist
- Look at the list of linked devices.

::: caution
Removing a device you did not link can alert the person who did.
:::

- Remove devices you do not recognise.
:::

::: slides
## Linked devices
- Every linked device reads your chats

::: caution
Plan before you remove a device.
:::

::: notes
Show the menu on the demo phone.
:::
:::

::: activity {phase=activity minutes=10 group=pairs}
### Spot the extra device
1. Give each pair a printed list of devices (10 minutes).

::: caution
Use the printed lists only; nobody opens their own phone.
:::
:::
"""

LINKED_ES = """\
---
title: Dispositivos vinculados
summary: Comprueba qué computadoras leen tus mensajes.
objectives:
  - Revisar los dispositivos vinculados de una app de mensajería.
verify:
  - claim: El menú de dispositivos vinculados está en Ajustes.
    where: https://support.example.org/linked
source_fingerprint: {fingerprint}
---

## Revisa tus dispositivos

Graciela lleva su teléfono consigo.

1. Abre Ajustes.
2. Toca Dispositivos vinculados.

::: caution
Si alguien cercano vinculó un dispositivo, quitarlo puede alertarle. Planifica primero con una persona especialista.
:::

3. Quita cualquier dispositivo que no reconozcas.

::: checklist
- Mira la lista de dispositivos vinculados.

::: caution
Quitar un dispositivo que no vinculaste puede alertar a quien lo hizo.
:::

- Quita los dispositivos que no reconozcas.
:::

::: slides
## Dispositivos vinculados
- Cada dispositivo vinculado lee tus chats

::: caution
Planifica antes de quitar un dispositivo.
:::

::: notes
Muestra el menú en el teléfono de demostración.
:::
:::

::: activity {{phase=activity minutes=10 group=pairs}}
### Encuentra el dispositivo de más
1. Da a cada pareja una lista impresa de dispositivos (10 minutos).

::: caution
Usa solo las listas impresas; nadie abre su propio teléfono.
:::
:::
"""

EXTRA = """\
---
title: Extra practice
summary: More practice for a long workshop.
topics: [encryption]
audiences: [journalist]
level: beginner
duration: 20
objectives:
  - Practise once more.
reviewed: 2026-01-01
review_by: 2099-01-01
---

Practice text.
"""

PERSONAS_EN = """\
grace:
  name: Grace
  audience: whrd
  about: A caseworker at a legal-aid centre.
rosa:
  name: Rosa
  about: A network coordinator.
"""
PERSONAS_ES = "grace:\n  name: Graciela\n  about: Trabajadora de casos en un centro de asistencia legal.\n"
PERSONAS_AR = "grace:\n  name: غريس\n  about: مسؤولة حالات في مركز للمساعدة القانونية.\n"

PROFILE = "title: Journalists\naudiences: [journalist]\noptional: [extra-practice]\ntime_budget: 120\n"


def files(**overrides: str) -> dict[str, str]:
    tree = {
        "curriculum.yml": CURRICULUM,
        "lessons/linked-devices/en.md": LINKED,
        "lessons/extra-practice/en.md": EXTRA,
        "profiles/journalist.yml": PROFILE,
        "personas/en.yml": PERSONAS_EN,
        "personas/es.yml": PERSONAS_ES,
        "personas/ar.yml": PERSONAS_AR,
    }
    tree.update(overrides)
    return tree


def fingerprint_of(root: Path) -> str:
    from trainkit.loader import load_curriculum

    curriculum, _ = load_curriculum(root)
    assert curriculum is not None
    return curriculum.lessons["linked-devices"].fingerprint


def with_translation(root: Path) -> Path:
    """Add the Spanish translation (current) and an Arabic copy of it."""
    text = LINKED_ES.format(fingerprint=fingerprint_of(root))
    (root / "lessons/linked-devices/es.md").write_text(text, encoding="utf-8")
    arabic = text.replace("Dispositivos vinculados", "الأجهزة المرتبطة").replace("Quitar", "إزالة")
    (root / "lessons/linked-devices/ar.md").write_text(arabic, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """One build of every language, read back by the tests below."""
    base = tmp_path_factory.mktemp("safety")
    root = with_translation(write_tree(base / "curriculum", files()))
    result = run("--curriculum", root, "build", "--out", base / "out", env=EPOCH)
    assert result.exit_code == 0, result.output
    return base / "out" / "journalist"


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


class Cautions(HTMLParser):
    """Collects each caution box's text and the slide (section id) it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: list[dict[str, str]] = []
        self.depth = 0
        self.slide = ""

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        attributes = dict(attrs)
        if tag == "section" and (attributes.get("id") or "").startswith("slide-"):
            self.slide = attributes["id"] or ""
        if self.depth:
            if tag == "div":
                self.depth += 1
        elif tag == "div" and attributes.get("class") == "caution":
            self.depth = 1
            self.boxes.append({"role": attributes.get("role") or "", "slide": self.slide, "text": ""})

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.depth:
            self.boxes[-1]["text"] += " " + data


def cautions_in(html: str) -> list[dict[str, str]]:
    parser = Cautions()
    parser.feed(html)
    return parser.boxes


# --- the parser -------------------------------------------------------------------------


def test_a_caution_stays_where_it_is_written_and_is_recorded_with_its_section():
    body, problems = parse_body(LINKED.split("---\n", 2)[2], Path("en.md"), 20)
    assert problems == []
    containers = [(c.container, c.markdown.split()[0]) for c in body.cautions]
    assert containers == [("participant", "If"), ("checklist", "Removing"), ("slides", "Plan"), ("activity", "Use")]
    participant = body.cautions[0]
    step = next(s for s in body.steps if s.text.startswith("Remove any"))
    assert (participant.container, participant.section) == (step.container, step.section)
    assert body.participant.index("If someone close") < body.participant.index("3. Remove any device")
    assert "Plan before you remove" in body.slides[0].markdown
    assert "nobody opens their own phone" in body.activities[0].markdown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("::: keypoints\n- A point\n\n::: caution\nCareful.\n:::\n:::\n", "'::: caution' cannot be inside '::: keypoints'"),
        ("::: slides\n## S\n- x\n\n::: notes\nN\n\n::: caution\nC\n:::\n:::\n:::\n", "'::: caution' cannot be inside '::: notes'"),
        ("::: caution\nOuter\n\n::: caution\nInner\n:::\n:::\n", "'::: caution' cannot be inside '::: caution'"),
        ("Text\n\n::: caution\nNever closed.\n", "'::: caution' is never closed"),
    ],
)
def test_misplaced_or_unclosed_cautions_are_errors(text, message):
    _, problems = parse_body(text, Path("en.md"), 1)
    assert any(message in p.message for p in problems), [p.message for p in problems]


# --- the caution-verb lint --------------------------------------------------------------

RISKY = """\
---
title: Risky
summary: Steps that can alert someone.
topics: [encryption]
audiences: [journalist]
level: beginner
duration: 30
objectives:
  - Do it safely.
reviewed: 2026-01-01
review_by: 2099-01-01
---

## Location

1. Open the map.
2. {step}

## Screens

1. Screen security blocks screenshots, and the app is blocked in some countries.

::: checklist
- {item}
:::
"""


def check(root: Path, *args: str):
    return run("--curriculum", root, "check", *args)


@pytest.mark.parametrize(
    "step",
    [
        "Turn off location sharing.",
        "Sign out of every other session.",
        "Remove the app.",
        "Turn it off in Settings.",
        "Delete your history.",
    ],
)
def test_a_risky_step_without_a_caution_warns_at_its_line(tmp_path, step):
    root = write_tree(tmp_path / "c", {**files(), "lessons/risky/en.md": RISKY.format(step=step, item="Write it down.")})
    result = check(root)
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if "has no '::: caution'" in line]
    assert len(lines) == 1, result.output
    assert re.search(r"lessons/risky/en\.md:17: warning: this step says '[^']+' but its section has no '::: caution'", lines[0])
    assert check(root, "--strict").exit_code == 1


def test_a_risky_checklist_item_warns_and_descriptions_do_not(tmp_path):
    root = write_tree(
        tmp_path / "c", {**files(), "lessons/risky/en.md": RISKY.format(step="Read it.", item="Factory reset the old phone.")}
    )
    output = check(root).output
    assert "risky/en.md:24: warning: this step says 'Factory reset' but its checklist has no '::: caution'" in output
    assert "blocks" not in output and "blocked" not in output


def test_a_caution_in_the_same_section_satisfies_the_lint(tmp_path):
    guarded = RISKY.format(step="Turn off location sharing.", item="Remove the app.")
    guarded = guarded.replace(
        "1. Open the map.", "::: caution\nTurning sharing off can alert the person who sees it.\n:::\n\n1. Open the map."
    )
    guarded = guarded.replace("::: checklist\n", "::: checklist\n::: caution\nDeleting an app can alert whoever installed it.\n:::\n\n")
    root = write_tree(tmp_path / "c", {**files(), "lessons/risky/en.md": guarded})
    result = check(root)
    assert "caution" not in result.output, result.output
    assert result.exit_code == 0, result.output


def test_a_caution_in_another_section_does_not_count(tmp_path):
    text = RISKY.format(step="Turn off location sharing.", item="Read it.")
    text = text.replace("## Screens\n", "## Screens\n\n::: caution\nUnrelated.\n:::\n")
    root = write_tree(tmp_path / "c", {**files(), "lessons/risky/en.md": text})
    assert "risky/en.md:17: warning: this step says 'Turn off'" in check(root).output


def test_the_verbs_come_from_curriculum_yml(tmp_path):
    text = RISKY.format(step="Wipe the phone remotely.", item="Remove the app.")
    tree = {**files(), "lessons/risky/en.md": text, "curriculum.yml": CURRICULUM + "caution_verbs: [wipe]\n"}
    output = check(write_tree(tmp_path / "c", tree)).output
    assert "this step says 'Wipe'" in output
    assert "'Remove'" not in output


def test_a_translation_that_drops_a_caution_warns(tmp_path):
    root = with_translation(write_tree(tmp_path / "c", files()))
    spanish = root / "lessons/linked-devices/es.md"
    text = spanish.read_text(encoding="utf-8")
    spanish.write_text(text.replace("::: caution\nPlanifica antes de quitar un dispositivo.\n:::\n", ""), encoding="utf-8")
    output = check(root).output
    assert "es.md: warning: 3 '::: caution' blocks, but the source has 4" in output


# --- cautions in every output -----------------------------------------------------------


def test_the_handout_html_shows_every_participant_caution_labelled(pack):
    html = (pack / "en" / "handout.html").read_text(encoding="utf-8")
    boxes = cautions_in(html)
    texts = [" ".join(box["text"].split()) for box in boxes]
    assert len(boxes) == 2, texts  # participant text and checklist; slides and activities are not in the handout
    assert all(box["role"] == "note" and t.startswith("Caution ") for box, t in zip(boxes, texts, strict=True))
    assert texts[0].endswith("Plan with a specialist first.")
    assert '<ol start="3" style="counter-reset: list-item 2">' in html  # the steps after the box keep their numbers


def test_the_handout_pdf_prints_the_boxes_before_their_steps(pack):
    text = pdf_text(pack / "en" / "handout.pdf")
    assert text.count("CAUTION") == 2
    assert text.index("removing it can alert them") < text.index("Remove any device you do not recognise")
    assert "3. " in text  # the steps after the box keep their numbers in print too
    last = PdfReader(pack / "en" / "handout.pdf").pages[-1].extract_text()
    assert "Look at the list of linked devices." in last and "CAUTION" not in last  # its first step needs no warning


def test_the_slide_carries_its_caution(pack):
    html = (pack / "en" / "slides.html").read_text(encoding="utf-8")
    boxes = cautions_in(html)
    assert len(boxes) == 1
    assert boxes[0]["slide"] == "slide-4" and "Plan before you remove a device." in boxes[0]["text"]
    assert "CAUTION" in pdf_text(pack / "en" / "slides.pdf")


def test_the_guide_lists_the_warnings_and_shows_the_activity_caution(pack):
    text = pdf_text(pack / "en" / "guide.pdf")
    preparation = text[text.index("Preparation") :]
    for warning_text in ("removing it can alert them", "you did not link can alert", "Plan before you remove a device"):
        assert warning_text in preparation
    assert "nobody opens their own phone" in text
    assert text.count("CAUTION") >= 4


def test_cautions_are_translated_labelled_and_right_to_left(pack):
    spanish = (pack / "es" / "handout.html").read_text(encoding="utf-8")
    assert [" ".join(b["text"].split()).split()[0] for b in cautions_in(spanish)] == ["Precaución", "Precaución"]
    assert "PRECAUCIÓN" in pdf_text(pack / "es" / "handout.pdf")
    arabic = (pack / "ar" / "handout.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*dir="rtl"', arabic)
    assert all("تنبيه" in box["text"] for box in cautions_in(arabic))
    assert "تنبيه" in pdf_text(pack / "ar" / "handout.pdf")


# --- verify:, the cast, optional lessons -----------------------------------------------


def test_the_guide_prints_the_claims_to_verify_in_the_lesson_preparation(pack):
    english = pdf_text(pack / "en" / "guide.pdf")
    preparation = english[english.index("Preparation") :]
    assert "The linked-devices menu is under Settings." in preparation
    assert "https://support.example.org/linked" in preparation
    spanish = pdf_text(pack / "es" / "guide.pdf")
    assert "El menú de dispositivos vinculados está en Ajustes." in spanish


def test_a_translation_must_keep_the_places_to_verify(tmp_path):
    root = with_translation(write_tree(tmp_path / "c", files()))
    spanish = root / "lessons/linked-devices/es.md"
    spanish.write_text(spanish.read_text(encoding="utf-8").replace("support.example.org/linked", "example.net"), encoding="utf-8")
    assert "'verify' does not match the source" in check(root).output


def test_the_guide_prints_the_people_of_the_cast_who_appear(pack):
    english = pdf_text(pack / "en" / "guide.pdf")
    cast = english[english.index("The people in the stories") :]
    assert "Grace" in cast and "A caseworker at a legal-aid centre." in cast
    assert "Rosa" not in english  # in the cast, but in no lesson of this pack
    assert "Graciela" in pdf_text(pack / "es" / "guide.pdf")


def test_a_name_that_is_not_in_the_cast_warns_at_its_line(tmp_path):
    text = LINKED.replace(
        "Grace keeps her phone with her.", "Grace keeps her phone with her.\n\nZed is a reporter. Later, Zed's editor calls."
    )
    root = write_tree(tmp_path / "c", {**files(), "lessons/linked-devices/en.md": text})
    output = check(root).output
    assert re.search(r"linked-devices/en\.md:\d+: warning: 'Zed' looks like a person's name but is not in the cast", output), output
    assert "'Grace'" not in output and "'Later'" not in output
    named = write_tree(
        tmp_path / "d", {**files(), "lessons/linked-devices/en.md": text, "curriculum.yml": CURRICULUM + "not_names: [Zed]\n"}
    )
    assert "Zed" not in check(named).output


def test_a_persona_translation_of_someone_not_in_the_cast_is_an_error(tmp_path):
    root = write_tree(tmp_path / "c", {**files(), "personas/es.yml": PERSONAS_ES + "zoe:\n  name: Zoe\n  about: Nadie.\n"})
    result = check(root)
    assert result.exit_code == 1
    assert "personas/es.yml:4: 'zoe' is not in the cast (en.yml)" in result.output


def test_optional_lessons_stay_out_of_the_agenda_and_are_listed_in_the_guide(pack):
    manifest = json.loads((pack / "en" / "manifest.json").read_text(encoding="utf-8"))
    assert [lesson["id"] for lesson in manifest["lessons"]] == ["linked-devices"]
    guide = pdf_text(pack / "en" / "guide.pdf")
    optional = guide[guide.index("Optional lessons") :]
    assert "Extra practice" in optional and "extra-practice" in optional


def test_a_workshop_file_adds_an_optional_lesson(tmp_path):
    root = write_tree(tmp_path / "c", files())
    workshop = tmp_path / "long.yml"
    workshop.write_text("profile: journalist\nadd: [extra-practice]\n", encoding="utf-8")
    result = run(
        "--curriculum", root, "build", "--workshop", workshop, "--lang", "en", "--format", "guide", "--out", tmp_path / "out", env=EPOCH
    )
    assert result.exit_code == 0, result.output
    manifest = next((tmp_path / "out").rglob("manifest.json"))
    assert [lesson["id"] for lesson in json.loads(manifest.read_text())["lessons"]] == ["extra-practice", "linked-devices"]


def test_an_optional_lesson_that_others_build_on_warns(tmp_path):
    needs = EXTRA.replace("title: Extra practice", "title: Needs it").replace(
        "duration: 20", "duration: 20\nprerequisites: [extra-practice]"
    )
    root = write_tree(tmp_path / "c", {**files(), "lessons/needs-it/en.md": needs})
    assert "'extra-practice' is optional, but 'needs-it' builds on it, so it is always in the pack" in check(root).output


def test_an_unknown_optional_lesson_is_an_error(tmp_path):
    root = write_tree(tmp_path / "c", {**files(), "profiles/journalist.yml": PROFILE.replace("extra-practice", "extra-practise")})
    result = check(root)
    assert result.exit_code == 1
    assert "unknown lesson 'extra-practise' in optional" in result.output


def test_a_review_due_within_30_days_warns(tmp_path, monkeypatch):
    import trainkit.cli

    monkeypatch.setattr(trainkit.cli, "today", lambda: dt.date(2098, 12, 20))
    root = write_tree(tmp_path / "c", files())
    assert "due for review on 2099-01-01" in check(root).output


def test_a_checklist_caution_belongs_to_the_item_after_it():
    from trainkit.blocks import CAUTION_CLOSE, CAUTION_OPEN
    from trainkit.markup import list_items

    text = f"- First\n\n{CAUTION_OPEN}\n\nIt can *alert* them.\n\n{CAUTION_CLOSE}\n\n- Second\n- Third"
    items = list_items(text)
    assert [(i.html, bool(i.caution)) for i in items] == [("First", False), ("Second", True), ("Third", False)]
    assert items[1].caution == "<p>It can <em>alert</em> them.</p>"


def test_a_place_to_verify_that_is_not_an_address_is_printed_not_linked(tmp_path):
    text = LINKED.replace("    where: https://support.example.org/linked", "    where: javascript:alert(1)")
    root = write_tree(tmp_path / "c", {**files(), "lessons/linked-devices/en.md": text})
    result = run("--curriculum", root, "build", "--lang", "en", "--format", "guide", "--out", tmp_path / "out", env=EPOCH)
    assert result.exit_code == 0, result.output
    reader = PdfReader(tmp_path / "out/journalist/en/guide.pdf")
    assert "javascript:alert(1)" in "".join(page.extract_text() for page in reader.pages)
    uris = [str(a.get_object()["/A"].get("/URI", "")) for page in reader.pages for a in page.get("/Annots") or [] if "/A" in a.get_object()]
    assert not any(uri.startswith("javascript") for uri in uris)
