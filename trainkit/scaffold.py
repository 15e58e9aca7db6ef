"""Scaffolding: `new lesson ID` writes a lesson file from templates/lesson.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from string import Template

from .errors import UsageError
from .files import read_text
from .model import ID_PATTERN, a_year_after
from .render import templates_dir


def source_language(curriculum: Path) -> str:
    from .loader import load_curriculum

    loaded, _ = load_curriculum(curriculum)
    if loaded is None:
        raise UsageError(f"cannot read {curriculum / 'curriculum.yml'}", "run 'trainkit check' to see what is wrong")
    return loaded.source_language


def scaffold_lesson(curriculum: Path, lesson_id: str, today: dt.date) -> Path:
    """Create lessons/<id>/<source>.md; refuse a bad id or an existing lesson."""
    if not ID_PATTERN.match(lesson_id):
        raise UsageError(f"'{lesson_id}' is not a valid lesson id", "use lowercase letters, digits and '-', for example: tor-for-beginners")
    folder = curriculum / "lessons" / lesson_id
    if folder.exists():
        raise UsageError(f"lesson '{lesson_id}' already exists at {folder}", "pick another id, or edit the existing lesson")
    lang = source_language(curriculum)
    templates = templates_dir()
    template = Template(read_text(templates / "lesson.md", templates))
    title = lesson_id.replace("-", " ").capitalize()
    text = template.substitute(
        title=title,
        today=today.isoformat(),
        review_by=a_year_after(today).isoformat(),
    )
    folder.mkdir(parents=True)
    path = folder / f"{lang}.md"
    path.write_text(text, encoding="utf-8")
    return path
