"""Real packs from the fixture curriculum, read back: PDFs with pypdf, HTML parsed, manifest checked."""

import hashlib
import json
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader
from support import EPOCH


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the mini fixture once (all profiles, both languages) for the read-back tests."""
    import shutil
    from pathlib import Path

    from click.testing import CliRunner

    from trainkit.cli import main

    root = tmp_path_factory.mktemp("build")
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", root / "mini")
    result = CliRunner().invoke(
        main, ["--curriculum", str(root / "mini"), "build", "--out", str(root / "out")], env=EPOCH, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return root / "out", result.output


def outline_titles(reader):
    titles = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                titles.append((depth, item.title))

    walk(reader.outline, 0)
    return titles


def text_of(path):
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_every_pack_has_its_files(built):
    out, output = built
    for profile in ("journalist", "whrd"):
        for lang in ("en", "es"):
            names = sorted(p.name for p in (out / profile / lang).iterdir())
            assert names == ["guide.pdf", "handout.html", "handout.pdf", "manifest.json", "slides.html", "slides.pdf"]
    assert "4 of 4 packs built" in output


def test_handout_is_a4_with_lessons_in_prerequisite_order(built):
    out, _ = built
    reader = PdfReader(out / "journalist" / "en" / "handout.pdf")
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)
    top = [title for depth, title in outline_titles(reader) if depth == 0]
    assert top == ["Contents", "Alpha basics", "Beta encryption", "Glossary", "After the workshop"]
    text = text_of(out / "journalist" / "en" / "handout.pdf")
    assert "Gamma pseudonyms" not in text  # not for journalists
    assert "Alpha participant text" in text and "Beta participant text" in text
    assert "Key points" in text and "Alpha comes first." in text
    assert "https://signal.org/download/" in text  # links print their address
    assert "Page 2 of" in text


def test_letter_paper(tmp_path, cli, mini):
    result = cli(
        "--curriculum",
        mini,
        "build",
        "--profile",
        "whrd",
        "--lang",
        "en",
        "--format",
        "handout",
        "--paper",
        "letter",
        "--out",
        tmp_path / "out",
    )
    assert result.exit_code == 0, result.output
    page = PdfReader(tmp_path / "out" / "whrd" / "en" / "handout.pdf").pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    assert not (tmp_path / "out" / "whrd" / "en" / "guide.pdf").exists()


def test_guide_has_agenda_activities_notes_and_materials(built):
    out, _ = built
    text = text_of(out / "journalist" / "en" / "guide.pdf")
    for expected in (
        "Agenda",
        "Materials checklist",
        "Sticky notes",
        "Alpha pairs",
        "Discussion",
        "Alpha notes one.",
        "Alpha facilitator note",
        "9:00",
    ):
        assert expected in text, expected
    top = [t for d, t in outline_titles(PdfReader(out / "journalist" / "en" / "guide.pdf")) if d == 0]
    assert top[:3] == ["Contents", "Agenda", "Materials checklist"]


def test_fallback_per_lesson_in_spanish(built):
    out, output = built
    text = text_of(out / "journalist" / "es" / "handout.pdf")
    assert "Alfa básico" in text  # translated
    assert "Beta encryption" in text  # falls back to the source
    manifest = json.loads((out / "journalist" / "es" / "manifest.json").read_text())
    assert [(lesson["id"], lesson["language"], lesson["fallback"]) for lesson in manifest["lessons"]] == [
        ("alpha", "es", False),
        ("beta", "en", True),
    ]
    assert manifest["fallbacks"] == ["beta"]
    assert "journalist/es: 1 lesson(s) not translated into Spanish, using English: beta" in output


def test_manifest_lists_every_file_with_its_hash(built):
    out, _ = built
    folder = out / "whrd" / "en"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["profile"]["id"] == "whrd" and manifest["language"] == "en" and manifest["paper"] == "a4"
    assert manifest["build_date"] == "2026-01-01"
    assert [f["name"] for f in manifest["files"]] == ["guide.pdf", "handout.html", "handout.pdf", "slides.html", "slides.pdf"]
    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert [lesson["id"] for lesson in manifest["lessons"]] == ["alpha", "gamma"]
    assert manifest["lessons"][0]["pulled_in_by"] == ["gamma"]


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "action"):
                self.refs.append((tag, name, value))


def test_html_handout_is_self_contained(built):
    out, _ = built
    html = (out / "journalist" / "en" / "handout.html").read_text()
    parser = _Refs()
    parser.feed(html)
    assert "script" not in parser.tags
    for tag, name, value in parser.refs:
        if tag == "img":
            assert value.startswith("data:image/svg+xml;base64,")
        elif tag == "a":
            assert value.startswith(("#", "https://", "http://", "mailto:"))
        else:
            pytest.fail(f"unexpected reference {tag} {name}={value}")
    assert "default-src 'none'" in html
    assert "@import" not in html and "url(" not in html
    assert len(html.encode()) < 300_000


def test_unknown_profile_or_language_is_a_usage_error(cli, mini, tmp_path):
    result = cli("--curriculum", mini, "build", "--profile", "nope", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "profiles: journalist, whrd" in result.output
    result = cli("--curriculum", mini, "build", "--lang", "fr", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "languages: en, es" in result.output


def test_content_errors_stop_the_build_before_writing(cli, mini, tmp_path):
    (mini / "lessons" / "beta" / "en.md").write_text("---\ntitle: [\n---\n")
    result = cli("--curriculum", mini, "build", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "lessons/beta/en.md:2: invalid YAML" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_bad_source_date_epoch(cli, mini, tmp_path, value):
    result = cli("--curriculum", mini, "build", "--out", tmp_path, env={"SOURCE_DATE_EPOCH": value})
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH must be a whole number" in result.output
