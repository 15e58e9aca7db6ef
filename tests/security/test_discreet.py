"""D6: a discreet pack says nothing about what the workshop is about, in any name, title,
manifest field or PDF metadata: for participants who may be searched."""

from __future__ import annotations

import json
import re

import pytest
from helpers import lesson, run, write
from pypdf import PdfReader

CURRICULUM = "title: Digital security for defenders\nsource_language: en\nlanguages: [en, es]\n"
PROFILE = "title: Women human rights defenders\ndescription: Surveillance and doxxing.\naudiences: [journalist]\n"
REVEALING = ["Digital security", "defenders", "Women human rights", "Surveillance", "encryption-at-rest", "Encryption at rest", "whrd"]


@pytest.fixture(scope="module")
def discreet_pack(tmp_path_factory):
    base = tmp_path_factory.mktemp("discreet")
    root = write(
        base / "c",
        {
            "curriculum.yml": CURRICULUM,
            "profiles/whrd.yml": PROFILE,
            "lessons/encryption-at-rest/en.md": lesson("Plain text.\n", title="Encryption at rest"),
        },
    )
    (base / "ws.yml").write_text("profile: whrd\ntitle: Defenders' security day\nplace: Safe house\n")
    result = run("--curriculum", root, "build", "--discreet", "--workshop", base / "ws.yml", "--lang", "en", "--out", base / "out")
    assert result.exit_code == 0, result.output
    return base / "out" / "whrd" / "en"


def test_file_names_are_neutral(discreet_pack):
    names = sorted(p.name for p in discreet_pack.iterdir())
    assert names == [
        "manifest.json",
        "presentation.html",
        "presentation.pdf",
        "session-plan.pdf",
        "workshop-notes.html",
        "workshop-notes.pdf",
    ]


def test_the_manifest_names_no_curriculum_profile_workshop_or_lesson(discreet_pack):
    text = (discreet_pack / "manifest.json").read_text()
    for word in [*REVEALING, "Safe house", "Defenders' security day"]:
        assert word.lower() not in text.lower(), word
    manifest = json.loads(text)
    assert manifest["tool"] == "trainkit" and manifest["discreet"] is True
    assert {f["name"] for f in manifest["files"]} == {p.name for p in discreet_pack.iterdir()} - {"manifest.json"}


def test_pdf_metadata_and_html_titles_are_neutral(discreet_pack):
    for pdf in discreet_pack.glob("*.pdf"):
        info = PdfReader(pdf).metadata or {}
        for key, value in info.items():
            for word in REVEALING:
                assert word.lower() not in str(value).lower(), (pdf.name, key, value)
    for html in discreet_pack.glob("*.html"):
        title = re.search(r"<title>(.*?)</title>", html.read_text(), re.S)
        assert title and title.group(1).strip() == "Workshop notes"
        assert "Women human rights" not in html.read_text() and "Digital security for defenders" not in html.read_text()


def test_the_cover_and_footers_say_workshop_notes(discreet_pack):
    first = PdfReader(discreet_pack / "workshop-notes.pdf").pages[0].extract_text()
    assert "Workshop notes" in first
    for word in ("Digital security", "Women human rights", "Surveillance"):
        assert word not in first
