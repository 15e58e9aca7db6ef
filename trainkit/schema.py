"""Schemas of the curriculum's YAML (front matter, curriculum.yml, profiles, glossary).

Pydantic does the type work (text to int, date, enum; unknown keys refused); this
module turns its errors into Problems with the file line of the offending value.
Values arrive as literal text from yamlsafe, so `no` or `1.10` never change meaning.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from .errors import Problem, did_you_mean, error
from .model import Level, Paper
from .yamlsafe import YamlDoc


def _as_list(value: Any) -> Any:
    """Accept a single text where a list is expected (`topics: encryption`)."""
    if isinstance(value, str):
        return [value]
    if value is None:
        return []
    return value


Text = Annotated[str, Field(min_length=1)]
TextList = Annotated[list[Text], BeforeValidator(_as_list)]
Minutes = Annotated[int, Field(gt=0, le=6000)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class VerifyMeta(_Schema):
    """A claim a trainer must re-check before teaching, and where to check it."""

    claim: Text
    where: Text


class LessonMeta(_Schema):
    title: Text
    summary: Text
    topics: Annotated[TextList, Field(min_length=1)]
    audiences: Annotated[TextList, Field(min_length=1)]
    level: Level
    duration: Minutes
    prerequisites: TextList = []
    objectives: Annotated[TextList, Field(min_length=1)]
    materials: TextList = []
    tools: TextList = []
    reviewed: dt.date
    review_by: dt.date | None = None
    verify: list[VerifyMeta] = []


# What only the source-language file may say: the facts of a lesson.
# Materials are text a trainer reads, so they are translated too.
SOURCE_ONLY_KEYS = frozenset(LessonMeta.model_fields) - {"title", "summary", "objectives", "materials", "verify"}


class TranslationMeta(_Schema):
    title: Text
    summary: Text | None = None
    objectives: TextList = []
    materials: TextList = []
    verify: list[VerifyMeta] = []
    source_fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    source_commit: Annotated[str, Field(pattern=r"^[0-9a-f]{7,64}$")] | None = None
    translators: TextList = []
    untranslated: TextList = []  # segments (segments.py ctx ids) still in the source text: a partial translation


class Defaults(_Schema):
    paper: Paper = Paper.A4


class CurriculumMeta(_Schema):
    title: Text
    description: str = ""
    source_language: Text
    languages: TextList = []
    defaults: Defaults = Defaults()
    titles: dict[str, Text] = {}
    topics: dict[str, Text | dict[str, Text]] = {}
    audiences: dict[str, Text | dict[str, Text]] = {}
    link_equivalents: dict[str, TextList] = {}
    caution_verbs: TextList | None = None
    not_names: TextList = []


class ProfileMeta(_Schema):
    title: Text
    description: str = ""
    audiences: Annotated[TextList, Field(min_length=1)]
    topics: TextList | None = None
    max_level: Level | None = None
    include: TextList = []
    exclude: TextList = []
    optional: TextList = []
    time_budget: Minutes | None = None


class ProfileTranslationMeta(_Schema):
    title: Text
    description: str = ""


class GlossaryEntryMeta(_Schema):
    term: Text
    definition: Text
    lessons: TextList = []

    @field_validator("term", "definition")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


class PersonaTranslationMeta(_Schema):
    """A person of the cast in another language (personas/<lang>.yml): the name as written there."""

    name: Text
    about: Text
    also_called: TextList = []

    @field_validator("about")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


class PersonaMeta(PersonaTranslationMeta):
    """A person of the cast in the source language (personas/<source>.yml)."""

    audience: str = ""


M = TypeVar("M", bound=_Schema)

_FRIENDLY = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD",
    "date_parsing": "must be a date written YYYY-MM-DD",
    "time_parsing": "must be a time written HH:MM",
    "time_type": "must be a time written HH:MM",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
    "greater_than": "must be greater than zero",
    "less_than_equal": "is too large",
}

_HINTS = {
    "date_from_datetime_parsing": "for example 2026-11-27",
    "date_parsing": "for example 2026-11-27",
    "int_parsing": "write minutes as digits, for example 45",
    "time_parsing": 'for example "09:30"',
}


def validate(schema: type[M], doc: YamlDoc, path: Path, what: str) -> tuple[M | None, list[Problem]]:
    """Validate loaded YAML against `schema`; every failure becomes a Problem with a line."""
    data = doc.data
    if not isinstance(data, dict):
        return None, [
            error(path, doc.line_of(()), f"{what} must be a mapping of keys to values", f"expected keys: {', '.join(schema.model_fields)}")
        ]
    try:
        return schema.model_validate(data), []
    except ValidationError as exc:
        return None, [_problem(schema, e, doc, path) for e in exc.errors()]


def _problem(schema: type[_Schema], err: Any, doc: YamlDoc, path: Path) -> Problem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    name = ".".join(str(p) for p in loc) or "value"
    line = doc.line_of(loc)
    value = err.get("input")
    if kind == "extra_forbidden":
        known = _fields_at(schema, loc[:-1])
        return error(path, line, f"unknown key '{loc[-1]}'", did_you_mean(str(loc[-1]), known, "allowed keys"))
    if kind == "missing":
        return error(path, line, f"missing required key '{name}'", None)
    if kind == "enum":
        choices = err.get("ctx", {}).get("expected", "").replace("'", "")
        return error(
            path,
            line,
            f"'{value}' is not a valid {loc[-1]}",
            did_you_mean(str(value), [c.strip() for c in choices.replace(" or ", ",").split(",") if c.strip()], f"{loc[-1]} is one of"),
        )
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "source_fingerprint":
        return error(
            path,
            line,
            f"source_fingerprint '{value}' is not a fingerprint",
            "it is 16 hex digits written by 'translate new'; run 'translate mark-current' to set it",
        )
    message = _FRIENDLY.get(kind, err["msg"].lower())
    shown = f" (found '{value}')" if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return error(path, line, f"'{name}' {message}{shown}", _HINTS.get(kind))


def _fields_at(schema: type[_Schema], loc: tuple[Any, ...]) -> list[str]:
    model: Any = schema
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) and hasattr(model, "model_fields") else None
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return list(getattr(model, "model_fields", {}))
        model = field.annotation
    return list(model.model_fields)


class WorkshopMeta(_Schema):
    profile: Text
    title: str = ""
    date: dt.date | None = None
    place: str = ""
    trainer: str = ""
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 30)
    days: Annotated[int, Field(gt=0, le=30)] | None = None
    add: TextList = []
    drop: TextList = []
    order: TextList = []
    time_budget: Minutes | None = None
    lunch_at: dt.time = dt.time(12, 30)
    lunch_minutes: Annotated[int, Field(ge=0, le=180)] = 60
    break_every: Annotated[int, Field(gt=0, le=600)] = 90
    break_minutes: Annotated[int, Field(ge=0, le=120)] = 15
