"""Agenda: clock times, breaks, lunch and days from lesson durations; the workshop file."""

import datetime as dt
from types import SimpleNamespace

from pypdf import PdfReader

from trainkit.agenda import Schedule, plan_days


def lessons(*minutes):
    return [SimpleNamespace(id=f"l{i}", duration=m) for i, m in enumerate(minutes)]


def layout(days):
    return [[(s.kind, s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in day.slots] for day in days]


def test_breaks_after_ninety_minutes_and_lunch_near_noon():
    (day,) = plan_days(lessons(60, 45, 60, 45, 60), Schedule(start=dt.time(9, 0), end=dt.time(17, 0)))
    assert layout([day])[0] == [
        ("lesson", "09:00", "10:00"),
        ("lesson", "10:00", "10:45"),
        ("break", "10:45", "11:00"),
        ("lesson", "11:00", "12:00"),
        ("lesson", "12:00", "12:45"),
        ("lunch", "12:45", "13:45"),
        ("lesson", "13:45", "14:45"),
    ]


def test_lessons_move_to_the_next_day_and_never_straddle_the_end():
    days = plan_days(lessons(120, 120, 120, 120), Schedule(start=dt.time(9, 0), end=dt.time(13, 30), lunch_at=dt.time(18, 0)))
    assert [len([s for s in d.slots if s.kind == "lesson"]) for d in days] == [2, 2]
    assert all(s.end <= dt.time(13, 30) for d in days for s in d.slots)
    assert days[1].slots[0].start == dt.time(9, 0)


def test_workshop_file_sets_times_details_and_lessons(cli, mini, tmp_path):
    workshop = tmp_path / "newsroom.yml"
    workshop.write_text(
        'profile: journalist\ntitle: Newsroom safety day\ndate: 2026-12-03\nplace: Community hall\ntrainer: Amina\nstart: "10:00"\nend: "16:00"\n'
        "drop: [beta]\ntime_budget: 30\n"
    )
    result = cli(
        "--curriculum", mini, "build", "--workshop", workshop, "--lang", "en", "--out", tmp_path / "out", env={"SOURCE_DATE_EPOCH": "0"}
    )
    assert result.exit_code == 0, result.output
    guide = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "out" / "journalist" / "en" / "guide.pdf").pages)
    assert "Newsroom safety day" in guide and "Community hall" in guide and "10:00" in guide
    assert "Beta encryption" not in guide
    assert "needs 30 minutes of teaching" not in result.output  # alpha alone is 30 minutes: within budget
    assert [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")] == ["journalist"]


def test_workshop_file_errors(cli, mini, tmp_path):
    workshop = tmp_path / "bad.yml"
    workshop.write_text("profile: reporters\nstart: noon\nadd: [ghost]\n")
    result = cli("--curriculum", mini, "build", "--workshop", workshop, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "bad.yml:1: unknown profile 'reporters'" in result.output
    assert "bad.yml:2: 'start' must be a time written HH:MM (found 'noon')" in result.output or "bad.yml:2:" in result.output
    missing = cli("--curriculum", mini, "build", "--workshop", "missing", "--out", tmp_path / "out")
    assert missing.exit_code == 2 and "workshop file 'missing' not found" in missing.output
