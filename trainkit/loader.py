"""Read a curriculum folder into model objects, collecting every problem on the way.

curriculum/ (curriculum.yml, lessons/<id>/<lang>.md, profiles/*.yml, glossary/<lang>.yml)
→ (Curriculum, [Problem]). Cross-checks between files live in checks.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from . import schema
from .blocks import parse_body
from .errors import Problem, did_you_mean, error
from .files import Refused, read_text
from .model import (
    DEFAULT_AUDIENCES,
    DEFAULT_CAUTION_VERBS,
    DEFAULT_TOPICS,
    ID_PATTERN,
    LANG_PATTERN,
    Curriculum,
    GlossaryEntry,
    Lesson,
    Paper,
    Persona,
    Profile,
    Translation,
    Verify,
    Vocabulary,
    a_year_after,
)
from .yamlsafe import YamlDoc, load_yaml

FENCE = "---"
ID_HINT = "ids use lowercase letters, digits and '-' (at most 64 characters)"


def fingerprint(text: str) -> str:
    """The fingerprint a translation records of the source text it was made from."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()[:16]


def split_front_matter(text: str, path: Path) -> tuple[str, int, str, int] | Problem:
    """Split `---` front matter from the body: (yaml, yaml first line, body, body first line)."""
    if not text.strip():
        return error(path, 1, "the file is empty", "a lesson starts with '---', its front matter, '---', then the body")
    lines = text.split("\n")
    if lines[0].strip() != FENCE:
        return error(
            path,
            1,
            "the file does not start with '---' front matter",
            "put the lesson's title, summary and other facts between two '---' lines at the top",
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in (FENCE, "..."):
            body = "\n".join(lines[index + 1 :])
            return "\n".join(lines[1:index]), 2, body, index + 2
    return error(path, 1, "the front matter is never closed", "add a line with '---' after the last front-matter key")


def load_curriculum(root: Path) -> tuple[Curriculum | None, list[Problem]]:
    """Load everything under `root`; problems in one file never stop the others being read."""
    root = root.absolute()
    problems: list[Problem] = []
    meta_path = root / "curriculum.yml"
    if not root.is_dir():
        return None, [error(root, None, "curriculum folder not found", "pass --curriculum PATH or set TRAINKIT_CURRICULUM")]
    meta = _load_yaml_file(meta_path, root, schema.CurriculumMeta, "curriculum.yml", problems)
    if meta is None:
        return None, problems
    problems += _check_languages(meta, meta_path)
    vocabulary = _vocabulary(meta)
    lessons = _load_lessons(root, meta.source_language, problems)
    profiles = _load_profiles(root, problems)
    glossaries = _load_glossaries(root, problems)
    personas = _load_personas(root, meta.source_language, problems)
    curriculum = Curriculum(
        root=root,
        title=meta.title,
        description=meta.description,
        source_language=meta.source_language,
        languages=tuple(dict.fromkeys([meta.source_language, *meta.languages])),
        paper=meta.defaults.paper if isinstance(meta.defaults.paper, Paper) else Paper.A4,
        vocabulary=vocabulary,
        lessons=lessons,
        profiles=profiles,
        glossaries=glossaries,
        titles=dict(meta.titles),
        link_equivalents={k: tuple(v) for k, v in meta.link_equivalents.items()},
        caution_verbs=tuple(meta.caution_verbs) if meta.caution_verbs is not None else DEFAULT_CAUTION_VERBS,
        personas=personas,
        personas_path=root / "personas" / f"{meta.source_language}.yml",
        not_names=tuple(meta.not_names),
    )
    return curriculum, problems


def _load_yaml_file(path: Path, root: Path, model: type[schema.M], what: str, problems: list[Problem]) -> schema.M | None:
    doc = _read_yaml(path, root, problems)
    if doc is None:
        return None
    value, found = schema.validate(model, doc, path, what)
    problems += found
    return value


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> YamlDoc | None:
    try:
        text = read_text(path, root)
    except Refused as refused:
        problems.append(error(path, refused.line, refused.message, None))
        return None
    if not text.strip():
        problems.append(error(path, 1, "the file is empty", None))
        return None
    doc, found = load_yaml(text, path)
    problems += found
    if any(p.is_error for p in found):
        return None
    return doc


def _check_languages(meta: schema.CurriculumMeta, path: Path) -> list[Problem]:
    from .i18n import language_problem

    found = []
    for code in [meta.source_language, *meta.languages]:
        message = language_problem(code)
        if message:
            found.append(error(path, None, message, "use a language code such as en, es, fr, ar, pt-BR"))
    return found


def _vocabulary(meta: schema.CurriculumMeta) -> Vocabulary:
    def labelled(defaults: dict[str, str], extra: dict[str, Any]) -> dict[str, dict[str, str]]:
        result = {key: {"en": label} for key, label in defaults.items()}
        for key, label in extra.items():
            labels = {meta.source_language: label} if isinstance(label, str) else dict(label)
            result.setdefault(key, {}).update(labels)
        return result

    return Vocabulary(topics=labelled(DEFAULT_TOPICS, meta.topics), audiences=labelled(DEFAULT_AUDIENCES, meta.audiences))


def _load_lessons(root: Path, source_language: str, problems: list[Problem]) -> dict[str, Lesson]:
    lessons: dict[str, Lesson] = {}
    folder = root / "lessons"
    if not folder.is_dir():
        problems.append(error(folder, None, "no lessons folder", "lessons live in lessons/<lesson-id>/<lang>.md"))
        return lessons
    for lesson_dir in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if lesson_dir.is_symlink() or not lesson_dir.is_dir():
            if lesson_dir.is_symlink():
                problems.append(error(lesson_dir, None, "a lesson folder may not be a symbolic link", None))
            continue
        if not ID_PATTERN.match(lesson_dir.name):
            problems.append(error(lesson_dir, None, f"'{lesson_dir.name}' is not a valid lesson id", ID_HINT))
            continue
        lesson = _load_lesson(lesson_dir, root, source_language, problems)
        if lesson is not None:
            lessons[lesson.id] = lesson
    return lessons


def _load_lesson(folder: Path, root: Path, source_language: str, problems: list[Problem]) -> Lesson | None:
    source = folder / f"{source_language}.md"
    if not source.exists() and not source.is_symlink():
        others = sorted(p.name for p in folder.glob("*.md"))
        hint = (
            f"found {', '.join(others)}; the source-language file must exist too"
            if others
            else f"create it with: trainkit new lesson {folder.name}"
        )
        problems.append(error(folder, None, f"lesson '{folder.name}' has no source-language file {source.name}", hint))
        return None
    parsed = _read_markdown(source, root, problems)
    if parsed is None:
        return None
    text, doc, body_text, body_line = parsed
    meta, meta_problems = schema.validate(schema.LessonMeta, doc, source, "front matter")
    body, body_problems = parse_body(body_text, source, body_line)
    problems += meta_problems + body_problems
    if meta is None:
        return None
    translations = {}
    for path in sorted(folder.glob("*.md")):
        lang = path.stem
        if lang == source_language:
            continue
        translation = _load_translation(path, root, problems)
        if translation is not None:
            translations[lang] = translation
    review_by = meta.review_by or a_year_after(meta.reviewed)
    lines = {str(k[0]): v for k, v in doc.lines.items() if len(k) == 1}
    return Lesson(
        id=folder.name,
        path=source,
        title=meta.title,
        summary=meta.summary,
        topics=tuple(meta.topics),
        audiences=tuple(meta.audiences),
        level=meta.level,
        duration=meta.duration,
        prerequisites=tuple(meta.prerequisites),
        objectives=tuple(meta.objectives),
        materials=tuple(meta.materials),
        tools=tuple(meta.tools),
        reviewed=meta.reviewed,
        review_by=review_by,
        body=body,
        fingerprint=fingerprint(text),
        verify=tuple(Verify(claim=v.claim, where=v.where) for v in meta.verify),
        lines=lines,
        translations=translations,
    )


def _load_translation(path: Path, root: Path, problems: list[Problem]) -> Translation | None:
    lang = path.stem
    if not LANG_PATTERN.match(lang):
        problems.append(
            error(
                path, None, f"'{path.name}' is not named after a language code", "a translation is <lang>.md, for example es.md or pt-BR.md"
            )
        )
        return None
    parsed = _read_markdown(path, root, problems)
    if parsed is None:
        return None
    _, doc, body_text, body_line = parsed
    data = doc.data if isinstance(doc.data, dict) else {}
    source_only = [key for key in data if key in schema.SOURCE_ONLY_KEYS]
    for key in source_only:
        problems.append(
            error(
                path,
                doc.line_of((key,)),
                f"a translation may not set '{key}'",
                f"'{key}' is a fact of the lesson and comes from the source-language file; remove it here",
            )
        )
    doc.data = {k: v for k, v in data.items() if k not in source_only} if isinstance(doc.data, dict) else doc.data
    meta, found = schema.validate(schema.TranslationMeta, doc, path, "front matter")
    body, body_problems = parse_body(body_text, path, body_line)
    problems += found + body_problems
    if meta is None:
        return None
    return Translation(
        lang=lang,
        path=path,
        title=meta.title,
        summary=meta.summary or "",
        objectives=tuple(meta.objectives),
        materials=tuple(meta.materials),
        verify=tuple(Verify(claim=v.claim, where=v.where) for v in meta.verify),
        source_fingerprint=meta.source_fingerprint,
        source_commit=meta.source_commit,
        body=body,
        untranslated=tuple(meta.untranslated),
    )


def _read_markdown(path: Path, root: Path, problems: list[Problem]) -> tuple[str, YamlDoc, str, int] | None:
    try:
        text = read_text(path, root)
    except Refused as refused:
        problems.append(error(path, refused.line, refused.message, None))
        return None
    split = split_front_matter(text, path)
    if isinstance(split, Problem):
        problems.append(split)
        return None
    yaml_text, yaml_line, body_text, body_line = split
    doc, found = load_yaml(yaml_text, path, yaml_line)
    problems += found
    if doc is None or any(p.is_error for p in found):
        return None
    if not isinstance(doc.data, dict):
        problems.append(error(path, 2, "the front matter must be keys and values", "for example 'title: Encryption basics'"))
        return None
    return text, doc, body_text, body_line


def _load_profiles(root: Path, problems: list[Problem]) -> dict[str, Profile]:
    folder = root / "profiles"
    profiles: dict[str, Profile] = {}
    if not folder.is_dir():
        return profiles
    translated: dict[str, dict[str, schema.ProfileTranslationMeta]] = {}
    for path in sorted(folder.glob("*.yml")):
        ident, _, lang = path.stem.partition(".")
        if not ID_PATTERN.match(ident):
            problems.append(error(path, None, f"'{ident}' is not a valid profile id", ID_HINT))
            continue
        if lang:
            meta = _load_yaml_file(path, root, schema.ProfileTranslationMeta, "a profile translation", problems)
            if meta is not None:
                translated.setdefault(ident, {})[lang] = meta
            continue
        doc = _read_yaml(path, root, problems)
        if doc is None:
            continue
        meta, found = schema.validate(schema.ProfileMeta, doc, path, "a profile")
        problems += found
        if meta is None:
            continue
        profiles[ident] = Profile(
            id=ident,
            path=path,
            title=meta.title,
            description=meta.description,
            audiences=tuple(meta.audiences),
            topics=tuple(meta.topics) if meta.topics is not None else None,
            max_level=meta.max_level,
            include=tuple(meta.include),
            exclude=tuple(meta.exclude),
            optional=tuple(meta.optional),
            time_budget=meta.time_budget,
            lines={str(k[0]): v for k, v in doc.lines.items() if len(k) == 1},
        )
    for ident, by_lang in translated.items():
        if ident in profiles:
            profiles[ident].titles.update({lang: m.title for lang, m in by_lang.items()})
            profiles[ident].descriptions.update({lang: m.description for lang, m in by_lang.items() if m.description})
        else:
            for lang in by_lang:
                problems.append(
                    error(
                        folder / f"{ident}.{lang}.yml",
                        None,
                        f"translation of unknown profile '{ident}'",
                        f"there is no profiles/{ident}.yml",
                    )
                )
    return profiles


def _id_map(
    path: Path, root: Path, model: type[schema.M], kind: str, example: str, problems: list[Problem]
) -> dict[str, tuple[schema.M, int | None]]:
    """A YAML file that maps ids to entries (a glossary, the cast): each entry validated, with its line."""
    doc = _read_yaml(path, root, problems)
    if doc is None:
        return {}
    if not isinstance(doc.data, dict):
        problems.append(error(path, 1, f"the file maps {kind} ids to entries", f"for example:\n{example}"))
        return {}
    entries = {}
    lines_of: dict[Any, dict[tuple[Any, ...], int]] = {}
    for key, line in doc.lines.items():
        if key:
            lines_of.setdefault(key[0], {})[key[1:]] = line
    for ident, value in doc.data.items():
        sub = YamlDoc(data=value, lines=lines_of.get(ident, {}))
        meta, found = schema.validate(model, sub, path, f"{kind} '{ident}'")
        problems += found
        if not ID_PATTERN.match(ident):
            problems.append(error(path, doc.line_of((ident,)), f"'{ident}' is not a valid {kind} id", ID_HINT))
        elif meta is not None:
            entries[ident] = (meta, doc.line_of((ident,)))
    return entries


def _load_glossaries(root: Path, problems: list[Problem]) -> dict[str, dict[str, GlossaryEntry]]:
    folder = root / "glossary"
    glossaries: dict[str, dict[str, GlossaryEntry]] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else ():
        example = "  tor:\n    term: Tor\n    definition: …"
        entries = _id_map(path, root, schema.GlossaryEntryMeta, "term", example, problems)
        glossaries[path.stem] = {
            ident: GlossaryEntry(id=ident, term=meta.term, definition=meta.definition, lessons=tuple(meta.lessons))
            for ident, (meta, _) in entries.items()
        }
    return glossaries


def _load_personas(root: Path, source_language: str, problems: list[Problem]) -> dict[str, dict[str, Persona]]:
    """The cast: personas/<source>.yml says who exists; personas/<lang>.yml writes them in a language."""
    folder = root / "personas"
    cast: dict[str, dict[str, Persona]] = {}
    lines: dict[str, dict[str, int | None]] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else ():
        lang = path.stem
        model = schema.PersonaMeta if lang == source_language else schema.PersonaTranslationMeta
        entries = _id_map(path, root, model, "person", "  grace:\n    name: Grace\n    about: …", problems)
        cast[lang] = {
            ident: Persona(
                id=ident, name=meta.name, about=meta.about, audience=getattr(meta, "audience", ""), also_called=tuple(meta.also_called)
            )
            for ident, (meta, _) in entries.items()
        }
        lines[lang] = {ident: line for ident, (_, line) in entries.items()}
    source = cast.get(source_language, {})
    for lang, people in cast.items():
        for ident in sorted(people.keys() - source.keys()):
            problems.append(
                error(
                    folder / f"{lang}.yml",
                    lines[lang].get(ident),
                    f"'{ident}' is not in the cast ({source_language}.yml)",
                    did_you_mean(ident, source, "people in the cast"),
                )
            )
    return cast
