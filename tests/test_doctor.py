"""`trainkit doctor`: says whether a build will work here, names what is missing and how to
install it, exits 1 when a build would fail, and speaks JSON for other tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import fontconfig, lesson, run, write_tree

ROOT = Path(__file__).resolve().parent.parent
LATIN_ONLY = [Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"), Path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf")]


def doctor(curriculum: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "trainkit", "--curriculum", str(curriculum), "doctor", *args]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=cwd, timeout=300)


def arabic_curriculum(root: Path) -> Path:
    return write_tree(
        root,
        {
            "curriculum.yml": "title: Two scripts\nsource_language: en\nlanguages: [en, ar]\n",
            "profiles/reporters.yml": "title: Reporters\naudiences: [journalist]\n",
            "lessons/one/en.md": lesson(),
        },
    )


def test_on_this_machine_a_build_will_work(mini, tmp_path):
    result = doctor(mini, "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for name in ("Pango", "HarfBuzz", "WeasyPrint", "Font for 'en'", "Font for 'es'", "Output folder"):
        assert any(line.startswith(f"ok   {name}") for line in lines), (name, result.stdout)
    assert lines[-1] == "A build will work."
    findings = json.loads(doctor(mini, "--out", str(tmp_path / "out"), "--json").stdout)
    assert findings["ok"] is True
    assert {check["name"] for check in findings["checks"]} >= {"Pango", "HarfBuzz", "WeasyPrint", "Font for 'en'", "Font for 'es'"}


def test_a_language_with_no_font_is_named_with_the_command_that_installs_one(tmp_path):
    """Another machine, simulated: fontconfig sees Noto Sans (Latin) and nothing else."""
    root = arabic_curriculum(tmp_path / "c")
    hidden = fontconfig(tmp_path / "fonts", LATIN_ONLY)
    result = doctor(root, "--out", str(tmp_path / "out"), env=hidden)
    assert result.returncode == 1, result.stdout
    assert "FAIL Font for 'ar': no installed font has the letters of language 'ar'" in result.stdout
    assert "ok   Font for 'en': Noto Sans" in result.stdout
    assert "sudo apt-get install fonts-noto-core" in result.stdout  # this machine is Debian: its command, and only its
    assert "brew install" not in result.stdout
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[-1].startswith("A build will not work")

    findings = json.loads(doctor(root, "--out", str(tmp_path / "out"), "--json", env=hidden).stdout)
    assert findings["ok"] is False
    (arabic,) = [check for check in findings["checks"] if check["name"] == "Font for 'ar'"]
    assert arabic["ok"] is False and set(arabic["fix"]) == {"debian", "fedora", "macos", "windows"}
    assert "langpacks-fonts-ar" in arabic["fix"]["fedora"] and "wsl --install" in arabic["fix"]["windows"]
    # The same machine with its fonts: fine.
    assert doctor(root, "--out", str(tmp_path / "out")).returncode == 0


def test_an_output_folder_a_build_would_refuse_fails_the_check(mini, tmp_path):
    theirs = write_tree(tmp_path / "site", {"index.html": "<p>someone's web site</p>"})
    result = run("--curriculum", mini, "doctor", "--out", theirs)
    assert result.exit_code == 1
    assert f"FAIL Output folder: {theirs} holds files Trainkit did not write" in result.output
    assert "index.html" in result.output
    assert (theirs / "index.html").read_text() == "<p>someone's web site</p>"


def test_without_a_curriculum_it_still_checks_the_machine(tmp_path):
    result = doctor(tmp_path / "nowhere", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith(f"note: no curriculum at {tmp_path / 'nowhere'}: fonts checked for English only")
    assert "ok   Font for 'en'" in result.stdout
