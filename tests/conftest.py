"""Shared fixtures: scratch curricula written from dicts, the mini fixture, and a CLI runner."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from trees import write_tree

from trainkit.cli import main

FIXTURES = Path(__file__).parent / "fixtures"

CURRICULUM_YML = "title: Test curriculum\nsource_language: en\nlanguages: [en, es]\n"

LESSON = """\
---
title: {title}
summary: A lesson used by the tests.
topics: [{topics}]
audiences: [{audiences}]
level: {level}
duration: {duration}
prerequisites: [{prerequisites}]
objectives:
  - Explain one thing.
reviewed: 2026-01-01
review_by: 2099-01-01
---

Participant text for {title}.
"""


def lesson_text(
    title: str = "A lesson",
    topics: str = "encryption",
    audiences: str = "journalist",
    level: str = "beginner",
    duration: int = 30,
    prerequisites: str = "",
) -> str:
    return LESSON.format(title=title, topics=topics, audiences=audiences, level=level, duration=duration, prerequisites=prerequisites)


@pytest.fixture
def make_curriculum(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write {relative path: text} under tmp_path/curriculum (curriculum.yml added if absent)."""

    def make(files: dict[str, str], base: Path | None = None) -> Path:
        root = (base or tmp_path) / "curriculum"
        files = {"curriculum.yml": CURRICULUM_YML, **files}
        dedented = {n: textwrap.dedent(t) if isinstance(t, str) and t.startswith("\n") else t for n, t in files.items()}
        return write_tree(root, dedented)

    return make


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A copy of the realistic fixture curriculum: 3 lessons, 2 languages, 2 profiles."""
    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    return root


@pytest.fixture
def cli() -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke
