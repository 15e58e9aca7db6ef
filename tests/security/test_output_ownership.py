"""D2: output is ours only. A build replaces or removes only what a Trainkit manifest says
Trainkit wrote, and refuses to write into a folder holding anything else."""

from __future__ import annotations

import json

import pytest
from helpers import build, lesson, run, write


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def curriculum(tmp_path):
    return write(tmp_path / "c", {"lessons/a/en.md": lesson("Fine text.\n")})


@pytest.mark.parametrize(
    "foreign",
    [
        {"web/public/manifest.json": '{"name": "my app"}', "web/public/index.html": "<p>mine</p>"},
        {"notes.txt": "my notes"},
        {"p/en/manifest.json": '{"name": "not trainkit"}'},
        {"old/xx/manifest.json": '{"tool": "something-else", "files": []}'},
    ],
)
def test_a_full_build_refuses_a_folder_with_foreign_files_and_leaves_it_untouched(tmp_path, curriculum, foreign, monkeypatch):
    from trainkit import fonts

    monkeypatch.setattr(fonts, "_COVERAGE", {})  # as in a fresh process: the glyph check would write its cache
    out = tmp_path / "out"
    for name, text in foreign.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    before = snapshot(out)
    result = run("--curriculum", curriculum, "build", "--out", out)
    assert result.exit_code == 2, result.output
    assert "holds files Trainkit did not write" in result.output and "Traceback" not in result.output
    assert snapshot(out) == before


def test_a_file_added_to_a_pack_folder_is_never_deleted(tmp_path, curriculum):
    out = tmp_path / "out"
    assert build(curriculum, out).exit_code == 0
    (out / "p/en/my-notes.txt").write_text("keep me")
    result = build(curriculum, out)
    assert result.exit_code == 2
    assert "p/en/my-notes.txt" in result.output
    assert (out / "p/en/my-notes.txt").read_text() == "keep me"


def test_a_trainkit_output_folder_is_rebuilt_and_stale_packs_are_removed(tmp_path, curriculum):
    out = tmp_path / "out"
    assert run("--curriculum", curriculum, "build", "--out", out).exit_code == 0
    (out / "p").rename(out / "gone")  # a pack of a profile that no longer exists
    manifest = json.loads((out / "gone/en/manifest.json").read_text())
    assert manifest["tool"] == "trainkit"
    result = run("--curriculum", curriculum, "build", "--out", out)
    assert result.exit_code == 0, result.output
    assert "removed packs whose profile or language no longer exists: gone/en" in result.output
    assert not (out / "gone").exists() and (out / "p/en/handout.pdf").is_file()


def test_an_empty_or_new_folder_is_fine_and_system_files_are_left_alone(tmp_path, curriculum):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".DS_Store").write_bytes(b"\x00\x00")
    assert build(curriculum, out).exit_code == 0
    assert (out / ".DS_Store").read_bytes() == b"\x00\x00"
    assert build(curriculum, tmp_path / "new" / "folder").exit_code == 0
