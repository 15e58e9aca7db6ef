"""The translator workflow: scaffold, current/stale/missing with the changes shown, mark-current,
right-to-left output, the missing-glyph check and the UI-catalog fallback."""

import json
import shutil
import subprocess

from pypdf import PdfReader
from support import lesson

from trainkit.loader import fingerprint


def status(cli, root, *args):
    result = cli("--curriculum", root, "translate", "status", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_id(report, lang):
    entry = next(e for e in report["languages"] if e["language"] == lang)
    return entry, {lesson["id"]: lesson for lesson in entry["lessons"]}


def test_scaffold_then_statuses(cli, mini):
    result = cli("--curriculum", mini, "translate", "new", "es", "beta")
    assert result.exit_code == 0, result.output
    text = (mini / "lessons" / "beta" / "es.md").read_text()
    assert f"source_fingerprint: {fingerprint((mini / 'lessons' / 'beta' / 'en.md').read_text())}" in text
    assert "title: Beta encryption" in text and "::: slides" in text and "topics:" not in text
    assert cli("--curriculum", mini, "check").exit_code == 0
    entry, lessons = by_id(status(cli, mini), "es")
    assert {i: lesson["status"] for i, lesson in lessons.items()} == {"alpha": "current", "beta": "current", "gamma": "missing"}
    assert (entry["current"], entry["stale"], entry["missing"], entry["coverage"]) == (2, 0, 1, 66.7)
    assert cli("--curriculum", mini, "translate", "new", "es", "beta").exit_code == 2  # never overwrites


def test_source_edit_makes_translation_stale_and_shows_what_changed(cli, mini):
    cli("--curriculum", mini, "translate", "new", "es", "beta")
    source = mini / "lessons" / "beta" / "en.md"
    source.write_text(source.read_text().replace("Beta participant text.", "Beta participant text, now with a new warning about backups."))
    _, lessons = by_id(status(cli, mini, "--lang", "es"), "es")
    assert lessons["beta"]["status"] == "stale"
    assert "-Beta participant text." in lessons["beta"]["changes"]
    assert "+Beta participant text, now with a new warning about backups." in lessons["beta"]["changes"]
    assert lessons["beta"]["changes_from"] == "snapshot"
    text = cli("--curriculum", mini, "translate", "status", "--lang", "es").output
    assert "stale    beta" in text and "trainkit translate mark-current es beta" in text
    check = cli("--curriculum", mini, "check")
    assert check.exit_code == 0 and "lessons/beta/es.md:2: warning: stale translation" in check.output
    assert cli("--curriculum", mini, "check", "--strict").exit_code == 1
    assert cli("--curriculum", mini, "translate", "mark-current", "es", "beta").exit_code == 0
    _, lessons = by_id(status(cli, mini, "--lang", "es"), "es")
    assert lessons["beta"]["status"] == "current"


def test_stale_diff_from_git_when_there_is_no_snapshot(cli, mini):
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=T", "-C", str(mini)]
    subprocess.run(["git", "init", "-q", str(mini)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    cli("--curriculum", mini, "translate", "new", "es", "beta")
    assert "source_commit: " in (mini / "lessons" / "beta" / "es.md").read_text()
    shutil.rmtree(mini / ".trainkit")
    source = mini / "lessons" / "beta" / "en.md"
    source.write_text(source.read_text() + "\nA new closing paragraph.\n")
    _, lessons = by_id(status(cli, mini), "es")
    assert lessons["beta"]["status"] == "stale" and lessons["beta"]["changes_from"] == "git"
    assert "+A new closing paragraph." in lessons["beta"]["changes"]


def test_new_language_needs_add_language(cli, mini):
    result = cli("--curriculum", mini, "translate", "new", "sw", "alpha")
    assert result.exit_code == 2 and "--add-language" in result.output
    assert cli("--curriculum", mini, "translate", "new", "sw", "alpha", "--add-language").exit_code == 0
    assert "languages: [en, es, sw]" in (mini / "curriculum.yml").read_text()
    entry, lessons = by_id(status(cli, mini, "--lang", "sw"), "sw")
    assert lessons["alpha"]["status"] == "current" and lessons["gamma"]["status"] == "missing"
    assert cli("--curriculum", mini, "translate", "new", "xx-nope", "alpha").exit_code == 2
    assert cli("--curriculum", mini, "translate", "new", "es", "ghost").exit_code == 2


def test_structural_drift_is_a_warning(cli, mini):
    path = mini / "lessons" / "alpha" / "es.md"
    text = path.read_text()
    start = text.index("::: slides")
    end = text.index("::: activity")
    path.write_text(text[:start] + text[end:])
    result = cli("--curriculum", mini, "check")
    assert "lessons/alpha/es.md: warning: the source has a '::: slides' block that this translation lacks" in result.output


ARABIC = """\
---
title: "أساسيات التشفير"
summary: "من يملك المفتاح؟"
objectives:
  - "اشرح الفرق بين أنواع التشفير."
source_fingerprint: {print}
---

## لماذا يهم هذا

يستخدم تطبيق Signal التشفير من طرف إلى طرف منذ عام 2016، ويحمي أكثر من 40 مليون مستخدم.

::: slides
## من يستطيع قراءة رسالتك؟
- بطاقة بريدية

::: notes
ابدأ بالبطاقة البريدية.
:::
:::
"""


def arabic_curriculum(make_curriculum, extra_en=""):
    source = (
        lesson(title="Encryption basics")
        + extra_en
        + "\n::: slides\n## Who can read it?\n- A postcard\n\n::: notes\nStart here.\n:::\n:::\n"
    )
    profile = "title: Journalists\naudiences: [journalist]\n"
    files = {
        "curriculum.yml": "title: Test\nsource_language: en\nlanguages: [en, ar, fr]\n",
        "lessons/a/en.md": source,
        "lessons/a/ar.md": ARABIC.format(print=fingerprint(source)),
        "profiles/p.yml": profile,
    }
    return make_curriculum(files)


def test_arabic_pack_is_right_to_left_with_arabic_text(cli, make_curriculum, tmp_path):
    root = arabic_curriculum(make_curriculum)
    result = cli("--curriculum", root, "build", "--lang", "ar", "--format", "handout", "--format", "slides", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "p" / "ar" / "handout.html").read_text()
    assert '<html lang="ar" dir="rtl">' in html
    assert '<html lang="ar" dir="rtl">' in (tmp_path / "out" / "p" / "ar" / "slides.html").read_text()
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "out" / "p" / "ar" / "handout.pdf").pages)
    assert "التشفير" in text and "Signal" in text and "2016" in text


def test_missing_ui_catalog_falls_back_to_english_with_a_warning(cli, make_curriculum, tmp_path):
    root = arabic_curriculum(make_curriculum)
    result = cli("--curriculum", root, "build", "--lang", "fr", "--format", "handout", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "no UI catalog for French (fr)" in result.output
    text = PdfReader(tmp_path / "out" / "p" / "fr" / "handout.pdf").pages[1].extract_text()
    assert "Contents" in text


def test_missing_glyph_fails_the_pack_and_names_the_character(cli, make_curriculum, tmp_path):
    root = arabic_curriculum(make_curriculum, extra_en="\nA private-use sign: \ue000\n")
    (root / "lessons" / "a" / "ar.md").unlink()
    result = cli("--curriculum", root, "build", "--lang", "en", "--format", "handout", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "lessons/a/en.md: '\ue000' (U+E000 UNNAMED) has no glyph in the installed fonts" in result.output
    assert not (tmp_path / "out" / "p" / "en").exists()


def test_localized_image_may_be_another_type(cli, mini, tmp_path):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )
    (mini / "lessons" / "alpha" / "lock.es.png").write_bytes(png)
    assert cli("--curriculum", mini, "check").exit_code == 0
    assert cli("--curriculum", mini, "build", "--format", "handout", "--out", tmp_path / "out").exit_code == 0
    assert "data:image/png;base64," in (tmp_path / "out/journalist/es/handout.html").read_text()
    assert "data:image/svg+xml;base64," in (tmp_path / "out/journalist/en/handout.html").read_text()


def test_translated_materials_reach_the_guide(cli, mini, tmp_path):
    path = mini / "lessons" / "alpha" / "es.md"
    text = path.read_text()
    path.write_text(text.replace("source_fingerprint:", "materials:\n  - Notas adhesivas\nsource_fingerprint:", 1))
    check = cli("--curriculum", mini, "check")
    assert check.exit_code == 0 and "materials, but the source" not in check.output
    result = cli("--curriculum", mini, "build", "--profile", "journalist", "--lang", "es", "--format", "guide", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    guide = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "out/journalist/es/guide.pdf").pages)
    assert "Notas adhesivas" in guide and "Sticky notes" not in guide
    path.write_text(text.replace("source_fingerprint:", "materials:\n  - Uno\n  - Dos\nsource_fingerprint:", 1))
    assert "lessons/alpha/es.md: warning: 2 materials, but the source has 1" in cli("--curriculum", mini, "check").output


def test_an_error_in_another_lesson_does_not_block_a_translator(cli, mini):
    gamma = mini / "lessons" / "gamma" / "en.md"
    gamma.write_text(gamma.read_text().replace("level: beginner", "level: expert"))
    assert cli("--curriculum", mini, "check").exit_code == 1
    assert cli("--curriculum", mini, "translate", "new", "es", "beta").exit_code == 0
    assert cli("--curriculum", mini, "translate", "mark-current", "es", "beta").exit_code == 0
    entry, lessons = by_id(status(cli, mini), "es")
    assert lessons["beta"]["status"] == "current"
    blocked = cli("--curriculum", mini, "translate", "mark-current", "es", "gamma")
    assert blocked.exit_code == 1 and "gamma/en.md" in blocked.output


def test_d15_adding_a_language_edits_only_the_languages_list(cli, mini):
    meta = mini / "curriculum.yml"
    meta.write_text(
        "title: Mini curriculum\nsource_language: en\nlanguages:  # in teaching order\n  - en\n  - es\ndefaults:\n  paper: a4\n"
    )
    result = cli("--curriculum", mini, "translate", "new", "sw", "alpha", "--add-language")
    assert result.exit_code == 0, result.output
    assert meta.read_text() == (
        "title: Mini curriculum\nsource_language: en\nlanguages:  # in teaching order\n  - en\n  - es\n  - sw\ndefaults:\n  paper: a4\n"
    )
    assert cli("--curriculum", mini, "check").exit_code == 0


def test_check_reports_what_a_build_would_glyphs_catalogs_and_fallbacks(cli, make_curriculum):
    """check and build agree: a character no font draws, a language without a UI catalog, and
    lessons a language would show in the source language are all reported by check itself."""
    root = arabic_curriculum(make_curriculum, extra_en="\nA private-use sign: \ue000\n")
    (root / "lessons" / "a" / "ar.md").unlink()
    result = cli("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "lessons/a/en.md: '\ue000' (U+E000 UNNAMED) has no glyph in the installed fonts" in result.output
    assert "no UI catalog for French (fr)" in result.output
    assert "1 lesson(s) not translated into Arabic; ar packs show them in English: a" in result.output
