"""The cast: fictional people who appear in the lessons, one life each.

In: a Curriculum (its `personas`) and a lesson's source text. Out: which cast
members a lesson uses (for the guide) and Problems for names that look like a
person but are not in the cast. Only the source language is checked: names are
recognised by their shape in English text (a capitalised word introduced as a
person, or used as one: "Zed (not a real person)", "Zed's phone", "Zed reports").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .errors import Problem, display_path, warning
from .files import Refused, read_text
from .model import Curriculum, Lesson, Persona

WORD = r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?"
# Verbs a story uses with a person as subject: "Zed reports", "Zed has".
PERSON_VERBS = (
    "is|was|has|had|uses|used|runs|works|lives|covers|reports|supports|receives|sends|sent|finds|found|wants|needs|thinks|"
    "knows|asks|asked|tells|shares|keeps|kept|writes|documents|coordinates|campaigns|investigates|decides|decided|starts|"
    "started|says|said|feels|meets|met|calls|called|gets|got|opens|opened|checks|checked|plans|leaves|left|moves|moved|"
    "learns|sees|saw|notices|noticed|believes|creates|created|chooses|chose|travels|flies|records|publishes|published|"
    "manages|leads|lost|loses|becomes|became|helps|helped|explains|explained|agrees|agreed|builds|built|watches|follows"
)
PERSON_RE = re.compile(
    rf"(?<![\w.'’-])(?P<name>{WORD})(?:"
    rf"\s*\((?:not a real person|a fictional|fictional|an invented|invented)"  # Zed (not a real person)
    rf"|,\s+(?:a|an|who)\s"  # Zed, a journalist / Zed, who runs
    rf"|['’]s\s"  # Zed's phone
    rf"|\s+(?:{PERSON_VERBS})\b"  # Zed reports
    r")"
)
SENTENCE_START = re.compile(r"(?:^|[.!?:;][*_]*\s+|^\s*(?:[-*+]|\d+[.)])\s+|\*\*|^#+\s+|[\"“(]\s*)$")
# "the Net reports", "Tor Project's": an article or a capitalised word before it means a thing, not a person.
NOT_A_PERSON_BEFORE = re.compile(r"(?:\b(?:the|a|an|The|A|An)|[A-Z][\w'’-]*)\s+$")
CODE_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
LINK_TARGET = re.compile(r"\]\([^)]*\)|<[^>]+>|`[^`]*`")


def people(curriculum: Curriculum, lang: str) -> dict[str, Persona]:
    """The cast written in `lang`, each person falling back to the source language."""
    source = curriculum.personas.get(curriculum.source_language, {})
    local = curriculum.personas.get(lang, {})
    return {ident: local.get(ident, person) for ident, person in source.items()}


def appearing_in(text: str, cast: dict[str, Persona]) -> tuple[Persona, ...]:
    """The people of the cast whose name (or a name they go by) appears in `text`."""
    names: dict[str, Persona] = {}
    for person in cast.values():
        for name in (person.name, person.name.split()[0], *person.also_called):
            if name:
                names.setdefault(name, person)
    if not names:
        return ()
    pattern = _names_pattern(tuple(sorted(names, key=len, reverse=True)))
    found = {names[match.group(0)].id for match in pattern.finditer(text)}
    return tuple(person for person in cast.values() if person.id in found)


@lru_cache(maxsize=16)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in names) + r")(?!\w)")


def check_names(lesson: Lesson, curriculum: Curriculum, vocabulary: tuple[set[str], set[str]]) -> list[Problem]:
    """A person's name in the source lesson that is not in the cast is a warning at its line.

    `vocabulary` is name_vocabulary(curriculum), made once for all the lessons."""
    if not curriculum.personas.get(curriculum.source_language):
        return []
    known, common = vocabulary
    try:
        text = read_text(lesson.path, curriculum.root)
    except Refused:
        return []
    problems: list[Problem] = []
    reported: set[str] = set()
    for line_no, line in _prose_lines(text):
        for match in PERSON_RE.finditer(line):
            name = match.group("name")
            if name in known or name in reported or NOT_A_PERSON_BEFORE.search(line[: match.start()]):
                continue
            if _starts_sentence(line, match.start()) and name.lower() in common:
                continue  # "This is", "First, a plan": an ordinary word that starts a sentence
            reported.add(name)
            problems.append(
                warning(
                    lesson.path,
                    line_no,
                    f"'{name}' looks like a person's name but is not in the cast",
                    f"use a person from {_cast_file(curriculum)} (or add '{name}' there, with one life for every lesson); "
                    f"if it is not a person, list it under 'not_names' in curriculum.yml",
                )
            )
    return problems


def _starts_sentence(line: str, position: int) -> bool:
    return bool(SENTENCE_START.search(line[:position]))


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The body's lines with their numbers, without front matter, code blocks or link targets."""
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    fence = None
    out = []
    for index in range(start, len(lines)):
        raw = lines[index]
        code = CODE_FENCE.match(raw)
        if fence is not None or code:
            if fence is None and code:
                fence = code.group(1)[0] * 3
            elif fence is not None and raw.strip().startswith(fence):
                fence = None
            continue
        out.append((index + 1, LINK_TARGET.sub(" ", raw)))
    return out


def name_vocabulary(curriculum: Curriculum) -> tuple[set[str], set[str]]:
    """Known capitalised words, and every word the source lessons write in lower case.

    A name is never written in lower case, so a capitalised word at the start of a
    sentence whose lower-case form the curriculum uses ("This", "Documents") is not one."""
    common: set[str] = set()
    for lesson in curriculum.lessons.values():
        try:
            common.update(re.findall(r"\b[a-z][a-z'’-]*\b", read_text(lesson.path, curriculum.root)))
        except Refused:
            continue
    return _known_words(curriculum), common


def _known_words(curriculum: Curriculum) -> set[str]:
    """Capitalised words that are not people: the cast, tools, glossary terms, labels, titles."""
    words: set[str] = set()

    def add(text: str) -> None:
        words.update(re.findall(r"[A-Z][\w'’-]*", text))

    for lang_people in curriculum.personas.values():
        for person in lang_people.values():
            add(person.name)
            for other in person.also_called:
                add(other)
    for lesson in curriculum.lessons.values():
        for tool in lesson.tools:
            add(tool)
        add(lesson.title)
    for entries in curriculum.glossaries.values():
        for entry in entries.values():
            add(entry.term)
    for kind in ("topics", "audiences"):
        for labels in getattr(curriculum.vocabulary, kind).values():
            for label in labels.values():
                add(label)
    add(curriculum.title)
    words.update(curriculum.not_names)
    return words


def _cast_file(curriculum: Curriculum) -> str:
    path = curriculum.personas_path or curriculum.root / "personas" / f"{curriculum.source_language}.yml"
    return display_path(path, Path.cwd())
