"""Shared fixtures: scratch curricula written from dicts, the mini fixture, and a CLI runner
(helpers that are not fixtures, such as `lesson()`, are in support.py)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from support import Server, run, start, write_tree

FIXTURES = Path(__file__).parent / "fixtures"

CURRICULUM_YML = "title: Test curriculum\nsource_language: en\nlanguages: [en, es]\n"


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
    """support.run, as a fixture for the tests written that way."""
    return run


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`trainkit serve` in a subprocess on a copy of the mini curriculum, with one workshop file."""
    shutil.copytree(FIXTURES / "mini", tmp_path / "curriculum")
    (tmp_path / "workshops").mkdir()
    (tmp_path / "workshops" / "spring.yml").write_text("profile: whrd\ntitle: Spring school\n", encoding="utf-8")
    running: Server = start(tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def shipped_packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped curriculum's whrd and journalist packs in English and Arabic (handout,
    worksheets and slides), built once for the accessibility tests of the HTML and the PDFs."""
    from support import build

    out = tmp_path_factory.mktemp("shipped") / "out"
    curriculum = Path(__file__).resolve().parent.parent / "curriculum"
    choices = ["--profile", "whrd", "--profile", "journalist", "--lang", "en", "--lang", "ar"]
    result = build(curriculum, out, *choices, "--format", "handout", "--format", "slides")
    assert result.exit_code == 0, result.output
    return out
