"""What `list` shows: the curriculum's lessons, profiles and languages as plain rows (JSON-ready)."""

from __future__ import annotations

from typing import Any

from .i18n import is_rtl, language_name
from .model import Curriculum
from .select import select_lessons


def lesson_rows(curriculum: Curriculum) -> list[dict[str, Any]]:
    rows = []
    for lesson in curriculum.lessons.values():
        rows.append(
            {
                "id": lesson.id,
                "title": lesson.title,
                "summary": lesson.summary,
                "topics": list(lesson.topics),
                "audiences": list(lesson.audiences),
                "level": lesson.level.value,
                "duration": lesson.duration,
                "prerequisites": list(lesson.prerequisites),
                "objectives": list(lesson.objectives),
                "materials": list(lesson.materials),
                "tools": list(lesson.tools),
                "reviewed": lesson.reviewed.isoformat(),
                "review_by": lesson.review_by.isoformat(),
                "languages": [curriculum.source_language, *sorted(lesson.translations)],
                "slides": len(lesson.body.slides),
                "activities": len(lesson.body.activities),
                "path": str(lesson.path.relative_to(curriculum.root)),
            }
        )
    return rows


def profile_rows(curriculum: Curriculum) -> list[dict[str, Any]]:
    rows = []
    for profile in curriculum.profiles.values():
        selection = select_lessons(curriculum, profile)
        rows.append(
            {
                "id": profile.id,
                "title": profile.title,
                "description": profile.description,
                "audiences": list(profile.audiences),
                "topics": list(profile.topics) if profile.topics is not None else None,
                "max_level": profile.max_level.value if profile.max_level else None,
                "include": list(profile.include),
                "exclude": list(profile.exclude),
                "time_budget": profile.time_budget,
                "total_minutes": selection.total_minutes,
                "over_budget": profile.time_budget is not None and selection.total_minutes > profile.time_budget,
                "lessons": list(selection.ids),
                "pulled_in": {ident: list(by) for ident, by in sorted(selection.pulled_in.items())},
            }
        )
    return rows


def language_rows(curriculum: Curriculum) -> list[dict[str, Any]]:
    rows = []
    total = len(curriculum.lessons)
    for code in curriculum.languages:
        source = code == curriculum.source_language
        translated = total if source else sum(code in lesson.translations for lesson in curriculum.lessons.values())
        rows.append(
            {
                "code": code,
                "name": language_name(code),
                "english_name": language_name(code, "en"),
                "direction": "rtl" if is_rtl(code) else "ltr",
                "source": source,
                "translated": translated,
                "lessons": total,
            }
        )
    return rows
