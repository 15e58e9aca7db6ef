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

import heapq
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
    pages: int  # estimated pages of every file of its packs


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' → (K, N), with 1 ≤ K ≤ N; UsageError otherwise."""
    number, _, total = text.partition("/")
    if not (number.isdigit() and total.isdigit()) or not 1 <= int(number) <= int(total):
        raise UsageError(
            f"--shard takes K/N with 1 ≤ K ≤ N, for example 2/4 (found '{text}')",
            "see which packs each shard builds with: trainkit build --list-shards N",
        )
    return int(number), int(total)


def _body_pages(body: Body) -> int:
    """Handout and guide pages for one lesson body, and one page per slide."""
    handout = len(body.participant) + len(body.keypoints) + len(body.checklist)
    guide = handout + len(body.facilitator) + sum(len(activity.markdown) for activity in body.activities)
    return 2 + (handout + guide) // _CHARS_PER_PAGE + len(body.slides)


def estimated_pages(curriculum: Curriculum, profile_id: str, lang: str, workshop: WorkshopPlan | None = None) -> int:
    """Pages of a pack's handout, guide and slides, estimated from the text each lesson shows in
    `lang` (its translation, or the source it falls back to)."""
    add, drop = (workshop.add, workshop.drop) if workshop and workshop.profile == profile_id else ((), ())
    selection = select_lessons(curriculum, curriculum.profiles[profile_id], add, drop)
    pages = 4  # covers, contents, agenda
    for lesson in selection.lessons:
        translation = lesson.translations.get(lang)
        pages += _body_pages(translation.body if translation else lesson.body)
    return pages


def split(curriculum: Curriculum, packs: list[tuple[str, str]], total: int, workshop: WorkshopPlan | None = None) -> list[Shard]:
    """The packs dealt to `total` shards, largest first, each to the shard with the fewest
    estimated pages so far (the lowest-numbered one on a tie)."""
    sized = sorted(((estimated_pages(curriculum, p, lang, workshop), p, lang) for p, lang in packs), key=lambda x: (-x[0], x[1], x[2]))
    heap = [(0, number) for number in range(total)]
    shares: list[list[tuple[int, str, str]]] = [[] for _ in range(total)]
    for pages, profile_id, lang in sized:
        load, number = heapq.heappop(heap)
        shares[number].append((pages, profile_id, lang))
        heapq.heappush(heap, (load + pages, number))
    order = {pack: index for index, pack in enumerate(packs)}
    return [
        Shard(
            number=number + 1,
            total=total,
            packs=tuple(sorted(((p, lang) for _, p, lang in share), key=order.__getitem__)),
            pages=sum(pages for pages, _, _ in share),
        )
        for number, share in enumerate(shares)
    ]
