"""Cache correctness (not speed): a change to any kind of input re-renders exactly the documents
it affects, and a no-op rebuild leaves every file byte-identical."""

import re
import shutil
from pathlib import Path

import pytest
from support import EPOCH

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def rendered(output: str) -> set[str]:
    return set(re.findall(r"^Rendered (\S+) \(", output, re.M))


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and ".cache" not in p.parts}


@pytest.fixture
def built(cli, mini, tmp_path):
    out = tmp_path / "out"
    result = cli("--curriculum", mini, "build", "--out", out, env=EPOCH)
    assert result.exit_code == 0, result.output
    assert len(rendered(result.output)) == 12  # 2 profiles × 2 languages × 3 PDFs
    return mini, out


def rebuild(cli, curriculum, out, *args, env=None):
    result = cli("--curriculum", curriculum, "build", "--out", out, *args, env={**EPOCH, **(env or {})})
    assert result.exit_code == 0, result.output
    return result


def test_noop_rebuild_renders_nothing_and_changes_no_byte(cli, built):
    curriculum, out = built
    before = files(out)
    result = rebuild(cli, curriculum, out)
    assert rendered(result.output) == set()
    assert "up to date" in result.output
    assert files(out) == before


def test_lesson_text_edit_rerenders_only_the_handouts_that_show_it(cli, built):
    curriculum, out = built
    beta = curriculum / "lessons/beta/en.md"  # journalists only; untranslated, so es falls back to it
    beta.write_text(beta.read_text().replace("Beta participant text.", "Beta participant text, corrected."))
    result = rebuild(cli, curriculum, out)
    assert rendered(result.output) == {"journalist/en/handout.pdf", "journalist/es/handout.pdf"}
    assert "corrected" in (out / "journalist/es/handout.html").read_text()


def test_speaker_note_edit_rerenders_slides_and_guide_only(cli, built):
    curriculum, out = built
    beta = curriculum / "lessons/beta/en.md"
    beta.write_text(beta.read_text().replace("Beta notes.", "Beta notes, longer."))
    assert rendered(rebuild(cli, curriculum, out).output) == {
        "journalist/en/slides.pdf",
        "journalist/en/guide.pdf",
        "journalist/es/slides.pdf",
        "journalist/es/guide.pdf",
    }


def test_translation_edit_rerenders_only_that_language(cli, built):
    curriculum, out = built
    alpha = curriculum / "lessons/alpha/es.md"
    alpha.write_text(alpha.read_text().replace("Texto para participantes de alfa", "Texto corregido para participantes de alfa"))
    assert rendered(rebuild(cli, curriculum, out).output) == {"journalist/es/handout.pdf", "whrd/es/handout.pdf"}


def test_template_css_change_rerenders_what_uses_it(cli, built, tmp_path):
    curriculum, out = built
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy)
    guide_css = copy / "css" / "guide.css"
    guide_css.write_text(guide_css.read_text() + "\n.activity { border-width: 2px; }\n")
    result = rebuild(cli, curriculum, out, env={"TRAINKIT_TEMPLATES": str(copy)})
    assert rendered(result.output) == {f"{p}/{lang}/guide.pdf" for p in ("journalist", "whrd") for lang in ("en", "es")}


def test_option_change_rerenders_what_it_affects(cli, built):
    curriculum, out = built
    result = rebuild(cli, curriculum, out, "--paper", "letter")
    assert rendered(result.output) == {
        f"{p}/{lang}/{doc}" for p in ("journalist", "whrd") for lang in ("en", "es") for doc in ("handout.pdf", "guide.pdf")
    }
    result = rebuild(cli, curriculum, out, "--paper", "letter", "--notes")
    assert rendered(result.output) == {f"{p}/{lang}/slides.pdf" for p in ("journalist", "whrd") for lang in ("en", "es")}


def test_image_change_rerenders_documents_that_show_it(cli, built):
    curriculum, out = built
    svg = curriculum / "lessons/alpha/lock.svg"
    svg.write_text(svg.read_text().replace('stroke="#444"', 'stroke="#222"', 1))
    result = rebuild(cli, curriculum, out)
    # The handouts and the slides show alpha's lock (the guide does not).
    shown = {f"{p}/{lang}/{name}" for p in ("journalist", "whrd") for lang in ("en", "es") for name in ("handout.pdf", "slides.pdf")}
    assert rendered(result.output) == shown


def test_a_tampered_published_file_is_rebuilt(cli, built):
    curriculum, out = built
    target = out / "whrd/en/guide.pdf"
    target.write_bytes(target.read_bytes()[:-10])
    assert rendered(rebuild(cli, curriculum, out).output) == {"whrd/en/guide.pdf"}
    assert files(out)["whrd/en/guide.pdf"].endswith(b"%%EOF\n")
