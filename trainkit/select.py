"""Pure assembly: a profile and the curriculum's lessons → the ordered lessons of a pack.

The rule, in order: lessons that share an audience with the profile, and a topic
when the profile lists topics, at or below max_level; plus `include`; minus
`exclude` and the profile's `optional` lessons (a workshop file adds those back
with `add:`); plus every prerequisite of what was chosen, transitively. Lessons then
come in prerequisite order; among lessons whose prerequisites are all placed, the
lower level comes first, then the topic that comes first in the vocabulary
(foundations, encryption, anonymity, pseudonyms, then the curriculum's own), then
the lesson id alphabetically. A workshop's `order` (lesson ids in the trainer's
order) comes before all of that: a listed lesson is taught as early as its place in
the list and its prerequisites allow, and a prerequisite moves up with the earliest
lesson that needs it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from .errors import Problem, warning
from .model import Curriculum, Lesson, Profile


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The lessons a profile resolves to, in teaching order, and why each is there."""

    profile: Profile
    lessons: tuple[Lesson, ...]
    pulled_in: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    @property
    def total_minutes(self) -> int:
        return sum(lesson.duration for lesson in self.lessons)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(lesson.id for lesson in self.lessons)


def matches(lesson: Lesson, profile: Profile) -> bool:
    """Whether the profile's filters (audience, topic, level) admit a lesson."""
    if not set(lesson.audiences) & set(profile.audiences):
        return False
    if profile.topics is not None and not set(lesson.topics) & set(profile.topics):
        return False
    return profile.max_level is None or lesson.level.rank <= profile.max_level.rank


def select_lessons(
    curriculum: Curriculum,
    profile: Profile,
    extra: tuple[str, ...] = (),
    dropped: tuple[str, ...] = (),
    budget: int | None = None,
    order: tuple[str, ...] = (),
) -> Selection:
    """Resolve a profile (plus a workshop's extra and dropped lessons) to an ordered Selection."""
    lessons = curriculum.lessons
    chosen = {ident for ident, lesson in lessons.items() if matches(lesson, profile)}
    chosen |= {ident for ident in (*profile.include, *extra) if ident in lessons}
    excluded = {ident for ident in (*profile.exclude, *dropped) if ident in lessons}
    chosen -= excluded
    chosen -= set(profile.optional) - set(extra)
    pulled_in = _pull_in_prerequisites(chosen, curriculum)
    problems: list[Problem] = []
    for ident in sorted(set(profile.optional) & set(pulled_in)):
        problems.append(
            warning(
                profile.path,
                profile.lines.get("optional"),
                f"'{ident}' is optional, but {_names(pulled_in[ident])} builds on it, so it is always in the pack",
                f"make {_names(pulled_in[ident])} optional too, or remove '{ident}' from optional",
            )
        )
    for ident in sorted(excluded & set(pulled_in)):
        problems.append(
            warning(
                profile.path,
                profile.lines.get("exclude"),
                f"'{ident}' is excluded, but {_names(pulled_in[ident])} builds on it, so it is included",
                f"exclude {_names(pulled_in[ident])} too to drop it",
            )
        )
    ordered = order_lessons([lessons[i] for i in chosen | set(pulled_in)], curriculum, order)
    selection = Selection(profile=profile, lessons=tuple(ordered), pulled_in=pulled_in)
    budget = budget if budget is not None else profile.time_budget
    if budget is not None and selection.total_minutes > budget:
        problems.append(
            warning(
                profile.path,
                profile.lines.get("time_budget"),
                f"profile '{profile.id}' needs {selection.total_minutes} minutes of teaching, over its budget of {budget} minutes",
                "raise time_budget, or exclude some lessons",
            )
        )
    if not ordered:
        problems.append(
            warning(profile.path, None, f"profile '{profile.id}' selects no lessons", "check its audiences, topics and max_level")
        )
    return Selection(profile=profile, lessons=selection.lessons, pulled_in=pulled_in, problems=tuple(problems))


def _pull_in_prerequisites(chosen: set[str], curriculum: Curriculum) -> dict[str, tuple[str, ...]]:
    """Every prerequisite not already chosen, with the chosen lessons that need it."""
    needed_by: dict[str, set[str]] = {}
    stack = sorted(chosen)
    seen = set(chosen)
    while stack:
        ident = stack.pop()
        for prerequisite in curriculum.lessons[ident].prerequisites:
            if prerequisite not in curriculum.lessons:
                continue
            if prerequisite not in chosen:
                needed_by.setdefault(prerequisite, set()).add(ident)
            if prerequisite not in seen:
                seen.add(prerequisite)
                stack.append(prerequisite)
    return {ident: tuple(sorted(by)) for ident, by in needed_by.items()}


def order_lessons(lessons: list[Lesson], curriculum: Curriculum, preferred: tuple[str, ...] = ()) -> list[Lesson]:
    """Prerequisites first; ties broken by the preferred order, level, topic order, then id (see module doc)."""
    topic_rank = {topic: rank for rank, topic in enumerate(curriculum.vocabulary.topics)}
    by_id = {lesson.id: lesson for lesson in lessons}
    waiting = {ident: {p for p in lesson.prerequisites if p in by_id and p != ident} for ident, lesson in by_id.items()}
    place = _places(preferred, waiting)

    def key(lesson: Lesson) -> tuple[int, int, int, str]:
        first_topic = min((topic_rank.get(t, len(topic_rank)) for t in lesson.topics), default=len(topic_rank))
        return (place.get(lesson.id, len(preferred)), lesson.level.rank, first_topic, lesson.id)

    ready = [key(by_id[i]) for i, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Lesson] = []
    while ready:
        ident = heapq.heappop(ready)[-1]
        ordered.append(by_id[ident])
        for other, deps in waiting.items():
            if ident in deps:
                deps.discard(ident)
                if not deps:
                    heapq.heappush(ready, key(by_id[other]))
    # A cycle (reported by check) leaves lessons waiting; keep them, in id order, at the end.
    placed = {lesson.id for lesson in ordered}
    ordered += sorted((by_id[i] for i in by_id if i not in placed), key=key)
    return ordered


def _places(preferred: tuple[str, ...], waiting: dict[str, set[str]]) -> dict[str, int]:
    """Each lesson's place in the preferred order; a prerequisite takes the earliest place of what needs it."""
    place = {ident: index for index, ident in reversed(list(enumerate(preferred))) if ident in waiting}
    changed = True
    while changed:
        changed = False
        for ident, prerequisites in waiting.items():
            if ident not in place:
                continue
            for prerequisite in prerequisites:
                if place.get(prerequisite, len(preferred)) > place[ident]:
                    place[prerequisite] = place[ident]
                    changed = True
    return place


def moved_for_prerequisites(preferred: tuple[str, ...], selection: Selection) -> list[tuple[str, str]]:
    """(prerequisite, lesson) pairs where the preferred order put a lesson before what it builds on."""
    position = {ident: index for index, ident in enumerate(preferred)}
    moved = []
    for lesson in selection.lessons:
        for prerequisite in lesson.prerequisites:
            if lesson.id in position and prerequisite in position and position[prerequisite] > position[lesson.id]:
                moved.append((prerequisite, lesson.id))
    return moved


def _names(idents: tuple[str, ...]) -> str:
    return ", ".join(f"'{i}'" for i in idents)
