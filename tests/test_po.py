"""gettext catalogs per lesson (`translate export` / `translate import`): one entry per segment,
a round trip that keeps every block, link and word, fuzzy entries exactly where the source
changed, catalogs that GNU tools accept and re-wrap, and no link swapped through a PO editor."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import build, lesson, run, write_tree

from trainkit.loader import load_curriculum
from trainkit.localize import localize_lesson

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("title", "summary", "objectives", "materials", "participant", "keypoints", "checklist", "facilitator", "slides", "activities")


def catalog(path: Path):  # type: ignore[no-untyped-def]
    return read_po(io.BytesIO(path.read_bytes()))


def entries(path: Path) -> list:
    return [message for message in catalog(path) if message.id]


def views(root: Path, lesson_id: str, lang: str) -> dict[str, str]:
    """What a pack shows of a lesson in `lang`, whitespace made even."""
    curriculum, problems = load_curriculum(root)
    assert curriculum is not None, problems
    view = localize_lesson(curriculum.lessons[lesson_id], lang)
    return {name: re.sub(r"(?:\s|\\n)+", " ", str(getattr(view, name))).strip() for name in FIELDS}  # reprs escape their newlines


def copy_of_ours(tmp_path: Path) -> Path:
    root = tmp_path / "curriculum"
    shutil.copytree(ROOT / "curriculum", root)
    return root


def fill(path: Path, change=lambda message: message.id) -> None:  # type: ignore[no-untyped-def]
    """Translate every entry of a catalog as a PO editor would, and save it."""
    data = catalog(path)
    for message in data:
        if message.id:
            message.string = change(message)
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, data, width=60)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The shipped curriculum with its Spanish and Arabic exported to po/."""
    root = copy_of_ours(tmp_path_factory.mktemp("shipped"))
    for lang in ("es", "ar"):
        result = run("--curriculum", root, "translate", "export", lang)
        assert result.exit_code == 0, result.output
    return root


def test_exporting_the_shipped_translations_gives_complete_catalogs_that_gnu_tools_accept(exported):
    for lang in ("es", "ar"):
        catalogs = sorted((exported / "po" / lang).glob("*.po"))
        assert len(catalogs) == len(list((exported / "lessons").iterdir())) == 20
        for path in catalogs:
            found = entries(path)
            assert found and all(m.string and not m.fuzzy for m in found), path.name
            assert all(m.context for m in found) and len({m.context for m in found}) == len(found)
            assert dict(catalog(path).mime_headers)["Language"] == lang
            checked = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(path)], capture_output=True, text=True)
            assert checked.returncode == 0, checked.stderr
    kinds = {comment for path in (exported / "po").glob("*.pot") for m in entries(path) for comment in m.auto_comments}
    assert {"lesson title", "objective", "slide title", "slide bullet", "speaker note", "checklist item", "key point"} <= kinds
    assert {"activity title", "activity step", "facilitator paragraph", "table cell", "heading", "paragraph"} <= kinds
    assert any(k.startswith("caution") for k in kinds)
    # Inline Markdown stays inside its entry.
    template = entries(exported / "po" / "secure-messaging.pot")
    assert any("**" in m.id for m in template) and any(re.search(r"\[[^\]]+\]\(https://", m.id) for m in template)


def test_importing_the_exported_catalogs_gives_back_the_same_lessons(exported, tmp_path):
    root = tmp_path / "again"
    shutil.copytree(exported, root)
    for lang in ("es", "ar"):
        result = run("--curriculum", root, "translate", "import", lang, *sorted((root / "po" / lang).glob("*.po")))
        assert result.exit_code == 0, result.output
        assert "(partial" not in result.output
    assert run("--curriculum", root, "check").exit_code == 0
    for lesson_id in ("threat-modeling", "why-pseudonyms", "documenting-abuse-as-evidence", "secure-messaging"):
        for lang in ("es", "ar"):
            assert views(root, lesson_id, lang) == views(ROOT / "curriculum", lesson_id, lang), (lesson_id, lang)


def test_a_catalog_rewrapped_reordered_and_recommented_by_other_tools_still_imports(exported, tmp_path):
    root = tmp_path / "tools"
    shutil.copytree(exported, root)
    po = root / "po" / "es" / "metadata.po"
    subprocess.run(["msgcat", "--sort-output", "-w", "33", "-o", str(po), str(po)], check=True)
    text = po.read_text(encoding="utf-8").replace("#. paragraph", "#. a paragraph (Lokalize)")
    po.write_text(text, encoding="utf-8")
    assert run("--curriculum", root, "translate", "import", "es", po).exit_code == 0
    assert views(root, "metadata", "es") == views(ROOT / "curriculum", "metadata", "es")


def test_a_one_paragraph_source_edit_makes_exactly_that_entry_fuzzy(tmp_path):
    root = copy_of_ours(tmp_path)
    source = root / "lessons" / "metadata" / "en.md"
    text = source.read_text(encoding="utf-8")
    old = 'Metadata means "data about data".'
    assert text.count(old) == 1
    source.write_text(text.replace(old, 'Metadata means "data about data", the story around a file.'), encoding="utf-8")
    assert run("--curriculum", root, "translate", "export", "es", "metadata").exit_code == 0
    found = entries(root / "po" / "es" / "metadata.po")
    fuzzy = [m for m in found if m.fuzzy]
    assert len(fuzzy) == 1 and fuzzy[0].id.startswith('Metadata means "data about data", the story')
    assert fuzzy[0].string.startswith("Metadatos")  # the old translation, to be revised
    text = (root / "po" / "es" / "metadata.po").read_text(encoding="utf-8")
    assert '#| msgid ""\n#| "Metadata means \\"data about data\\". In a photo' in text  # the previous source, as msgmerge writes it
    assert all(m.string for m in found)
    # status says the same, segment by segment
    status = run("--curriculum", root, "translate", "status", "--lang", "es")
    assert "stale    metadata (1 segment changed)" in status.output
    assert re.search(r"@@ en\.md:\d+ s1/p\d+ \(paragraph\)\n-Metadata means", status.output)
    assert (
        '+Metadata means "data about data", the story around a file.' in status.output.replace("\n+", " ") or "the story" in status.output
    )
    assert "## Why this matters" not in status.output  # not the whole file's diff

    # A translator fills the fuzzy entry in their own tool, which re-wraps the file; import; build.
    po = root / "po" / "es" / "metadata.po"
    fill(po, lambda m: "Los metadatos son «datos sobre datos», la historia que rodea a un archivo." if m.fuzzy else m.string)
    subprocess.run(["msgcat", "-w", "50", "-o", str(po), str(po)], check=True)
    imported = run("--curriculum", root, "translate", "import", "es", po)
    assert imported.exit_code == 0, imported.output
    assert "159 of 159" in imported.output or "(current)" in imported.output
    status = run("--curriculum", root, "translate", "status", "--lang", "es")
    assert "current  metadata" in status.output
    built = build(root, tmp_path / "out", "--profile", "journalist", "--lang", "es", "--format", "handout")
    assert built.exit_code == 0, built.output
    handout = (tmp_path / "out" / "journalist" / "es" / "handout.html").read_text(encoding="utf-8")
    assert "la historia que rodea a un archivo" in handout


def test_an_untranslated_entry_makes_a_partial_lesson_that_the_pack_and_status_name(tmp_path):
    root = copy_of_ours(tmp_path)
    source = root / "lessons" / "metadata" / "en.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("## Why this matters\n", "## Why this matters\n\nA brand-new paragraph.\n", 1), encoding="utf-8")
    assert run("--curriculum", root, "translate", "export", "es", "metadata").exit_code == 0
    po = root / "po" / "es" / "metadata.po"
    assert [m.id for m in entries(po) if not m.string] == ["A brand-new paragraph."]
    imported = run("--curriculum", root, "translate", "import", "es", po)
    assert imported.exit_code == 0 and "partial, 99% translated" in imported.output
    status = run("--curriculum", root, "translate", "status", "--lang", "es")
    assert "partial  metadata (99% translated)" in status.output
    built = build(root, tmp_path / "out", "--profile", "journalist", "--lang", "es", "--format", "handout")
    assert built.exit_code == 0 and "partial translation(s)" in built.output and "metadata (99%)" in built.output
    handout = (tmp_path / "out" / "journalist" / "es" / "handout.html").read_text(encoding="utf-8")
    assert "A brand-new paragraph." in handout
    assert "Una parte de esta lección aún no está traducida" in handout and "<em>Por qué es importante</em>" in handout
    import json

    manifest = json.loads((tmp_path / "out" / "journalist" / "es" / "manifest.json").read_text())
    assert {e["id"]: e["translated_percent"] for e in manifest["lessons"]}["metadata"] == 99


HOSTILE = [
    (lambda s: s.replace("https://signal.org", "https://signal.example.net"), "link 'https://signal.example.net"),
    (lambda s: s.replace("](https://signal.org", "](<https://evil.example>)[x](https://signal.org"), "link 'https://evil.example'"),
    (lambda s: s + " <https://evil.example/autolink>", "link 'https://evil.example/autolink'"),
    (lambda s: s + ' <a href="https://evil.example/raw">x</a>', "link 'https://evil.example/raw'"),
    (lambda s: s.replace("](https://signal.org", "](https://signal.org.evil.example"), "is not in the source text"),
    (lambda s: "::: slides\n" + s, "the translation has a line break"),
    (lambda s: "<!-- " + s, "starts a block or a comment"),
    (lambda s: s + " ![x](../../secret.png)", "image"),
]


@pytest.mark.parametrize("swap, message", HOSTILE)
def test_a_msgstr_that_swaps_a_link_or_changes_the_structure_is_refused_with_file_and_line(exported, tmp_path, swap, message):
    root = tmp_path / "hostile"
    shutil.copytree(exported, root)
    po = root / "po" / "es" / "secure-messaging.po"
    target = next(m for m in entries(po) if "https://signal.org" in m.id)
    fill(po, lambda m: swap(m.string) if m.context == target.context else m.string)
    line = next(m.lineno for m in entries(po) if m.context == target.context)
    before = (root / "lessons" / "secure-messaging" / "es.md").read_bytes()
    result = run("--curriculum", root, "translate", "import", "es", po, root / "po" / "es" / "metadata.po")
    assert result.exit_code == 1
    assert f"secure-messaging.po:{line}:" in result.output and message in result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output
    assert (root / "lessons" / "secure-messaging" / "es.md").read_bytes() == before


def test_a_catalog_for_another_language_is_refused(exported, tmp_path):
    root = tmp_path / "other"
    shutil.copytree(exported, root)
    result = run("--curriculum", root, "translate", "import", "es", root / "po" / "ar" / "metadata.po")
    assert result.exit_code == 1
    assert "metadata.po:1: this catalog is for language 'ar', not 'es'" in result.output


# Generated lessons: every kind of block our lessons use, with inline marks, links and images.
words = st.text(alphabet="abcdefghij klmnop", min_size=1, max_size=30).map(lambda s: s.strip() or "word")
inline = st.one_of(
    words,
    words.map(lambda w: f"**{w}**"),
    words.map(lambda w: f"[{w}](https://example.org/{len(w)})"),
    words.map(lambda w: f"`{w}`"),
)
sentence = st.lists(inline, min_size=1, max_size=5).map(lambda parts: " ".join(parts) + ".")
paragraph = st.lists(sentence, min_size=1, max_size=3).map(lambda ss: "\n".join(ss))  # wrapped over lines
items = st.lists(sentence, min_size=1, max_size=4)


@st.composite
def bodies(draw) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for number in range(draw(st.integers(1, 3))):
        parts.append(f"## Section {number} {draw(words)}\n\n{draw(paragraph)}")
        if draw(st.booleans()):
            parts.append("\n".join(f"{i}. {s}" for i, s in enumerate(draw(items), 1)))
        if draw(st.booleans()):
            parts.append("- " + draw(sentence) + "\n  - " + draw(sentence) + "\n- " + draw(sentence))
        if draw(st.booleans()):
            parts.append(f"::: caution\n{draw(sentence)}\n:::")
        if draw(st.booleans()):
            parts.append(f"| {draw(words)} | {draw(words)} |\n|---|---|\n| {draw(sentence)} | {draw(sentence)} |")
    parts.append("::: keypoints\n" + "\n".join(f"- {s}" for s in draw(items)) + "\n:::")
    parts.append("::: checklist\n" + "\n".join(f"- {s}" for s in draw(items)) + "\n:::")
    slides = "\n\n".join(
        f"## {draw(words)}\n- {draw(sentence)}\n\n::: notes\n{draw(paragraph)}\n:::" for _ in range(draw(st.integers(1, 2)))
    )
    parts.append(f"::: slides\n{slides}\n:::")
    parts.append(
        f"::: activity {{phase=activity minutes=10 group=pairs}}\n### {draw(words)}\n{draw(paragraph)}\n\n1. {draw(sentence)}\n2. {draw(sentence)}\n:::"
    )
    parts.append(f"::: facilitator\n{draw(paragraph)}\n:::")
    return "\n\n".join(parts) + "\n"


def round_trip(root: Path, lesson_id: str) -> None:
    """Export into French, translate every entry with its own source text, import: the French
    lesson shows what the source shows."""
    assert run("--curriculum", root, "translate", "export", "fr", lesson_id).exit_code == 0
    po = root / "po" / "fr" / f"{lesson_id}.po"
    fill(po)
    result = run("--curriculum", root, "translate", "import", "fr", po)
    assert result.exit_code == 0, result.output
    assert views(root, lesson_id, "fr") == views(root, lesson_id, "en")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies())
def test_the_round_trip_keeps_every_block_link_and_word_of_generated_lessons(tmp_path_factory, body):
    root = write_tree(
        tmp_path_factory.mktemp("generated"),
        {"curriculum.yml": "title: G\nsource_language: en\nlanguages: [en, fr]\n", "lessons/one/en.md": lesson(body)},
    )
    round_trip(root, "one")


@pytest.mark.parametrize("lesson_id", sorted(p.name for p in (ROOT / "curriculum" / "lessons").iterdir()))
def test_the_round_trip_keeps_every_block_link_and_word_of_the_shipped_lessons(tmp_path, lesson_id):
    root = copy_of_ours(tmp_path)
    meta = root / "curriculum.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("languages: [en, es, ar]", "languages: [en, es, ar, fr]"), encoding="utf-8")
    round_trip(root, lesson_id)


def test_export_refuses_the_source_language_and_unknown_lessons(mini):
    assert "is the source language" in run("--curriculum", mini, "translate", "export", "en").output
    result = run("--curriculum", mini, "translate", "export", "es", "nope")
    assert result.exit_code == 2 and "unknown lesson 'nope'" in result.output


def test_exporting_twice_gives_the_same_bytes(mini):
    """Dated by the lesson's review, not the clock: a re-export changes nothing in version control."""
    assert run("--curriculum", mini, "translate", "export", "es").exit_code == 0
    first = {p.name: p.read_bytes() for p in (mini / "po").rglob("*.po*")}
    assert run("--curriculum", mini, "translate", "export", "es").exit_code == 0
    assert {p.name: p.read_bytes() for p in (mini / "po").rglob("*.po*")} == first
    assert "POT-Creation-Date: 2026-" in (mini / "po" / "alpha.pot").read_text()


def test_glossary_terms_travel_in_the_catalog_of_the_first_lesson_that_uses_them(exported, tmp_path):
    root = tmp_path / "glossary"
    shutil.copytree(exported, root)
    carried = [m for path in (root / "po" / "es").glob("*.po") for m in entries(path) if m.context.startswith("glossary/")]
    ids = {m.context.split("/")[1] for m in carried}
    source_ids = {
        line.split(":")[0] for line in (root / "glossary" / "en.yml").read_text().splitlines() if re.match(r"^[a-z0-9-]+:$", line)
    }
    assert ids == source_ids and len(carried) == 2 * len(ids)  # every term once, its term and its definition
    (adversary,) = [m for m in carried if m.context == "glossary/adversary/term"]
    assert (adversary.id, adversary.string) == ("Adversary", "Adversario") and adversary.auto_comments == ["glossary term"]
    po = root / "po" / "es" / "threat-modeling.po"
    assert any(m.context == "glossary/adversary/term" for m in entries(po))

    before = (root / "glossary" / "es.yml").read_bytes()
    assert run("--curriculum", root, "translate", "import", "es", po).exit_code == 0
    assert (root / "glossary" / "es.yml").read_bytes() == before  # nothing changed: not rewritten
    fill(po, lambda m: "Agresor" if m.context == "glossary/adversary/term" else m.string)
    assert run("--curriculum", root, "translate", "import", "es", po).exit_code == 0
    glossary = (root / "glossary" / "es.yml").read_text(encoding="utf-8")
    assert glossary.startswith("# Spanish glossary") and "term: Agresor" in glossary and "Adversario" not in glossary
    assert run("--curriculum", root, "check").exit_code == 0
