"""A lesson file as the segments a translator translates, and back.

In: the text of a lesson file (source or translation). Out: a `Segmented` file, its
translatable `Segment`s (title, summary, each objective, material and fact to
re-check, each heading, paragraph, list item and table cell of the body, named by
where they sit in our blocks: a slide title, a speaker note, a checklist item…), and
a skeleton: everything else (front matter keys, `:::` fences and their attributes,
list markers, indentation, table pipes, comments, code), which a translation takes
from the source. `rebuild` puts translated segments back into a source's skeleton.

A segment's `ctx` is a stable id for its place, e.g. `slides/slide3/li2` or
`s2/p1`: the same in the source and a translation with the same structure, so a
translation is aligned to its source by ctx. Inline Markdown stays inside a segment
(`**bold**`, `[text](url)`, `![alt](image.png)`); a paragraph's lines are joined into one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .blocks import CLOSE_RE, CODE_FENCE_RE, HEADING_RE, OPEN_RE

LIST_RE = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])([ \t]+)(.*)$")
TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")
FRONT_LISTS = ("objectives", "materials")

# What a translator is told a segment is: (block it sits in, kind of line) → description.
KINDS = {
    ("", "h"): "heading",
    ("", "p"): "paragraph",
    ("", "li"): "list item",
    ("", "cell"): "table cell",
    ("caution", "p"): "caution (a warning read at the step it concerns)",
    ("caution", "li"): "caution (a warning read at the step it concerns)",
    ("keypoints", "li"): "key point",
    ("keypoints", "p"): "key point",
    ("checklist", "li"): "checklist item",
    ("checklist", "p"): "checklist text",
    ("slides", "h"): "slide title",
    ("slides", "li"): "slide bullet",
    ("slides", "p"): "slide text",
    ("slides", "cell"): "slide table cell",
    ("notes", "p"): "speaker note",
    ("notes", "li"): "speaker note",
    ("activity", "h"): "activity title",
    ("activity", "li"): "activity step",
    ("activity", "p"): "activity text",
    ("facilitator", "p"): "facilitator paragraph",
    ("facilitator", "li"): "facilitator list item",
    ("facilitator", "h"): "facilitator heading",
    ("worksheet", "h"): "worksheet title",
    ("worksheet", "p"): "worksheet instructions",
    ("worksheet", "li"): "worksheet field label (the [kind id=…] before it is kept as it is)",
}
# A worksheet field's `[kind id=… rows=…]` before its label: structure, never translated.
FIELD_PREFIX_RE = re.compile(r"\[\s*(?:line|lines|check|table)\b[^\]]*\]\s*(?![(\[])")
FRONT_KINDS = {
    "title": "lesson title",
    "summary": "lesson summary",
    "objectives": "objective",
    "materials": "material",
    "verify": "fact to re-check",
}


@dataclass(frozen=True, slots=True)
class Segment:
    ctx: str
    kind: str
    text: str
    line: int  # where it starts in its file (1-based)


@dataclass(frozen=True, slots=True)
class Slot:
    ctx: str


@dataclass(slots=True)
class Segmented:
    """A lesson file split into segments and the skeleton around them."""

    front: dict[str, Any]  # the parsed front matter
    segments: list[Segment] = field(default_factory=list)
    # The body, line by line: each line is literal text and Slots, where segments go.
    body: list[tuple[str | Slot, ...]] = field(default_factory=list)

    def by_ctx(self) -> dict[str, Segment]:
        return {segment.ctx: segment for segment in self.segments}


class _Regions:
    """Where a line sits: the open blocks, and counters that name its segments."""

    SINGLE = ("slides", "keypoints", "checklist", "facilitator")  # at most one per lesson

    def __init__(self) -> None:
        self.stack: list[tuple[str, str]] = []  # (block name, path piece), e.g. ("slides", "slides/slide2")
        self.counters: dict[str, int] = {}
        self.section = 0

    def count(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def path(self) -> str:
        return "/".join(piece for _, piece in self.stack) if self.stack else f"s{self.section}"

    def block(self) -> str:
        return self.stack[-1][0] if self.stack else ""

    def open(self, name: str) -> None:
        parent = self.path()
        piece = name if name in self.SINGLE else f"{name}{self.count(parent + '|' + name)}"
        if not self.stack and name not in self.SINGLE:
            piece = f"{parent}/{piece}"  # a caution or activity in the text: named within its section
        self.stack.append((name, piece))

    def close(self) -> None:
        if self.stack:
            self.stack.pop()

    def heading(self) -> None:
        if not self.stack:
            self.section += 1
        elif self.block() == "slides":
            self.stack[-1] = ("slides", f"slides/slide{self.count('slide')}")


def segment_file(text: str, path: Path | None = None) -> Segmented:
    """Split a lesson file (front matter and body) into segments and skeleton."""
    from .loader import split_front_matter

    split = split_front_matter(text, path or Path("lesson.md"))
    if not isinstance(split, tuple):
        raise ValueError(split.message)
    front_text, front_line, body, body_line = split
    from .yamlsafe import load_yaml

    doc, problems = load_yaml(front_text, path or Path("lesson.md"), front_line)
    front = doc.data if doc is not None else None
    if not isinstance(front, dict):
        raise ValueError(problems[0].message if problems else "the front matter is not a mapping")
    result = Segmented(front=front)

    def line_of(*key: str | int) -> int:
        return doc.line_of(key) or front_line  # type: ignore[union-attr]

    for key in ("title", "summary"):
        if isinstance(front.get(key), str) and front[key].strip():
            result.segments.append(Segment(key, FRONT_KINDS[key], front[key], line_of(key)))
    for key in FRONT_LISTS:
        for index, item in enumerate(front.get(key) or [], start=1):
            if isinstance(item, str):
                result.segments.append(Segment(f"{key}/{index}", FRONT_KINDS[key], item, line_of(key, index - 1)))
    for index, item in enumerate(front.get("verify") or [], start=1):
        if isinstance(item, dict) and isinstance(item.get("claim"), str):
            result.segments.append(Segment(f"verify/{index}", FRONT_KINDS["verify"], item["claim"], line_of("verify", index - 1, "claim")))
    _segment_body(body.split("\n"), body_line, result)
    return result


def _segment_body(lines: list[str], first_line: int, result: Segmented) -> None:
    regions = _Regions()
    index = 0

    def slot(kind: str, text: str, number: int) -> Slot:
        """A new segment of `kind` starting on body line `number`, and its place in the skeleton."""
        path = regions.path()
        ctx = f"{path}/{kind}{regions.count(path + ':' + kind)}"
        description = KINDS.get((regions.block(), kind)) or KINDS.get(("", kind), kind)
        result.segments.append(Segment(ctx, description, text, first_line + number))
        return Slot(ctx)

    def literal(line: str) -> None:
        result.body.append((line,))

    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            literal(line)
            index += 1
            continue
        if CODE_FENCE_RE.match(line):
            fence = CODE_FENCE_RE.match(line).group(1)  # type: ignore[union-attr]
            literal(line)
            index += 1
            while index < len(lines):
                literal(lines[index])
                index += 1
                if lines[index - 1].strip().startswith(fence):
                    break
            continue
        if stripped.startswith("<!--"):
            while index < len(lines):
                literal(lines[index])
                index += 1
                if "-->" in lines[index - 1]:
                    break
            continue
        opened = OPEN_RE.match(line)
        if opened:
            regions.open((opened.group(2) or opened.group(4) or "").lower())
            literal(line)
            index += 1
            continue
        if CLOSE_RE.match(line):
            regions.close()
            literal(line)
            index += 1
            continue
        heading = HEADING_RE.match(line)
        if heading:
            regions.heading()
            text = heading.group(2)
            result.body.append((line[: line.index(text)], slot("h", text, index)) if text else (line,))
            index += 1
            continue
        if stripped.startswith("|"):
            if TABLE_RULE_RE.match(line):
                literal(line)
            else:
                row: list[str | Slot] = ["|"]
                for cell in CELL_SPLIT_RE.split(stripped.strip("|")):
                    row += [" ", slot("cell", cell.strip(), index), " |"] if cell.strip() else ["  |"]
                result.body.append(tuple(row))
            index += 1
            continue
        item = LIST_RE.match(line)
        if item:
            indent, marker, space, text = item.groups()
            field = FIELD_PREFIX_RE.match(text) if regions.block() == "worksheet" else None
            if field:
                space, text = space + field.group(0), text[field.end() :]
            start = index
            collected, index = _gather([text], lines, index + 1)
            result.body.append((f"{indent}{marker}{space}", slot("li", collected, start)))
            continue
        start = index
        collected, index = _gather([stripped], lines, index + 1)
        result.body.append((line[: len(line) - len(line.lstrip())], slot("p", collected, start)))


def _gather(parts: list[str], lines: list[str], index: int) -> tuple[str, int]:
    """A paragraph or list item's continuation lines, joined into one line."""
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if (
            not stripped
            or OPEN_RE.match(line)
            or CLOSE_RE.match(line)
            or CODE_FENCE_RE.match(line)
            or HEADING_RE.match(line)
            or LIST_RE.match(line)
            or stripped.startswith(("|", "<!--"))
        ):
            break
        parts.append(stripped)
        index += 1
    return " ".join(parts), index


def rebuild_body(source: Segmented, texts: dict[str, str]) -> str:
    """The source's body with each segment's text from `texts` (by ctx), or the source's own."""
    own = source.by_ctx()
    return "\n".join(
        "".join(part if isinstance(part, str) else texts.get(part.ctx, own[part.ctx].text) for part in line) for line in source.body
    )
