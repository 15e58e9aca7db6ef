"""A trainer's workshop file (`workshops/<name>.yml` or any path): profile, dates, times, changes.

In: the file. Out: a Workshop plan (schedule, extra and dropped lessons, budget) or Problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import schema
from .agenda import Schedule
from .errors import ContentError, Problem, UsageError, did_you_mean, error, warning
from .files import Refused, read_text
from .model import Curriculum, Workshop
from .yamlsafe import load_yaml


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkshopPlan:
    path: Path
    profile: str
    details: Workshop
    schedule: Schedule
    days: int | None
    add: tuple[str, ...]
    drop: tuple[str, ...]
    time_budget: int | None
    warnings: tuple[Problem, ...] = ()


def find_workshop(name: str, cwd: Path) -> Path:
    """A path as given, or `workshops/<name>.yml` under the working folder."""
    candidates = [Path(name), cwd / "workshops" / f"{name}.yml", cwd / "workshops" / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.absolute()
    raise UsageError(f"workshop file '{name}' not found", "give a path to a .yml file, or a name from workshops/")


def load_workshop(path: Path, curriculum: Curriculum) -> WorkshopPlan:
    """Read and check a workshop file; ContentError with every problem if it is wrong."""
    problems: list[Problem] = []
    try:
        text = read_text(path, path.parent)
    except Refused as refused:
        raise ContentError([error(path, refused.line, refused.message)]) from None
    doc, found = load_yaml(text, path)
    problems += found
    meta = None
    if doc is not None and not any(p.is_error for p in found):
        meta, found = schema.validate(schema.WorkshopMeta, doc, path, "a workshop file")
        problems += found
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    profile = data.get("profile")
    if isinstance(profile, str) and profile not in curriculum.profiles:
        problems.append(
            error(path, doc.line_of(("profile",)), f"unknown profile '{profile}'", did_you_mean(profile, curriculum.profiles, "profiles"))
        )
    for key in ("add", "drop"):
        values = data.get(key) or []
        for ident in [values] if isinstance(values, str) else values:
            if isinstance(ident, str) and ident not in curriculum.lessons:
                problems.append(
                    error(
                        path, doc.line_of((key,)), f"unknown lesson '{ident}' in {key}", did_you_mean(ident, curriculum.lessons, "lessons")
                    )
                )
    if meta is not None:
        if meta.end <= meta.start:
            problems.append(error(path, doc.line_of(("end",)), "the day ends before it starts", "'end' must be later than 'start'"))
    if any(p.is_error for p in problems) or meta is None:
        raise ContentError(problems)
    details = Workshop(title=meta.title, date=meta.date.isoformat() if meta.date else "", place=meta.place, trainer=meta.trainer)
    schedule = Schedule(
        start=meta.start,
        end=meta.end,
        break_every=meta.break_every,
        break_minutes=meta.break_minutes,
        lunch_at=meta.lunch_at,
        lunch_minutes=meta.lunch_minutes,
    )
    return WorkshopPlan(
        path=path,
        profile=meta.profile,
        details=details,
        schedule=schedule,
        days=meta.days,
        add=tuple(meta.add),
        drop=tuple(meta.drop),
        time_budget=meta.time_budget,
        warnings=tuple(problems),
    )


def days_warning(plan: WorkshopPlan, needed: int) -> Problem | None:
    if plan.days is not None and needed > plan.days:
        return warning(
            plan.path,
            None,
            f"the lessons need {needed} days with these times, but the workshop has {plan.days}",
            "drop lessons, or lengthen the days with 'start' and 'end'",
        )
    return None
