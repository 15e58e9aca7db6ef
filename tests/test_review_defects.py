"""Small defects from the December code review (D9, D11, D12, D13, D20), each pinned by a test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from support import lesson

from trainkit.checks import check_body
from trainkit.model import Body, a_year_after


def test_d9_a_profile_key_is_reported_at_its_own_line(cli, make_curriculum):
    profile = "title: P\naudiences: [journalist]\ninclude:\n  - ghost\n  - other-ghost\nexclude: []\n"
    root = make_curriculum({"lessons/a/en.md": lesson(), "profiles/p.yml": profile})
    output = cli("--curriculum", root, "check").output
    assert "profiles/p.yml:3: unknown lesson 'ghost' in include" in output


def test_d11_review_by_defaults_to_the_same_day_a_year_later(cli, make_curriculum):
    assert a_year_after(dt.date(2026, 1, 31)) == dt.date(2027, 1, 31)
    assert a_year_after(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    from trainkit.loader import load_curriculum

    text = lesson().replace("reviewed: 2026-01-01\nreview_by: 2099-01-01\n", "reviewed: 2026-01-31\n")
    curriculum, _ = load_curriculum(make_curriculum({"lessons/a/en.md": text}))
    assert curriculum.lessons["a"].review_by == dt.date(2027, 1, 31)


def test_d12_every_review_date_problem_is_reported(cli, make_curriculum, monkeypatch):
    import trainkit.cli

    monkeypatch.setattr(trainkit.cli, "today", lambda: dt.date(2026, 6, 1))
    text = lesson().replace("reviewed: 2026-01-01\nreview_by: 2099-01-01\n", "reviewed: 2026-12-01\nreview_by: 2026-05-01\n")
    output = cli("--curriculum", make_curriculum({"lessons/a/en.md": text}), "check").output
    assert "the security advice was due for review on 2026-05-01" in output
    assert "'reviewed' is in the future (2026-12-01)" in output
    assert "'review_by' comes before 'reviewed'" in output


def test_d13_right_to_left_comes_from_the_locale_data_not_a_prefix():
    body = Body(participant="Text with a hidden \u202e override.")
    rtl = check_body(Path("ar.md"), body, Path("."), "ar")
    mapudungun = check_body(Path("arn.md"), body, Path("."), "arn")  # 'arn' starts with 'ar' but is written left to right
    assert not any("bidirectional" in p.message for p in rtl)
    assert any("bidirectional" in p.message for p in mapudungun)


def test_d18_the_default_workers_fit_in_memory(monkeypatch):
    import os

    from trainkit.pdf import pool as workers

    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PHYS_PAGES": 2 * 1024 * 1024, "SC_PAGE_SIZE": 4096}[name])  # 8 GiB
    monkeypatch.delenv("TRAINKIT_MEMORY_BUDGET", raising=False)
    assert workers.default_workers() == 4  # 8 GiB at 2 GiB per worker, not 64
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert workers.default_workers() == 2


def test_d18_jobs_help_says_what_it_sets(cli):
    assert "Documents rendered at once" in cli("build", "--help").output
