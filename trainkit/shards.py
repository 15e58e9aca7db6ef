"""One build split across machines: every pack (profile × language) goes to exactly one of N shards.

In: the checked curriculum, the packs a build would make, and N. Out: N `Shard`s,
each with its packs and their estimated pages, the same on every machine: the
estimate reads only the lessons' text (never paths, file times or the machine),
and ties are broken by the packs' names.

A CI matrix runs `trainkit build --shard K/N` on N machines; each builds its share
exactly as a whole build would build it, so the union of the shards' output folders
is the whole build's, file for file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError
from .model import Body, Curriculum
from .select import select_lessons
from .workshop import WorkshopPlan

# Rough characters of Markdown per printed page (handout or guide, 11.5 pt on A4).
_CHARS_PER_PAGE = 2200


@dataclass(frozen=True, slots=True)
class Shard:
    number: int  # 1-based, as `--shard K/N` names it
    total: int
    packs: tuple[tuple[str, str], ...]  # (profile, language), in build order
    pages: int  # estimated pages it lays out (a lesson shared by two of its packs counts once)


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' → (K, N), with 1 ≤ K ≤ N; UsageError otherwise."""
    number, _, total = text.partition("/")
    if not (number.isdigit() and total.isdigit()) or not 1 <= int(number) <= int(total):
        raise UsageError(
            f"--shard takes K/N with 1 ≤ K ≤ N, for example 2/4 (found '{text}')",
            "see which packs each shard builds with: trainkit build --list-shards N",
        )
    return int(number), int(total)


@dataclass(frozen=True, slots=True)
class PackCost:
    """What a pack costs to build, in estimated pages: its lessons' handout and guide pages,
    which every pack of the same language on the same machine shares (a lesson is laid out
    once), and its own: slides, covers, contents and the assembly of its documents."""

    lessons: dict[tuple[str, str], int]  # (lesson, language) → handout and guide pages
    own: int

    @property
    def alone(self) -> int:
        return self.own + sum(self.lessons.values())


def _lesson_pages(body: Body) -> int:
    handout = len(body.participant) + len(body.keypoints) + len(body.checklist)
    guide = handout + len(body.facilitator) + sum(len(activity.markdown) for activity in body.activities)
    return 2 + (handout + guide) // _CHARS_PER_PAGE


def pack_cost(curriculum: Curriculum, profile_id: str, lang: str, workshop: WorkshopPlan | None = None) -> PackCost:
    """A pack's cost, from the text each of its lessons shows in `lang` (its translation, or
    the source it falls back to)."""
    add, drop = (workshop.add, workshop.drop) if workshop and workshop.profile == profile_id else ((), ())
    selection = select_lessons(curriculum, curriculum.profiles[profile_id], add, drop)
    lessons, slides = {}, 0
    for lesson in selection.lessons:
        translation = lesson.translations.get(lang)
        body = translation.body if translation else lesson.body
        lessons[(lesson.id, lang)] = _lesson_pages(body)  # a lesson in its source text still has this pack's headings
        slides += len(body.slides)
    # Every page of a handout or guide is stamped with its footer when assembled: about a sixth of laying it out.
    return PackCost(lessons=lessons, own=4 + slides + sum(lessons.values()) // 6)


def estimated_pages(curriculum: Curriculum, profile_id: str, lang: str, workshop: WorkshopPlan | None = None) -> int:
    """The pages a machine lays out to build this pack alone."""
    return pack_cost(curriculum, profile_id, lang, workshop).alone


def _cost(packs: list[tuple[str, str]], costs: dict[tuple[str, str], PackCost]) -> int:
    """Pages to lay out to build `packs` on one machine: each shared lesson once."""
    lessons: dict[tuple[str, str], int] = {}
    for pack in packs:
        lessons.update(costs[pack].lessons)
    return sum(costs[pack].own for pack in packs) + sum(lessons.values())


def _deal(groups: list[list[tuple[str, str]]], total: int, costs: dict[tuple[str, str], PackCost]) -> list[list[tuple[str, str]]]:
    """Groups of packs dealt to `total` machines, largest first, each to the machine whose
    load grows least with it (a lesson it already lays out costs nothing more); ties go to
    the lowest-numbered machine."""
    dealt: list[list[tuple[str, str]]] = [[] for _ in range(total)]
    for group in sorted(groups, key=lambda group: (-_cost(group, costs), group)):
        number = min(range(total), key=lambda n: (_cost(dealt[n] + group, costs), n))
        dealt[number] += group
    return dealt


def split(curriculum: Curriculum, packs: list[tuple[str, str]], total: int, workshop: WorkshopPlan | None = None) -> list[Shard]:
    """The packs dealt to `total` shards, the same on every machine.

    Packs of one language share their lessons' layout, so they start as one group per
    language; the largest group is then split in two, again and again, down to one pack
    per group. Each way of grouping is dealt to the shards, and the one whose largest shard
    is smallest wins (on a tie, the one with fewer splits): a matrix waits for its slowest
    machine. Every step breaks ties by shard number and pack names."""
    costs = {pack: pack_cost(curriculum, *pack, workshop) for pack in packs}
    groups = [[pack for pack in packs if pack[1] == lang] for lang in dict.fromkeys(lang for _, lang in packs)]
    best = _deal(groups, total, costs)
    while divisible := [group for group in groups if len(group) > 1]:
        largest = min(divisible, key=lambda group: (-_cost(group, costs), group))
        groups.remove(largest)
        groups += [half for half in _deal([[pack] for pack in largest], 2, costs) if half]
        dealt = _deal(groups, total, costs)
        if max(_cost(shard, costs) for shard in dealt) < max(_cost(shard, costs) for shard in best):
            best = dealt
    position = {pack: index for index, pack in enumerate(packs)}
    return [
        Shard(number=n + 1, total=total, packs=tuple(sorted(best[n], key=position.__getitem__)), pages=_cost(best[n], costs))
        for n in range(total)
    ]
