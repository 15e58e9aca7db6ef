"""The CLI contract: commands, exit codes, JSON fields, no tracebacks; CliRunner and a real subprocess."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from support import lesson

ROOT = Path(__file__).resolve().parent.parent


def test_check_passes_on_the_fixture(cli, mini):
    result = cli("--curriculum", mini, "check")
    assert result.exit_code == 0, result.output
    assert "Checked 3 lessons, 1 translations and 2 profiles: no errors" in result.output


def test_check_reports_every_problem_and_exits_1(cli, make_curriculum):
    root = make_curriculum(
        {"lessons/a/en.md": lesson().replace("level: beginner", "level: expert"), "lessons/b/en.md": lesson(prerequisites="nope")}
    )
    result = cli("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "lessons/a/en.md:6: 'expert' is not a valid level" in result.output
    assert "lessons/b/en.md:8: unknown prerequisite 'nope'" in result.output
    assert "2 errors" in result.output
    assert "Traceback" not in result.output


def test_problems_are_sorted_by_path_and_line(cli, make_curriculum):
    root = make_curriculum(
        {
            "lessons/b/en.md": lesson(prerequisites="x").replace("level: beginner", "level: hard"),
            "lessons/a/en.md": lesson(prerequisites="y"),
        }
    )
    lines = [line for line in cli("--curriculum", root, "check").output.splitlines() if ".md:" in line]
    assert [line.split(": ")[0] for line in lines] == sorted(
        (line.split(": ")[0] for line in lines), key=lambda s: (s.split(":")[0], int(s.split(":")[1]))
    )


def test_strict_turns_warnings_into_errors(cli, mini):
    result = cli("--curriculum", mini, "check", "--strict")
    assert result.exit_code == 1 and "over its budget" in result.output  # the journalist profile is over budget
    (mini / "profiles" / "journalist.yml").write_text("title: Journalists\naudiences: [journalist]\ntime_budget: 600\n")
    result = cli("--curriculum", mini, "check", "--strict")
    assert result.exit_code == 1 and "over its budget" not in result.output  # beta and gamma are still in English only
    for ident in ("beta", "gamma"):
        assert cli("--curriculum", mini, "translate", "new", "es", ident).exit_code == 0
    assert cli("--curriculum", mini, "check", "--strict").exit_code == 0


def test_env_var_picks_the_curriculum(cli, mini):
    assert cli("check", env={"TRAINKIT_CURRICULUM": str(mini)}).exit_code == 0


def test_missing_curriculum_is_a_clear_error(cli, tmp_path):
    result = cli("--curriculum", tmp_path / "nowhere", "check")
    assert result.exit_code == 1
    assert "curriculum folder not found" in result.output


def test_list_lessons_json_has_the_contract_fields(cli, mini):
    rows = json.loads(cli("--curriculum", mini, "list", "lessons", "--json").output)
    alpha = next(r for r in rows if r["id"] == "alpha")
    for key in ("id", "title", "topics", "audiences", "level", "duration", "prerequisites", "languages"):
        assert key in alpha
    assert alpha["languages"] == ["en", "es"]
    assert next(r for r in rows if r["id"] == "beta")["prerequisites"] == ["alpha"]


def test_list_profiles_json_resolves_lessons_in_order(cli, mini):
    rows = {r["id"]: r for r in json.loads(cli("--curriculum", mini, "list", "profiles", "--json").output)}
    assert rows["journalist"]["lessons"] == ["alpha", "beta"]
    assert rows["whrd"]["lessons"] == ["alpha", "gamma"]
    assert rows["whrd"]["pulled_in"] == {"alpha": ["gamma"]}
    assert rows["journalist"]["over_budget"] is True


def test_list_languages(cli, mini):
    rows = json.loads(cli("--curriculum", mini, "list", "languages", "--json").output)
    assert [(r["code"], r["translated"], r["direction"]) for r in rows] == [("en", 3, "ltr"), ("es", 1, "ltr")]
    assert "Español" in cli("--curriculum", mini, "list", "languages").output


def test_new_lesson_scaffolds_a_valid_lesson(cli, mini):
    result = cli("--curriculum", mini, "new", "lesson", "phone-basics")
    assert result.exit_code == 0, result.output
    path = mini / "lessons" / "phone-basics" / "en.md"
    assert path.exists()
    assert cli("--curriculum", mini, "check").exit_code == 0
    assert cli("--curriculum", mini, "new", "lesson", "phone-basics").exit_code == 2
    bad = cli("--curriculum", mini, "new", "lesson", "../../escape")
    assert bad.exit_code == 2 and "not a valid lesson id" in bad.output
    assert not (mini.parent / "escape").exists()


def test_unknown_command_is_a_usage_error(cli):
    assert cli("frobnicate").exit_code == 2


def test_subprocess_build_py_and_console_script_agree(mini):
    first = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--curriculum", str(mini), "list", "lessons", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    second = subprocess.run(
        [sys.executable, "-m", "trainkit", "--curriculum", str(mini), "list", "lessons", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(first.stdout) == json.loads(second.stdout)


def test_subprocess_error_has_no_traceback(make_curriculum):
    root = make_curriculum({"lessons/a/en.md": "---\ntitle: [\n---\n"})
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--curriculum", str(root), "check"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_shipped_curriculum_passes_strict_check(cli, monkeypatch):
    """As of the day its lessons were last reviewed, so the test never turns red by the calendar
    alone (D20); `trainkit check` itself says when a review falls due."""
    import re

    import trainkit.cli

    reviewed = [re.search(r"^reviewed: (\S+)$", p.read_text(), re.M) for p in (ROOT / "curriculum" / "lessons").glob("*/en.md")]
    latest = max(dt.date.fromisoformat(m.group(1)) for m in reviewed if m)
    monkeypatch.setattr(trainkit.cli, "today", lambda: latest)
    result = cli("--curriculum", ROOT / "curriculum", "check", "--strict")
    assert result.exit_code == 0, result.output
