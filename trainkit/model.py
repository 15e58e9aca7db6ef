"""The content model: plain frozen data made once by the loader and only read after.

No I/O here. Every object built from a file remembers where it came from
(path and line), so any later stage can point the author at the right line.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def a_year_after(date: dt.date) -> dt.date:
    """The same day a year later (29 February becomes 28 February): the default `review_by`."""
    try:
        return date.replace(year=date.year + 1)
    except ValueError:
        return date.replace(year=date.year + 1, day=28)


class Level(enum.Enum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class Phase(enum.Enum):
    """ADIDS: the phases of an adult-learning session."""

    ACTIVITY = "activity"
    DISCUSSION = "discussion"
    INPUT = "input"
    DEEPENING = "deepening"
    SYNTHESIS = "synthesis"


class Group(enum.Enum):
    INDIVIDUAL = "individual"
    PAIRS = "pairs"
    SMALL_GROUPS = "small-groups"
    WHOLE_GROUP = "whole-group"


class Paper(enum.Enum):
    A4 = "a4"
    LETTER = "letter"


class Format(enum.Enum):
    HANDOUT = "handout"
    GUIDE = "guide"
    SLIDES = "slides"


DEFAULT_TOPICS = {
    "foundations": "Foundations",
    "encryption": "Encryption",
    "anonymity": "Anonymity",
    "pseudonyms": "Pseudonyms",
}
DEFAULT_AUDIENCES = {
    "journalist": "Journalists",
    "whrd": "Women human rights defenders",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Vocabulary:
    """Stable ids with a label per language; ids are never translated in place."""

    topics: dict[str, dict[str, str]]
    audiences: dict[str, dict[str, str]]

    def label(self, kind: str, ident: str, lang: str, source_language: str) -> str:
        labels = getattr(self, kind).get(ident, {})
        return labels.get(lang) or labels.get(source_language) or labels.get("en") or ident


@dataclass(frozen=True, slots=True, kw_only=True)
class Ref:
    """A link or image reference in a lesson body."""

    target: str
    text: str
    line: int
    is_image: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Slide:
    title: str
    markdown: str
    notes: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    title: str
    phase: Phase
    minutes: int
    group: Group | None
    markdown: str
    line: int


class FieldKind(enum.Enum):
    """What a worksheet field takes: one line, several lines, a tick, or a small table."""

    LINE = "line"
    LINES = "lines"
    CHECK = "check"
    TABLE = "table"


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One field of a worksheet: `- [kind id=… rows=…] Label`, with a table's columns as sub-items."""

    kind: FieldKind
    id: str
    label: str
    rows: int = 1
    columns: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Worksheet:
    """A `::: worksheet {id=…}` block: a form the participant fills in (PDF) or prints."""

    id: str
    title: str
    markdown: str  # the instructions above the fields
    fields: tuple[Field, ...]
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """A `::: only {audience=…}` block: text kept only in packs whose profile serves one of `audiences`."""

    line: int
    audiences: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Caution:
    """A `::: caution` block: a safety warning shown where it is written.

    `container` is the block that holds it (participant, checklist, slides, activity,
    facilitator); `section` names the `##` section or checklist block it sits in."""

    line: int
    markdown: str
    container: str
    section: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """A numbered step of the participant text or a checklist item (what a caution must precede)."""

    line: int
    text: str
    container: str
    section: str


@dataclass(frozen=True, kw_only=True)
class Body:
    """A lesson body split into its parts (see PRODUCT.md, fenced divs).

    `refs` (every link and image it renders to) is worked out when first asked for:
    it converts every piece of Markdown, and a build asks only for the languages it
    builds. Not slotted, so that it can keep that answer."""

    participant: str
    keypoints: str = ""
    checklist: str = ""
    facilitator: str = ""
    slides: tuple[Slide, ...] = ()
    activities: tuple[Activity, ...] = ()
    cautions: tuple[Caution, ...] = ()
    steps: tuple[Step, ...] = ()
    variants: tuple[Variant, ...] = ()
    worksheets: tuple[Worksheet, ...] = ()
    # The text it was parsed from, kept when it has variants: a pack parses it again for its audiences.
    text: str = ""
    first_line: int = 0
    # The numbered lines it was parsed from, for the line each link and image is written on.
    lines: tuple[tuple[int, str], ...] = field(default=(), compare=False, repr=False)

    @cached_property
    def refs(self) -> tuple[Ref, ...]:
        from .blocks import find_refs

        return tuple(find_refs(self))

    def block_names(self) -> frozenset[str]:
        """Which kinds of part this body has (used to spot structural drift)."""
        names = {n for n in ("keypoints", "checklist", "facilitator") if getattr(self, n).strip()}
        if self.slides:
            names.add("slides")
        if any(s.notes.strip() for s in self.slides):
            names.add("notes")
        if self.activities:
            names.add("activity")
        if self.cautions:
            names.add("caution")
        if self.worksheets:
            names.add("worksheet")
        return frozenset(names)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verify:
    """A claim the trainer re-checks before teaching (`verify:` in the front matter)."""

    claim: str
    where: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Translation:
    lang: str
    path: Path
    title: str
    summary: str
    objectives: tuple[str, ...]
    materials: tuple[str, ...] = ()
    verify: tuple[Verify, ...] = ()
    source_fingerprint: str
    source_commit: str | None
    body: Body
    untranslated: tuple[str, ...] = ()  # segments left in the source text (a partial translation, po.py)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lesson:
    id: str
    path: Path  # the source-language file
    title: str
    summary: str
    topics: tuple[str, ...]
    audiences: tuple[str, ...]
    level: Level
    duration: int
    prerequisites: tuple[str, ...]
    objectives: tuple[str, ...]
    materials: tuple[str, ...]
    tools: tuple[str, ...]
    reviewed: dt.date
    review_by: dt.date
    body: Body
    fingerprint: str
    verify: tuple[Verify, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    translations: dict[str, Translation] = field(default_factory=dict, compare=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    id: str
    path: Path
    title: str
    description: str
    audiences: tuple[str, ...]
    topics: tuple[str, ...] | None
    max_level: Level | None
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    time_budget: int | None
    optional: tuple[str, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    titles: dict[str, str] = field(default_factory=dict, compare=False)
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang, self.title)

    def description_in(self, lang: str) -> str:
        return self.descriptions.get(lang, self.description)


@dataclass(frozen=True, slots=True, kw_only=True)
class GlossaryEntry:
    id: str
    term: str
    definition: str
    lessons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Persona:
    """A fictional person of the cast, in one language."""

    id: str
    name: str
    about: str
    audience: str = ""
    also_called: tuple[str, ...] = ()


# Verbs that, in a numbered step or a checklist item, call for a `::: caution` in the same
# section: each can alert whoever set up surveillance, or endanger someone at the wrong time.
DEFAULT_CAUTION_VERBS = (
    "remove",
    "delete",
    "sign out",
    "log out",
    "turn off",
    "stop sharing",
    "reset",
    "uninstall",
    "block",
    "factory reset",
)


@cache
def caution_verbs_pattern(verbs: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for the verb phrases as instructions: the base form ("Remove", "to delete"),
    with at most one word between a verb and its particle ("turn it off"). Descriptions such
    as "blocks screenshots" or "is blocked" are not steps to take, so inflections do not count."""
    alternatives = []
    for phrase in verbs:
        words = phrase.lower().split()
        if not words:
            continue
        head = re.escape(words[0])
        tail = "".join(rf"(?:\s+\S+)?\s+{re.escape(word)}" if i == 0 else rf"\s+{re.escape(word)}" for i, word in enumerate(words[1:]))
        alternatives.append(head + tail)
    if not alternatives:
        return None
    return re.compile(rf"(?<![\w-])(?:{'|'.join(sorted(alternatives, key=len, reverse=True))})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Workshop:
    """What a trainer's workshop file adds to the cover and agenda."""

    title: str = ""
    date: str = ""
    place: str = ""
    trainer: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Curriculum:
    root: Path
    title: str
    description: str
    source_language: str
    languages: tuple[str, ...]
    paper: Paper
    vocabulary: Vocabulary
    lessons: dict[str, Lesson]
    profiles: dict[str, Profile]
    glossaries: dict[str, dict[str, GlossaryEntry]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    link_equivalents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    caution_verbs: tuple[str, ...] = DEFAULT_CAUTION_VERBS
    personas: dict[str, dict[str, Persona]] = field(default_factory=dict)  # language → id → person
    personas_path: Path | None = None
    not_names: tuple[str, ...] = ()  # capitalised words the cast check must not take for people

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang, self.title)
