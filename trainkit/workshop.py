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
    order: tuple[str, ...]
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
    try:
        text = read_text(path, path.parent)
    except Refused as refused:
        raise ContentError([error(path, refused.line, refused.message)]) from None
    return parse_workshop(text, path, curriculum)


def parse_workshop(text: str, path: Path, curriculum: Curriculum) -> WorkshopPlan:
    """Check a workshop file's text (as if read from `path`); ContentError with every problem."""
    problems: list[Problem] = []
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
    for key in ("add", "drop", "order"):
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
        order=tuple(meta.order),
        time_budget=meta.time_budget,
        warnings=tuple(problems),
    )


# The keys of a workshop file in the order `workshop_text` writes them, with the comment each gets.
FIELDS = (
    ("profile", "the audience profile (trainkit list profiles)"),
    ("title", ""),
    ("date", "YYYY-MM-DD"),
    ("place", ""),
    ("trainer", ""),
    ("start", "quote times"),
    ("end", ""),
    ("days", ""),
    ("lunch_at", ""),
    ("lunch_minutes", ""),
    ("break_every", "a break after this many minutes of teaching"),
    ("break_minutes", ""),
    ("add", "extra lessons, by id (trainkit list lessons)"),
    ("drop", "lessons to leave out"),
    ("order", "lessons in teaching order (prerequisites still come first)"),
    ("time_budget", "minutes of teaching"),
)


def workshop_text(values: dict[str, object], name: str = "NAME") -> str:
    """A workshop file for `values` (what the planner saves): every value quoted as YAML text,
    so that nothing changes meaning on the way back (`no`, `1.10`, times)."""
    import json

    lines = ["# One workshop, saved by the planner (trainkit serve); build it with:", f"#   trainkit build --workshop {name}"]
    for key, comment in FIELDS:
        value = values.get(key)
        if value is None or value == "" or (key in ("title", "place", "trainer", "date") and not value):
            continue
        if isinstance(value, list | tuple):
            shown = "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
        elif isinstance(value, bool):
            shown = json.dumps(str(value).lower())
        elif isinstance(value, int):
            shown = str(value)
        else:
            shown = json.dumps(" ".join(str(value).split()), ensure_ascii=False)  # one line: a newline cannot start a new key
        lines.append(f"{key}: {shown}" + (f"  # {comment}" if comment else ""))
    return "\n".join(lines) + "\n"


def days_warning(plan: WorkshopPlan, needed: int) -> Problem | None:
    if plan.days is not None and needed > plan.days:
        return warning(
            plan.path,
            None,
            f"the lessons need {needed} days with these times, but the workshop has {plan.days}",
            "drop lessons, or lengthen the days with 'start' and 'end'",
        )
    return None
