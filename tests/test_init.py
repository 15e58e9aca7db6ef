"""`trainkit init PATH` starts a curriculum of one's own (or, with --from-example, a copy of
ours); it never writes into a folder that holds anything, and never leaves half a project."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from support import EPOCH, run

ROOT = Path(__file__).resolve().parent.parent


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_makes_a_curriculum_that_passes_the_strict_check_and_builds(tmp_path):
    project = tmp_path / "our-training"
    result = run("init", project)
    assert result.exit_code == 0, result.output
    assert f"Created {project}/" in result.output and "trainkit check --strict" in result.output
    assert set(tree(project)) == {
        ".gitignore",
        "README.md",
        "curriculum/curriculum.yml",
        "curriculum/glossary/en.yml",
        "curriculum/lessons/screen-lock/en.md",
        "curriculum/personas/en.yml",
        "curriculum/profiles/everyone.yml",
        "workshops/example.yml",
    }
    assert (project / ".gitignore").read_text() == "output/\n"
    text = (project / "curriculum/lessons/screen-lock/en.md").read_text()
    assert f"reviewed: {dt.date.today().isoformat()}" in text and "$" not in text

    checked = run("--curriculum", project / "curriculum", "check", "--strict")
    assert checked.exit_code == 0, checked.output

    from trainkit.loader import load_curriculum

    curriculum, _ = load_curriculum(project / "curriculum")
    assert curriculum is not None
    assert set(curriculum.vocabulary.topics) >= {"foundations", "encryption", "anonymity", "pseudonyms"}
    body = curriculum.lessons["screen-lock"].body
    assert body.slides and all(slide.notes for slide in body.slides) and body.activities and body.facilitator and body.cautions

    out = project / "output"
    built = run("--curriculum", project / "curriculum", "build", "--out", out, "--format", "handout", env=EPOCH)
    assert built.exit_code == 0, built.output
    assert (out / "everyone" / "en" / "handout.pdf").stat().st_size > 10_000
    workshop = run(
        "--curriculum",
        project / "curriculum",
        "build",
        "--workshop",
        project / "workshops/example.yml",
        "--out",
        tmp_path / "w",
        "--format",
        "handout",
    )
    assert workshop.exit_code == 0, workshop.output


def test_from_example_copies_the_curriculum_we_ship_file_for_file(tmp_path):
    project = tmp_path / "ours"
    result = run("init", project, "--from-example")
    assert result.exit_code == 0, result.output
    assert tree(project / "curriculum") == tree(ROOT / "curriculum")  # lessons, translations, images, snapshots
    assert tree(project / "workshops") == tree(ROOT / "workshops")
    assert (project / ".gitignore").is_file() and (project / "README.md").is_file()
    checked = run("--curriculum", project / "curriculum", "check")
    assert checked.exit_code == 0, checked.output

    def packs(curriculum: Path) -> list:
        listing = run("--curriculum", curriculum, "build", "--list-shards", "1", "--json")
        assert listing.exit_code == 0, listing.output
        return json.loads(listing.stdout)[0]["packs"]

    assert packs(project / "curriculum") == packs(ROOT / "curriculum")  # every pack our repository builds


@pytest.mark.parametrize("inside", ["notes.txt", ".git/config", "curriculum/curriculum.yml"])
def test_init_refuses_a_folder_that_holds_anything_and_writes_nothing(tmp_path, inside):
    project = tmp_path / "busy"
    (project / inside).parent.mkdir(parents=True, exist_ok=True)
    (project / inside).write_text("mine")
    before = tree(project)
    result = run("init", project)
    assert result.exit_code == 2
    assert f"Error: {project} is not empty; nothing was written" in result.output
    assert "Traceback" not in result.output
    assert tree(project) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]  # no staging folder left beside it


def test_init_refuses_a_file_and_accepts_an_empty_folder(tmp_path):
    (tmp_path / "a-file").write_text("mine")
    result = run("init", tmp_path / "a-file")
    assert result.exit_code == 2 and "exists and is not a folder" in result.output
    assert (tmp_path / "a-file").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    assert run("init", tmp_path / "empty").exit_code == 0
    assert (tmp_path / "empty" / "curriculum" / "curriculum.yml").is_file()


def test_a_failure_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    from trainkit.starter import init_project

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copytree", disk_full)
    with pytest.raises(OSError):
        init_project(tmp_path / "ours", dt.date(2026, 1, 1), from_example=True)
    assert list(tmp_path.iterdir()) == []
