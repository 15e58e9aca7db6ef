"""Audience variants: `::: only {audience=…}` keeps a passage, a slide, an activity or a
caution only in packs whose profile serves that audience; check knows the audiences and
holds translations to the same variant blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from support import build, lesson, run, write_tree
from support import html_text as support_html_text

from trainkit.loader import fingerprint

BODY = """\
## A story

Everyone reads this sentence.

::: only {audience=whrd}
Amina runs a helpline for women defenders; her stalker knows her car.
:::

::: only {audience=journalist}
Tomás edits a newspaper; a source calls him from a public phone.
:::

::: checklist
- Check the screen lock.

::: only {audience="whrd"}
::: caution
If someone at home checks your phone, a new lock screen may be noticed.
:::
:::

- Turn on backups.
:::

::: slides
## Shared slide
- For both

::: notes
Notes for both.
:::

::: only {audience=journalist}
## Newsroom slide
- Sources first

::: notes
Notes for the newsroom.
:::
:::
:::

::: only {audience=whrd}
::: activity {phase=activity minutes=10 group=pairs}
### Safety walk
1. Walk through the helpline's phone together.
:::
:::
"""

BODY_ES = """\
---
title: Una lección
summary: Una lección de las pruebas.
objectives:
  - Explicar una cosa.
source_fingerprint: {fingerprint}
---

## Una historia

Todo el mundo lee esta frase.

::: only {{audience=whrd}}
Amina lleva una línea de ayuda para defensoras; su acosador conoce su coche.
:::

::: only {{audience=journalist}}
Tomás edita un periódico; una fuente lo llama desde un teléfono público.
:::

::: checklist
- Revisa el bloqueo de pantalla.

::: only {{audience="whrd"}}
::: caution
Si alguien en casa revisa tu teléfono, puede notar una pantalla de bloqueo nueva.
:::
:::

- Activa las copias de seguridad.
:::

::: slides
## Diapositiva común
- Para ambos

::: notes
Notas para ambos.
:::

::: only {{audience=journalist}}
## Diapositiva de redacción
- Primero las fuentes

::: notes
Notas para la redacción.
:::
:::
:::

::: only {{audience=whrd}}
::: activity {{phase=activity minutes=10 group=pairs}}
### Paseo de seguridad
1. Revisen juntas el teléfono de la línea de ayuda.
:::
:::
"""


def curriculum(root: Path, body_es: str | None = None, body: str = BODY) -> Path:
    source = lesson(body, "A story lesson", audiences="journalist, whrd")
    files = {
        "curriculum.yml": "title: Variants\nsource_language: en\nlanguages: [en, es]\n",
        "lessons/story/en.md": source,
        "lessons/story/es.md": (body_es if body_es is not None else BODY_ES).format(fingerprint=fingerprint(source)),
        "profiles/whrd.yml": "title: Defenders\naudiences: [whrd]\n",
        "profiles/journalist.yml": "title: Journalists\naudiences: [journalist]\n",
        "profiles/everyone.yml": "title: Everyone\naudiences: [journalist, whrd]\n",
    }
    return write_tree(root / "curriculum", files)


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = curriculum(tmp_path_factory.mktemp("variants"))
    out = root.parent / "output"
    result = build(root, out, "--lang", "en", "--lang", "es")
    assert result.exit_code == 0, result.output
    return out


def pdf_text(path: Path) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(path).pages).replace("\n", " ")


def html_text(path: Path) -> str:
    return support_html_text(path.read_text(encoding="utf-8"))


WHRD = ("Amina runs a helpline", "a new lock screen may be noticed", "Safety walk")
JOURNALIST = ("Tomás edits a newspaper", "Newsroom slide", "Notes for the newsroom")
WHRD_ES = ("Amina lleva una línea", "una pantalla de bloqueo nueva", "Paseo de seguridad")
JOURNALIST_ES = ("Tomás edita un periódico", "Diapositiva de redacción", "Notas para la redacción")


@pytest.mark.parametrize(("lang", "whrd", "journalist"), [("en", WHRD, JOURNALIST), ("es", WHRD_ES, JOURNALIST_ES)])
def test_each_audience_gets_its_own_story_in_every_file(packs: Path, lang: str, whrd: tuple, journalist: tuple) -> None:  # type: ignore[type-arg]
    texts = {}
    for profile in ("whrd", "journalist", "everyone"):
        folder = packs / profile / lang
        texts[profile] = " ".join(
            [
                pdf_text(folder / "handout.pdf"),
                pdf_text(folder / "guide.pdf"),
                pdf_text(folder / "slides.pdf"),
                html_text(folder / "handout.html"),
                html_text(folder / "slides.html"),
            ]
        )
    for phrase in whrd:
        assert phrase in texts["whrd"] and phrase in texts["everyone"]
        assert phrase not in texts["journalist"]
    for phrase in journalist:
        assert phrase in texts["journalist"] and phrase in texts["everyone"]
        assert phrase not in texts["whrd"]
    shared = "Everyone reads this sentence" if lang == "en" else "Todo el mundo lee esta frase"
    assert all(shared in text for text in texts.values())


def test_slides_and_agenda_follow_the_variants(packs: Path) -> None:
    """The journalists' deck has one slide more; only the defenders' guide times the activity."""
    slides = {profile: len(PdfReader(packs / profile / "en" / "slides.pdf").pages) for profile in ("whrd", "journalist", "everyone")}
    assert slides["journalist"] == slides["whrd"] + 1 == slides["everyone"]
    guide = {profile: pdf_text(packs / profile / "en" / "guide.pdf") for profile in ("whrd", "journalist")}
    assert "Safety walk" in guide["whrd"] and "Safety walk" not in guide["journalist"]


def test_a_translation_must_keep_the_same_variant_blocks(tmp_path: Path) -> None:
    changed = BODY_ES.replace("::: only {{audience=journalist}}\nTomás", "::: only {{audience=whrd}}\nTomás")
    root = curriculum(tmp_path, changed)
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    lines = changed.format(fingerprint="x").split("\n")
    line = next(number for number, text in enumerate(lines) if text.startswith("Tomás edita"))  # the fence above it, 1-based
    assert f"es.md:{line}: the '::: only' blocks (whrd; whrd; whrd; journalist; whrd) differ from the source's" in result.output
    assert "keep every '::: only {audience=…}' block of the source" in result.output
    dropped = BODY_ES.replace(
        "::: only {{audience=whrd}}\nAmina lleva una línea de ayuda para defensoras; su acosador conoce su coche.\n:::\n", ""
    )
    result = run("--curriculum", curriculum(tmp_path / "b", dropped), "check")
    assert result.exit_code == 1 and "differ from the source's" in result.output


def check_one(tmp_path: Path, block: str, audiences: str):  # type: ignore[no-untyped-def]
    """`check` of a one-lesson curriculum whose body ends with `block` (on line 19)."""
    body = "## A story\n\nEveryone reads this.\n\n" + block
    root = write_tree(
        tmp_path / "curriculum",
        {
            "curriculum.yml": "title: Variants\nsource_language: en\nlanguages: [en]\n",
            "lessons/story/en.md": lesson(body, "A story lesson", audiences=audiences),
            "profiles/whrd.yml": "title: Defenders\naudiences: [whrd]\n",
        },
    )
    return run("--curriculum", root, "check")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("::: only {audience=whdr}\nText.\n:::\n", "'whdr' is not a known audience"),
        ("::: only\nText.\n:::\n", "'::: only' names no audience"),
        ("::: only {audience=whrd lang=es}\nText.\n:::\n", "unknown attribute 'lang' on '::: only'"),
        ("::: only {audience=journalist}\n::: only {audience=whrd}\nText.\n:::\n:::\n", "'::: only' cannot be inside another '::: only'"),
        ("::: only {audience=whrd}\nText that never ends.\n", "'::: only' is never closed"),
    ],
)
def test_check_reports_a_wrong_variant_block_where_it_is(tmp_path: Path, block: str, message: str) -> None:
    result = check_one(tmp_path, block, "journalist, whrd")
    assert result.exit_code == 1
    line = 20 if "inside another" in message else 19
    assert f"en.md:{line}: {message}" in result.output, result.output


def test_a_passage_for_an_audience_the_lesson_does_not_serve_is_a_warning(tmp_path: Path) -> None:
    result = check_one(tmp_path, "::: only {audience=journalist}\nNever shown.\n:::\n", "whrd")
    assert "en.md:19: warning: this passage is for 'journalist', but the lesson is not taught to that audience" in result.output
