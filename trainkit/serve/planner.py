"""A workshop being planned in the browser → its lessons, agenda and budget, or its problems.

In: the planner's values (the keys of a workshop file, as JSON) and the loaded curriculum.
Out: a Plan. The values are written as the workshop file they would save as
(`workshop.workshop_text`) and read back with the same `parse_workshop` that
`build --workshop` uses, so a value the planner accepts is one the build accepts, and
each problem is the build's own message, filed under the field it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..agenda import plan_days
from ..errors import ContentError, Problem
from ..model import Curriculum
from ..select import moved_for_prerequisites, select_lessons
from ..workshop import FIELDS, WorkshopPlan, days_warning, parse_workshop, workshop_text

KEYS = tuple(key for key, _ in FIELDS)
LISTS = ("add", "drop", "order")


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    text: str  # the workshop file these values save as
    workshop: WorkshopPlan | None = None
    problems: tuple[Problem, ...] = ()
    fields: dict[str, list[str]] = field(default_factory=dict)  # field → the problems to show next to it

    @property
    def ok(self) -> bool:
        return self.workshop is not None


def clean_values(values: Any) -> dict[str, Any]:
    """Only the keys a workshop file has; lists as lists of text, the rest as given (the schema judges)."""
    if not isinstance(values, dict):
        return {}
    cleaned: dict[str, Any] = {}
    for key in KEYS:
        value = values.get(key)
        if key in LISTS:
            cleaned[key] = [str(v) for v in value if isinstance(v, str | int)] if isinstance(value, list) else []
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int | str):
            cleaned[key] = value
        elif isinstance(value, float) and value.is_integer():
            cleaned[key] = int(value)
        else:
            cleaned[key] = str(value)
    return cleaned


def check_plan(values: dict[str, Any], path: Path, curriculum: Curriculum) -> Plan:
    """The values as a workshop file at `path`, checked as `build --workshop` checks one."""
    text = workshop_text(values, path.stem)
    line_keys = {number: line.split(":", 1)[0] for number, line in enumerate(text.splitlines(), 1) if not line.startswith("#")}
    try:
        workshop = parse_workshop(text, path, curriculum)
    except ContentError as failed:
        fields: dict[str, list[str]] = {}
        for problem in failed.problems:
            key = line_keys.get(problem.line or 0, "")
            if key not in KEYS:
                key = "profile" if "profile" in problem.message and "profile" not in values else ""
            fields.setdefault(key, []).append(problem.format(path.parent.parent))
        return Plan(text=text, problems=tuple(failed.problems), fields=fields)
    return Plan(text=text, workshop=workshop, problems=workshop.warnings)


def describe(plan: Plan, curriculum: Curriculum, lang: str) -> dict[str, Any]:
    """What the planner shows for a checked plan: lessons in order with clock times, budget, notes."""
    result: dict[str, Any] = {"ok": plan.ok, "text": plan.text, "errors": plan.fields, "notes": [], "days": [], "lessons": []}
    workshop = plan.workshop
    if workshop is None:
        return result
    profile = curriculum.profiles[workshop.profile]
    selection = select_lessons(curriculum, profile, workshop.add, workshop.drop, workshop.time_budget, workshop.order)
    days = plan_days(selection.lessons, workshop.schedule)
    notes = []
    for ident, needed_by in sorted(selection.pulled_in.items()):
        # a dropped lesson that others build on stays: said as such
        notes.append({"kind": "kept" if ident in workshop.drop else "pulled-in", "lesson": ident, "by": list(needed_by)})
    for prerequisite, lesson in moved_for_prerequisites(workshop.order, selection):
        notes.append({"kind": "moved", "lesson": prerequisite, "by": [lesson]})
    budget = workshop.time_budget if workshop.time_budget is not None else profile.time_budget
    late = days_warning(workshop, len(days))
    chosen = set(selection.ids)
    result.update(
        {
            "profile": profile.id,
            "lessons": [_lesson(curriculum.lessons[i], lang) for i in selection.ids],
            "available": [_lesson(lesson, lang) for ident, lesson in sorted(curriculum.lessons.items()) if ident not in chosen],
            "total_minutes": selection.total_minutes,
            "budget": budget,
            "over_budget": budget is not None and selection.total_minutes > budget,
            "days_needed": len(days),
            "days_planned": workshop.days,
            "too_long": late.message if late else None,
            "notes": notes,
            "days": [
                {
                    "number": day.number,
                    "date": _day_date(workshop, day.number),
                    "slots": [
                        {
                            "kind": slot.kind,
                            "start": slot.start.strftime("%H:%M"),
                            "end": slot.end.strftime("%H:%M"),
                            "minutes": slot.minutes,
                            "lesson": slot.lesson.id if slot.lesson else None,
                            "title": _title(slot.lesson, lang) if slot.lesson else None,
                        }
                        for slot in day.slots
                    ],
                }
                for day in days
            ],
        }
    )
    return result


def _day_date(workshop: WorkshopPlan, number: int) -> str | None:
    if not workshop.details.date:
        return None
    return (dt.date.fromisoformat(workshop.details.date) + dt.timedelta(days=number - 1)).isoformat()


def _title(lesson: Any, lang: str) -> str:
    translation = lesson.translations.get(lang)
    return translation.title if translation else lesson.title


def _lesson(lesson: Any, lang: str) -> dict[str, Any]:
    return {
        "id": lesson.id,
        "title": _title(lesson, lang),
        "minutes": lesson.duration,
        "level": lesson.level.value,
        "prerequisites": list(lesson.prerequisites),
    }


def values_of(workshop: WorkshopPlan) -> dict[str, Any]:
    """A loaded workshop file as the planner's values (opening a saved workshop)."""
    schedule = workshop.schedule
    return {
        "profile": workshop.profile,
        "title": workshop.details.title,
        "date": workshop.details.date,
        "place": workshop.details.place,
        "trainer": workshop.details.trainer,
        "start": schedule.start.strftime("%H:%M"),
        "end": schedule.end.strftime("%H:%M"),
        "days": workshop.days,
        "lunch_at": schedule.lunch_at.strftime("%H:%M"),
        "lunch_minutes": schedule.lunch_minutes,
        "break_every": schedule.break_every,
        "break_minutes": schedule.break_minutes,
        "add": list(workshop.add),
        "drop": list(workshop.drop),
        "order": list(workshop.order),
        "time_budget": workshop.time_budget,
    }
