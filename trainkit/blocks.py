"""Lesson body → parts: participant text, key points, checklist, slides with notes, activities.

Fenced divs in the pandoc/Quarto style (`::: slides` … `:::`) mark the parts; their
names and `{key=value}` attributes are ids, never translated. Input is the body
text and its first file line; output is a model.Body plus any Problems.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from .errors import Problem, did_you_mean, error
from .markup import references
from .model import ID_PATTERN, Activity, Body, Caution, Field, FieldKind, Group, Phase, Ref, Slide, Step, Variant, Worksheet

BLOCKS = ("slides", "notes", "activity", "keypoints", "checklist", "facilitator", "caution", "worksheet")
# A caution is a participant-facing warning placed right before the step it concerns; it stays
# where it is written, inside the text of the block that holds it.
CAUTION_PARENTS = ("slides", "checklist", "activity", "facilitator")
CAUTION_OPEN = '<div class="caution" markdown="1">'
CAUTION_CLOSE = "</div>"
ATTRIBUTES = {"activity": {"phase", "minutes", "group"}, "worksheet": {"id"}}
OPEN_RE = re.compile(r"^\s{0,3}(:{3,})\s*(?:\{\s*\.?([A-Za-z][\w-]*)([^}]*)\}|([A-Za-z][\w-]*)\s*(?:\{([^}]*)\})?)\s*$")
CLOSE_RE = re.compile(r"^\s{0,3}:{3,}\s*$")
CODE_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
ATTR_RE = re.compile(r"([A-Za-z][\w-]*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"']+)")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
NESTING_RE = re.compile(r"^(?:[ \t]*(?:[-*+]|\d{1,9}[.)]|>)(?:[ \t]+|$))+")
NESTED_MARKER_RE = re.compile(r"(?:[-*+]|\d{1,9}[.)]|>)(?=[ \t]|$)")
# Limits that keep Markdown rendering linear: Python-Markdown recurses once per nested
# list marker (a RecursionError past ~500) and its link parser is quadratic in brackets.
MAX_LINE = 10_000
MAX_BRACKETS = 200
MAX_NESTING = 12


def hostile_line(line: str) -> str | None:
    """Why a line is refused before Markdown sees it, or None."""
    if len(line) > MAX_LINE:
        return f"a line of {len(line):,} characters is too long (the limit is {MAX_LINE:,})"
    if line.count("[") + line.count("(") > MAX_BRACKETS:
        return f"a line with more than {MAX_BRACKETS} brackets cannot be laid out safely"
    prefix = NESTING_RE.match(line)
    if prefix and len(NESTED_MARKER_RE.findall(prefix.group(0))) > MAX_NESTING:
        return f"lists or quotes nested more than {MAX_NESTING} deep on one line"
    return None


@dataclass
class _Open:
    name: str
    attrs: dict[str, str]
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    children: list[_Open] = field(default_factory=list)


VARIANT = "only"


def parse_body(text: str, path: Path, first_line: int, audiences: frozenset[str] | None = None) -> tuple[Body, list[Problem]]:
    """Split a lesson body into its parts, reporting unclosed, unknown or misplaced blocks.

    `::: only {audience=…}` blocks are kept when they serve one of `audiences`, and left
    out otherwise; with None (what `check` reads) every variant is kept."""
    problems: list[Problem] = []
    numbered, variants = _select_variants(text.split("\n"), first_line, audiences, path, problems)
    participant: list[tuple[int, str]] = []
    cautions: list[Caution] = []
    steps: list[Step] = []
    sections = _Sections()
    stack: list[_Open] = []
    closed: list[_Open] = []
    fence: str | None = None
    for offset, (line_no, raw) in enumerate(numbered):
        why = hostile_line(raw)
        if why:
            problems.append(error(path, line_no, why, "split the text into shorter lines and flatter lists"))
            numbered[offset] = (line_no, "")
            raw = ""
        target = stack[-1].lines if stack else participant
        if fence is not None:
            target.append((line_no, raw))
            if raw.strip().startswith(fence):
                fence = None
            continue
        code = CODE_FENCE_RE.match(raw)
        if code:
            fence = code.group(1)[0] * 3
            target.append((line_no, raw))
            continue
        if CLOSE_RE.match(raw):
            if not stack:
                problems.append(
                    error(
                        path,
                        line_no,
                        "':::' closes a block that was never opened",
                        "remove it, or open the block with '::: slides' (or another block name)",
                    )
                )
                continue
            done = stack.pop()
            if done.name == "caution":
                _place_caution(done, stack[-1] if stack else None, participant, sections, cautions)
                continue
            if stack:
                stack[-1].children.append(done)
                stack[-1].lines.append((done.line, f"\x00child{len(stack[-1].children) - 1}"))
            else:
                closed.append(done)
            continue
        opening = OPEN_RE.match(raw)
        if opening:
            block = _open_block(opening, line_no, stack, path, problems)
            if block.name == "checklist":
                sections.checklists += 1
            stack.append(block)
            continue
        if not stack:
            sections.see(raw)
        target.append((line_no, raw))
        _note_step(raw, line_no, stack, sections, steps)
    for block in stack:
        problems.append(error(path, block.line, f"'::: {block.name}' is never closed", "add a line with ':::' alone where the block ends"))
    closed.extend(block for block in stack[:1] if block.name != "caution")
    body = _assemble(participant, closed, path, problems)
    kept = {"text": text, "first_line": first_line} if variants else {}
    return replace(body, lines=tuple(numbered), cautions=tuple(cautions), steps=tuple(steps), variants=tuple(variants), **kept), problems


def body_for(body: Body, audiences: frozenset[str]) -> Body:
    """The body as a pack for these audiences shows it: its `::: only` blocks for others left out."""
    if not body.variants:
        return body
    return _parse_for(body.text, body.first_line, audiences)


@lru_cache(maxsize=256)
def _parse_for(text: str, first_line: int, audiences: frozenset[str]) -> Body:
    return parse_body(text, Path("lesson.md"), first_line, audiences)[0]  # its problems were reported by check


def _select_variants(
    lines: list[str], first_line: int, audiences: frozenset[str] | None, path: Path, problems: list[Problem]
) -> tuple[list[tuple[int, str]], list[Variant]]:
    """The numbered lines that remain once `::: only` blocks are resolved for `audiences`, and
    the blocks found. Their own fence lines go; other blocks' fences are only counted, so that
    the `:::` that closes an `only` block is told from one that closes a block inside it."""
    kept: list[tuple[int, str]] = []
    variants: list[Variant] = []
    stack: list[tuple[bool, Variant | None]] = []  # per open block: shown?, and the variant it is (None: another block)
    fence: str | None = None
    for offset, raw in enumerate(lines):
        line_no = first_line + offset
        shown = all(state for state, _ in stack)
        if fence is not None or CODE_FENCE_RE.match(raw):
            if fence is None:
                fence = CODE_FENCE_RE.match(raw).group(1)[0] * 3  # type: ignore[union-attr]
            elif raw.strip().startswith(fence):
                fence = None
        elif CLOSE_RE.match(raw) and stack:
            if stack.pop()[1] is not None:
                continue
        elif opening := OPEN_RE.match(raw):
            if _opening(opening)[0] != VARIANT:
                stack.append((True, None))
            else:
                variant = _variant(opening, line_no, stack, path, problems)
                variants.append(variant)
                stack.append((audiences is None or bool(audiences & set(variant.audiences)), variant))
                continue
        if shown:
            kept.append((line_no, raw))
    for _, variant in stack:
        if variant is not None:
            problems.append(error(path, variant.line, "'::: only' is never closed", "add a line with ':::' alone where the variant ends"))
    return kept, variants


def _opening(match: re.Match[str]) -> tuple[str, dict[str, str]]:
    """A `:::` opening line's block name and `{key=value}` attributes (OPEN_RE's two spellings)."""
    if match.group(2):
        return match.group(2), _attributes(match.group(3))
    return match.group(4), _attributes(match.group(5) or "")


def _attributes(text: str) -> dict[str, str]:
    return {k: v.strip("\"'") for k, v in ATTR_RE.findall(text)}


def _variant(
    opening: re.Match[str], line_no: int, stack: list[tuple[bool, Variant | None]], path: Path, problems: list[Problem]
) -> Variant:
    attrs = _opening(opening)[1]
    audiences = tuple(a for a in re.split(r"[\s,]+", attrs.pop("audience", "")) if a)
    example = 'for example: ::: only {audience=whrd} or ::: only {audience="journalist whrd"}'
    if not audiences:
        problems.append(error(path, line_no, "'::: only' names no audience", example))
    for key in attrs:
        problems.append(error(path, line_no, f"unknown attribute '{key}' on '::: only'", example))
    if any(variant is not None for _, variant in stack):
        problems.append(
            error(path, line_no, "'::: only' cannot be inside another '::: only'", "name every audience of the passage in one block")
        )
    return Variant(line=line_no, audiences=audiences)


@dataclass
class _Sections:
    """Where the parser is: the participant text's `##` sections and the checklist blocks."""

    heading: int = 0
    checklists: int = 0

    def see(self, raw: str) -> None:
        heading = HEADING_RE.match(raw)
        if heading and len(heading.group(1)) <= 2:
            self.heading += 1

    def key(self, container: str) -> str:
        return f"checklist-{self.checklists}" if container == "checklist" else f"section-{self.heading}"


STEP_RE = re.compile(r"^\s{0,3}(\d{1,9})[.)]\s+(.*)$")
ITEM_RE = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+(.*)$")


def _note_step(raw: str, line_no: int, stack: list[_Open], sections: _Sections, steps: list[Step]) -> None:
    """Numbered steps of the participant text and checklist items: what a caution must precede."""
    if not stack:
        match = STEP_RE.match(raw)
        if match:
            steps.append(Step(line=line_no, text=match.group(2), container="participant", section=sections.key("participant")))
    elif stack[-1].name == "checklist":
        match = ITEM_RE.match(raw)
        if match:
            steps.append(Step(line=line_no, text=match.group(1), container="checklist", section=sections.key("checklist")))


def _place_caution(
    block: _Open, parent: _Open | None, participant: list[tuple[int, str]], sections: _Sections, cautions: list[Caution]
) -> None:
    """Put the caution back where it was written, as a box in its parent's Markdown."""
    text = _text(block.lines)
    container = parent.name if parent else "participant"
    cautions.append(Caution(line=block.line, markdown=text, container=container, section=sections.key(container)))
    end = block.lines[-1][0] if block.lines else block.line
    wrapped = [(block.line, ""), (block.line, CAUTION_OPEN), (block.line, ""), *block.lines, (end, ""), (end, CAUTION_CLOSE), (end, "")]
    (parent.lines if parent else participant).extend(wrapped)


def _open_block(match: re.Match[str], line_no: int, stack: list[_Open], path: Path, problems: list[Problem]) -> _Open:
    name, attrs = _opening(match)
    if name not in BLOCKS:
        problems.append(error(path, line_no, f"unknown block '::: {name}'", did_you_mean(name, BLOCKS, "blocks")))
    elif name == "notes" and not (stack and stack[-1].name == "slides"):
        problems.append(error(path, line_no, "'::: notes' must be inside a '::: slides' block, after the slide it belongs to", None))
    elif name == "caution" and stack and stack[-1].name not in CAUTION_PARENTS:
        problems.append(
            error(
                path,
                line_no,
                f"'::: caution' cannot be inside '::: {stack[-1].name}'",
                "put the caution in the participant text, a checklist, a slide, an activity or the facilitator notes",
            )
        )
    elif name not in ("notes", "caution") and stack:
        problems.append(
            error(
                path,
                line_no,
                f"'::: {name}' cannot be inside '::: {stack[-1].name}'",
                f"close '::: {stack[-1].name}' (line {stack[-1].line}) with ':::' first",
            )
        )
    for key in attrs:
        allowed = ATTRIBUTES.get(name, set())
        if key not in allowed:
            hint = did_you_mean(key, allowed, "attributes") if allowed else f"'::: {name}' takes no attributes"
            problems.append(error(path, line_no, f"unknown attribute '{key}' on '::: {name}'", hint))
    return _Open(name=name, attrs=attrs, line=line_no)


def _assemble(participant: list[str], blocks: list[_Open], path: Path, problems: list[Problem]) -> Body:
    parts: dict[str, list[str]] = {"keypoints": [], "checklist": [], "facilitator": []}
    slides: list[Slide] = []
    activities: list[Activity] = []
    worksheets: list[Worksheet] = []
    for block in blocks:
        if block.name in parts:
            parts[block.name].append(_text(block.lines))
        elif block.name == "slides":
            slides.extend(_split_slides(block, path, problems))
        elif block.name == "activity":
            activity = _activity(block, path, problems)
            if activity:
                activities.append(activity)
        elif block.name == "worksheet":
            worksheet = _worksheet(block, path, problems)
            if worksheet:
                if any(w.id == worksheet.id for w in worksheets):
                    problems.append(
                        error(path, block.line, f"two worksheets are called '{worksheet.id}'", "give each worksheet its own id")
                    )
                worksheets.append(worksheet)
    return Body(
        participant=_text(participant),
        keypoints="\n\n".join(parts["keypoints"]),
        checklist="\n\n".join(parts["checklist"]),
        facilitator="\n\n".join(parts["facilitator"]),
        slides=tuple(slides),
        activities=tuple(activities),
        worksheets=tuple(worksheets),
    )


FIELD_RE = re.compile(r"^\s{0,3}[-*+]\s+\[\s*([A-Za-z]+)\b([^\]]*)\]\s*(.*)$")
COLUMN_RE = re.compile(r"^(?:\s{2,}|\t)[-*+]\s+(.*\S)\s*$")
FIELD_EXAMPLE = "for example: - [line id=name] Your name  (kinds: line, lines, check, table)"
MAX_ROWS = 30
MAX_COLUMNS = 6


def _worksheet(block: _Open, path: Path, problems: list[Problem]) -> Worksheet | None:
    """`### Title`, instructions, then one field per list item; a table's columns are its sub-items."""
    ident = block.attrs.get("id", "")
    ok = True
    if not ID_PATTERN.match(ident):
        problems.append(
            error(
                path,
                block.line,
                f"worksheet id '{ident}' is not a plain id" if ident else "a worksheet has no id",
                "for example: ::: worksheet {id=security-plan} (lowercase letters, digits and hyphens)",
            )
        )
        ok = False
    lines = [(n, raw) for n, raw in block.lines if not raw.startswith("\x00child")]
    while lines and not lines[0][1].strip():
        lines.pop(0)
    heading = HEADING_RE.match(lines[0][1]) if lines else None
    if not (heading and len(heading.group(1)) == 3):
        problems.append(error(path, lines[0][0] if lines else block.line, "a worksheet starts with a '### Title' line", None))
        return None
    title = heading.group(2)
    intro: list[tuple[int, str]] = []
    fields: list[Field] = []
    columns: list[str] = []
    for line_no, raw in lines[1:]:
        field = FIELD_RE.match(raw)
        column = COLUMN_RE.match(raw)
        if field:
            _end_table(fields, columns, path, problems)
            made = _field(field, line_no, fields, path, problems)
            ok = ok and made is not None
            if made:
                fields.append(made)
        elif column and fields and fields[-1].kind is FieldKind.TABLE:
            columns.append(column.group(1))
        elif not fields:
            intro.append((line_no, raw))
        elif raw.strip():
            problems.append(
                error(
                    path,
                    line_no,
                    "text after a worksheet's fields",
                    "put the instructions above the first field; each field is a '- [kind id=…] Label' line",
                )
            )
            ok = False
    _end_table(fields, columns, path, problems)
    if not fields:
        if ok:  # a field line that was wrong is reported already
            problems.append(error(path, block.line, "a worksheet has no fields", FIELD_EXAMPLE))
        return None
    return Worksheet(id=ident, title=title, markdown=_text(intro), fields=tuple(fields), line=block.line) if ok else None


def _field(match: re.Match[str], line_no: int, fields: list[Field], path: Path, problems: list[Problem]) -> Field | None:
    kind_text, attrs, label = match.group(1), _attributes(match.group(2)), match.group(3).strip()
    kinds = [kind.value for kind in FieldKind]
    if kind_text not in kinds:
        problems.append(error(path, line_no, f"'{kind_text}' is not a kind of worksheet field", did_you_mean(kind_text, kinds, "kinds")))
        return None
    kind = FieldKind(kind_text)
    ident = attrs.pop("id", "")
    rows_text = attrs.pop("rows", "")
    found: list[str] = []
    if not ID_PATTERN.match(ident):
        found.append(f"field id '{ident}' is not a plain id" if ident else "a worksheet field has no id")
    elif any(field.id == ident for field in fields):
        found.append(f"two fields of this worksheet are called '{ident}'")
    for key in attrs:
        found.append(f"unknown attribute '{key}' on a worksheet field")
    rows = 1
    if rows_text:
        if kind not in (FieldKind.LINES, FieldKind.TABLE):
            found.append(f"a '{kind.value}' field takes no rows")
        elif not rows_text.isdigit() or not 1 <= int(rows_text) <= MAX_ROWS:
            found.append(f"rows must be a whole number from 1 to {MAX_ROWS} (found '{rows_text}')")
        else:
            rows = int(rows_text)
    elif kind is FieldKind.LINES:
        rows = 4
    elif kind is FieldKind.TABLE:
        rows = 3
    if not label:
        found.append("a worksheet field has no label")
    for message in found:
        problems.append(error(path, line_no, message, FIELD_EXAMPLE))
    return None if found else Field(kind=kind, id=ident, label=label, rows=rows, line=line_no)


def _end_table(fields: list[Field], columns: list[str], path: Path, problems: list[Problem]) -> None:
    """Give the table field just read its columns (the sub-items under it)."""
    if fields and fields[-1].kind is FieldKind.TABLE and not fields[-1].columns:
        table = fields[-1]
        if not columns or len(columns) > MAX_COLUMNS:
            problems.append(
                error(
                    path,
                    table.line,
                    f"a table field has {len(columns)} columns (it takes 1 to {MAX_COLUMNS})",
                    "list each column as an indented item under the field: '    - Name'",
                )
            )
        fields[-1] = replace(table, columns=tuple(columns[:MAX_COLUMNS]) or ("",))
    columns.clear()


def _split_slides(block: _Open, path: Path, problems: list[Problem]) -> list[Slide]:
    """Slides start at each `##` heading; a notes block belongs to the slide before it."""
    slides: list[dict[str, object]] = []
    for line_no, raw in block.lines:
        if raw.startswith("\x00child"):
            child = block.children[int(raw[len("\x00child") :])]
            if not slides:
                problems.append(error(path, child.line, "notes come before any slide", "put '::: notes' after a '## Slide title'"))
                continue
            slides[-1]["notes"].append(_text(child.lines))  # type: ignore[union-attr]
            continue
        heading = HEADING_RE.match(raw)
        if heading and len(heading.group(1)) == 2:
            slides.append({"title": heading.group(2), "lines": [], "notes": [], "line": line_no})
        elif slides:
            slides[-1]["lines"].append((line_no, raw))  # type: ignore[union-attr]
        elif raw.strip():
            problems.append(error(path, line_no, "text in '::: slides' before the first slide", "each slide starts with a '## Title' line"))
    if not slides:
        problems.append(error(path, block.line, "'::: slides' has no slides", "start each slide with a '## Title' line"))
    return [
        Slide(title=str(s["title"]), markdown=_text(s["lines"]), notes="\n\n".join(s["notes"]), line=int(s["line"]))  # type: ignore[arg-type]
        for s in slides
    ]


def _activity(block: _Open, path: Path, problems: list[Problem]) -> Activity | None:
    attrs, ok = block.attrs, True
    phase = _enum(Phase, attrs.get("phase"), "phase", block.line, path, problems)
    group = _enum(Group, attrs.get("group"), "group", block.line, path, problems) if "group" in attrs else None
    minutes = attrs.get("minutes", "")
    if not minutes.isdigit() or int(minutes) == 0:
        problems.append(
            error(
                path,
                block.line,
                f"activity minutes must be a whole number (found '{minutes}')" if minutes else "activity has no minutes",
                "for example: ::: activity {phase=discussion minutes=15}",
            )
        )
        ok = False
    lines = list(block.lines)
    while lines and not lines[0][1].strip():
        lines.pop(0)
    title = ""
    heading = HEADING_RE.match(lines[0][1]) if lines else None
    if heading and len(heading.group(1)) == 3:
        title = heading.group(2)
        lines.pop(0)
    else:
        problems.append(error(path, lines[0][0] if lines else block.line, "an activity starts with a '### Title' line", None))
        ok = False
    if phase is None or not ok or ("group" in attrs and group is None):
        return None
    return Activity(title=title, phase=phase, minutes=int(minutes), group=group, markdown=_text(lines), line=block.line)


def _enum(kind, value, name, line, path, problems):  # type: ignore[no-untyped-def]
    choices = [m.value for m in kind]
    if value in choices:
        return kind(value)
    message = f"activity has no {name}" if value is None else f"'{value}' is not an activity {name}"
    problems.append(error(path, line, message, did_you_mean(value or "", choices, f"{name} is one of")))
    return None


def find_refs(body: Body) -> list[Ref]:
    """Every link and image the body renders to (markup.references), with the line it is on
    (Body.refs asks, the first time it is needed)."""
    pieces = [(body.participant, False), (body.keypoints, False), (body.checklist, False), (body.facilitator, False)]
    for slide in body.slides:
        pieces += [(slide.title, True), (slide.markdown, False), (slide.notes, False)]
    for activity in body.activities:
        pieces += [(activity.title, True), (activity.markdown, False)]
    for worksheet in body.worksheets:
        pieces += [(worksheet.title, True), (worksheet.markdown, False)]
        pieces += [(text, True) for field in worksheet.fields for text in (field.label, *field.columns)]
    refs = []
    for found in references(pieces):
        line, written = _where_written(found.target, found.text if found.is_image else None, body.lines)
        refs.append(Ref(target=written, text=found.text, line=line, is_image=found.is_image))
    return refs


def _where_written(target: str, alt: str | None, numbered: Iterable[tuple[int, str]]) -> tuple[int, str]:
    """The line that writes `target` (as is, percent- or entity-encoded), and the target.

    Markdown unescapes an image path (`..\\..\\x.png` renders as `....\\x.png`); then the
    image is found by its alt text and named as the author wrote it, so the message makes sense."""
    forms = dict.fromkeys((target, quote(target, safe=":/?#[]@!$&'()*+,;=%~"), html.escape(target), target.replace("&", "&amp;")))
    for line_no, raw in numbered:
        if any(form and form in raw for form in forms):
            return line_no, target
    if alt is not None:
        written = re.compile(r"!\[" + re.escape(alt) + r"\]\(\s*<?([^)\s>]*)")
        for line_no, raw in numbered:
            match = written.search(raw)
            if match:
                return line_no, match.group(1)
    return numbered[0][0] if numbered else 0, target


def _text(lines: list[tuple[int, str]]) -> str:
    return "\n".join(text for _, text in lines).strip("\n")
