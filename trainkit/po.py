"""gettext catalogs for translators' own tools: export a lesson segment by segment, import it back.

`export` writes `po/<lesson>.pot` (the source's segments, segments.py) and
`po/<lang>/<lesson>.po`, its msgstrs taken from the existing `<lang>.md` aligned to the
source it was made from (the snapshot its fingerprint names). A segment whose source
text changed since is `fuzzy` with the old text as `#| msgid`, as msgmerge does; a
segment whose text is unchanged keeps its translation wherever it moved; a new one is
empty.

`import_catalogs` writes `<lang>.md` in the current source's structure: the skeleton
(fences, attributes, list markers, images' places, front matter keys) from the source,
each segment from the catalog. Fuzzy and empty entries keep the source text and are
listed under `untranslated:`, so the lesson is partial. Nothing is written when any
catalog has a problem: a foreign language, a link or image that differs from the
msgid's, or a msgstr that would change the lesson's structure.

Babel's `pofile` reads and writes the files; the segmentation is ours.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from .blocks import hostile_line
from .errors import ContentError, Problem, UsageError, error
from .loader import fingerprint
from .model import Curriculum, Lesson
from .segments import Segment, Segmented, rebuild_body, segment_file

PO_FOLDER = "po"
# A msgstr is one segment: it may not open a block of its own.
_ASCII_SPACE = re.compile(r"[ \t\r\n]+")  # not str.split(): a no-break space (100 000) is part of the text
_BLOCK_STARTS = (":::", "```", "~~~", "<!--", "|", "#", ">")


@dataclass(frozen=True, slots=True)
class Entry:
    """One segment of the current source and what the existing translation offers for it."""

    segment: Segment
    translation: str = ""
    fuzzy: bool = False
    previous: str = ""  # the old source text of a changed segment
    location: str = ""  # the file the segment is in, when not the lesson's (a glossary term)


def old_source(curriculum: Curriculum, lesson: Lesson, lang: str) -> str | None:
    """The source text the `lang` translation was made from: the current source, a snapshot, or git."""
    from .translate import old_source_text

    translation = lesson.translations.get(lang)
    if translation is None:
        return None
    if translation.source_fingerprint == lesson.fingerprint:
        return lesson.path.read_text(encoding="utf-8")
    return old_source_text(curriculum, lesson, translation.source_fingerprint, translation.source_commit)[0]


def entries(curriculum: Curriculum, lesson: Lesson, lang: str) -> list[Entry]:
    """Every segment of the current source with its translation, fuzzy state and previous text."""
    source = segment_file(lesson.path.read_text(encoding="utf-8"), lesson.path)
    translation = lesson.translations.get(lang)
    if translation is None:
        return [Entry(segment) for segment in source.segments]
    translated = segment_file(translation.path.read_text(encoding="utf-8"), translation.path)
    untranslated = set(translated.front.get("untranslated") or ())
    theirs = {ctx: s.text for ctx, s in translated.by_ctx().items() if ctx not in untranslated}
    old_text = old_source(curriculum, lesson, lang)
    if old_text is None:  # we cannot tell what changed: every translation needs a look
        return [Entry(s, theirs.get(s.ctx, ""), fuzzy=s.ctx in theirs) for s in source.segments]
    old = segment_file(old_text, lesson.path).by_ctx()
    by_text: dict[str, str] = {}
    for ctx, segment in old.items():
        if ctx in theirs:
            by_text.setdefault(segment.text, theirs[ctx])
    still_there = {segment.text for segment in source.segments}
    found = []
    for segment in source.segments:
        if segment.ctx in old and segment.ctx in theirs and old[segment.ctx].text == segment.text:  # unchanged in place
            found.append(Entry(segment, theirs[segment.ctx]))
        elif segment.text in by_text:  # unchanged, moved here from elsewhere (the same words may be translated twice)
            found.append(Entry(segment, by_text[segment.text]))
        elif segment.ctx in old and segment.ctx in theirs and old[segment.ctx].text not in still_there:  # changed in place
            found.append(Entry(segment, theirs[segment.ctx], fuzzy=True, previous=old[segment.ctx].text))
        else:
            found.append(Entry(segment))
    return found


GLOSSARY_KINDS = {"term": "glossary term", "definition": "glossary definition"}


def glossary_home(curriculum: Curriculum, term_lessons: tuple[str, ...]) -> str | None:
    """The one lesson whose catalog carries a glossary term: the first lesson it lists that exists."""
    return next((lesson_id for lesson_id in term_lessons if lesson_id in curriculum.lessons), None)


def glossary_entries(curriculum: Curriculum, lesson: Lesson, lang: str) -> list[Entry]:
    """The glossary terms this lesson's catalog carries, with their translations in `lang`."""
    source = curriculum.glossaries.get(curriculum.source_language, {})
    translated = curriculum.glossaries.get(lang, {})
    path = curriculum.root / "glossary" / f"{curriculum.source_language}.yml"
    lines = path.read_text(encoding="utf-8").split("\n") if path.is_file() else []
    found = []
    for ident, entry in source.items():
        if glossary_home(curriculum, entry.lessons) != lesson.id:
            continue
        line = next((number for number, text in enumerate(lines, start=1) if text.startswith(f"{ident}:")), 1)
        theirs = translated.get(ident)
        for field, kind in GLOSSARY_KINDS.items():
            segment = Segment(f"glossary/{ident}/{field}", kind, getattr(entry, field), line)
            found.append(Entry(segment, getattr(theirs, field) if theirs else "", location=f"glossary/{path.name}"))
    return found


def _catalog(lang: str | None, lesson: Lesson, curriculum: Curriculum) -> Catalog:
    locale = None
    if lang:
        try:
            from babel import Locale

            locale = Locale.parse(lang.replace("-", "_"))
        except (ValueError, LookupError):
            locale = None
    from .i18n import language_name

    # Dated by the lesson's review, not the clock: exporting twice gives the same file.
    date = dt.datetime.combine(lesson.reviewed, dt.time(), dt.UTC)
    what = f"in {language_name(lang, 'en')}" if lang else "template"
    catalog = Catalog(
        locale=locale,
        header_comment=(
            f"# Lesson '{lesson.id}' of {curriculum.title}, {what}.\n"
            "# Made by trainkit translate export. Translate each msgstr; keep links, images and **marks**.\n"
            "# msgctxt says where a segment sits and the #. comment what it is."
        ),
        project=f"trainkit lesson {lesson.id}",
        version=lesson.fingerprint,
        copyright_holder=curriculum.title,
        msgid_bugs_address="",
        last_translator="Trainkit translators",
        language_team=language_name(lang, "en") if lang else "",
        fuzzy=False,
        creation_date=date,
        revision_date=date,
    )
    return catalog


def _add(catalog: Catalog, entry: Entry, location: str, with_translation: bool) -> None:
    message = catalog.add(
        entry.segment.text,
        entry.translation if with_translation else "",
        locations=[(entry.location or location, entry.segment.line)],
        auto_comments=[entry.segment.kind],
        context=entry.segment.ctx,
        flags=("fuzzy",) if with_translation and entry.fuzzy else (),
        previous_id=entry.previous if with_translation and entry.fuzzy and entry.previous else (),
    )
    message.flags.discard("python-format")  # our text is not Python's %-formatting; msgfmt -c would check it as such


def _po_bytes(catalog: Catalog, lang: str | None) -> bytes:
    buffer = io.BytesIO()
    # Babel writes a long previous msgid (#|) as one broken line, so ours are added below.
    write_po(buffer, catalog, width=76, include_previous=False, sort_output=False)
    data = _with_previous(buffer.getvalue().decode("utf-8"), catalog).encode("utf-8")
    if lang:  # the header names the language as the lesson files do (Babel writes its own form)
        data = data.replace(f'"Language: {catalog.locale}\\n"'.encode(), f'"Language: {lang}\\n"'.encode(), 1)
    return data


def _with_previous(text: str, catalog: Catalog) -> str:
    """Put each fuzzy entry's previous source text (`#| msgid`, wrapped as msgmerge wraps it) before its msgctxt."""
    from babel.messages.pofile import escape, normalize

    previous = {message.context: message.previous_id[0] for message in catalog if message.id and message.previous_id}
    if not previous:
        return text
    out = []
    for line in text.split("\n"):
        if line.startswith('msgctxt "'):
            context = line[len('msgctxt "') : -1]
            for ctx, old in previous.items():
                if escape(ctx)[1:-1] == context:
                    wrapped = normalize(old, width=76).split("\n")
                    out += [f"#| msgid {wrapped[0]}", *(f"#| {piece}" for piece in wrapped[1:])]
                    break
        out.append(line)
    return "\n".join(out)


def export(curriculum: Curriculum, lang: str, lesson_ids: Iterable[str], out: Path) -> list[Path]:
    """Write `out/<lesson>.pot` and `out/<lang>/<lesson>.po` for each lesson; the paths written."""
    from .files import write_atomic

    written = []
    for lesson_id in lesson_ids:
        lesson = curriculum.lessons[lesson_id]
        found = entries(curriculum, lesson, lang) + glossary_entries(curriculum, lesson, lang)
        location = lesson.path.relative_to(curriculum.root).as_posix()
        template, catalog = _catalog(None, lesson, curriculum), _catalog(lang, lesson, curriculum)
        for entry in found:
            _add(template, entry, location, with_translation=False)
            _add(catalog, entry, location, with_translation=True)
        pot, po = out / f"{lesson_id}.pot", out / lang / f"{lesson_id}.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(pot, _po_bytes(template, None))
        write_atomic(po, _po_bytes(catalog, lang))
        written += [pot, po]
    return written


@dataclass(frozen=True, slots=True)
class Imported:
    lesson: str
    path: Path  # the <lang>.md written
    translated: int
    total: int

    @property
    def percent(self) -> int:
        return 100 * self.translated // self.total if self.total else 100


def _refs(text: str) -> list[tuple[str, bool]]:
    from .markup import references

    return sorted((ref.target.strip(), ref.is_image) for ref in references([(text, False)]))


def _msgstr_problems(po: Path, line: int, msgid: str, msgstr: str, curriculum: Curriculum) -> list[Problem]:
    hint_links = "keep the links and images of the source text (msgid); a localized page must first be listed under 'link_equivalents' in curriculum.yml"
    problems = []
    refused = hostile_line(msgstr)
    if refused:
        problems.append(error(po, line, refused, "shorten the translation of this entry"))
    if "\n" in msgstr.strip():
        problems.append(error(po, line, "the translation has a line break", "write one segment as one paragraph, on one line"))
    starts = msgstr.lstrip().startswith(_BLOCK_STARTS) and not msgid.lstrip().startswith(_BLOCK_STARTS)
    if starts or "<!--" in msgstr and "<!--" not in msgid:
        problems.append(
            error(
                po,
                line,
                "the translation starts a block or a comment that the source text does not",
                "translate the text only; the lesson's structure comes from the source",
            )
        )
    mine, theirs = _refs(msgid), _refs(msgstr)
    if mine != theirs:
        allowed = {(eq, False) for target, image in mine if not image for eq in curriculum.link_equivalents.get(target, ())}
        extra = [ref for ref in theirs if ref not in mine and ref not in allowed]
        missing = [
            ref for ref in mine if ref not in theirs and not (set(curriculum.link_equivalents.get(ref[0], ())) & {t for t, _ in theirs})
        ]
        for target, image in extra:
            problems.append(
                error(po, line, f"{'image' if image else 'link'} '{target}' is not in the source text of this entry", hint_links)
            )
        for target, image in missing:
            problems.append(
                error(
                    po,
                    line,
                    f"the source text links to {'image' if image else ''}'{target}', which this translation lacks".replace(
                        "image'", "image '"
                    ),
                    hint_links,
                )
            )
    return problems


def import_catalogs(curriculum: Curriculum, lang: str, paths: list[Path]) -> list[Imported]:
    """Write `<lang>.md` for each catalog's lesson (named by the file: `<lesson>.po`), all or none."""
    from .translate import save_snapshot

    problems: list[Problem] = []
    planned: list[tuple[Lesson, Path, str, Imported]] = []
    glossary: dict[str, str] = {}  # glossary/<id>/<field> → translated text, from every catalog
    for po in paths:
        lesson = curriculum.lessons.get(po.stem)
        if lesson is None:
            problems.append(
                error(
                    po, None, f"no lesson '{po.stem}' in the curriculum", "a catalog is named <lesson id>.po, as translate export names it"
                )
            )
            continue
        try:
            catalog = read_po(io.BytesIO(po.read_bytes()), abort_invalid=True)
        except Exception as exc:  # Babel's PoFileError, a decoding error: the file is not a catalog we can read
            problems.append(
                error(po, getattr(exc, "lineno", None), f"not a readable gettext catalog: {exc}", "check the file with: msgfmt -c FILE")
            )
            continue
        header_lang = dict(catalog.mime_headers).get("Language", "")
        if header_lang.replace("_", "-").lower() != lang.lower():
            problems.append(
                error(
                    po,
                    1,
                    f"this catalog is for language '{header_lang or '(none)'}', not '{lang}'",
                    f"import it with: trainkit translate import {header_lang or 'LANG'} {po}",
                )
            )
            continue
        source = segment_file(lesson.path.read_text(encoding="utf-8"), lesson.path)
        own = source.by_ctx() | {entry.segment.ctx: entry.segment for entry in glossary_entries(curriculum, lesson, lang)}
        by_text = {s.text: s.ctx for s in source.segments}
        texts: dict[str, str] = {}
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            ctx = message.context if message.context in own and own[message.context].text == message.id else by_text.get(message.id)
            if ctx is None:
                continue  # a segment the source no longer has
            found = _msgstr_problems(po, message.lineno, message.id, str(message.string), curriculum)
            problems += found
            if not found:
                texts[ctx] = _ASCII_SPACE.sub(" ", str(message.string)).strip(" ")  # a PO editor's wrapping is not the text's
        terms = {ctx: text for ctx, text in texts.items() if ctx.startswith("glossary/")}
        glossary.update(terms)
        texts = {ctx: text for ctx, text in texts.items() if ctx not in terms}
        text = _translation_text(lesson, lang, source, texts)
        planned.append(
            (
                lesson,
                lesson.folder / f"{lang}.md",
                text,
                Imported(lesson.id, lesson.folder / f"{lang}.md", len(texts), len(source.segments)),
            )
        )
    if any(p.is_error for p in problems):
        raise ContentError(problems)
    if glossary:
        _write_glossary(curriculum, lang, glossary)
    done = []
    for lesson, target, text, result in planned:
        target.write_text(text, encoding="utf-8")
        save_snapshot(curriculum.root, lesson)
        done.append(result)
    return done


def _write_glossary(curriculum: Curriculum, lang: str, texts: dict[str, str]) -> None:
    """Put translated terms and definitions into glossary/<lang>.yml, keeping its other entries,
    their order and the comment at its top."""
    path = curriculum.root / "glossary" / f"{lang}.yml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    header = [line for line in text.split("\n")[:20] if line.startswith("#")]
    data = (yaml.safe_load(text) if text else None) or {}
    before = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    source = curriculum.glossaries.get(curriculum.source_language, {})
    for ident in dict.fromkeys(key.split("/")[1] for key in texts):
        entry = dict(data.get(ident) or {})
        term, definition = (
            texts.get(f"glossary/{ident}/{field}", entry.get(field) or getattr(source[ident], field)) for field in GLOSSARY_KINDS
        )
        data[ident] = {"term": term, "definition": definition, "lessons": list(source[ident].lessons)}
    if yaml.safe_dump(data, allow_unicode=True, sort_keys=False) == before:
        return  # nothing new: the file stays as its translators wrote it
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=None)
    if not header:
        header = [f"# Glossary in {lang}: the same ids as {curriculum.source_language}.yml (written by trainkit translate import)."]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(header) + "\n\n" + body, encoding="utf-8")


def _translation_text(lesson: Lesson, lang: str, source: Segmented, texts: dict[str, str]) -> str:
    """The `<lang>.md` file: front matter and body in the source's structure, with translated segments."""
    from .translate import git_commit

    def text(ctx: str) -> str:
        return texts.get(ctx, next(s.text for s in source.segments if s.ctx == ctx))

    front: dict[str, object] = {}
    ctxs = {s.ctx for s in source.segments}
    if "title" in ctxs:
        front["title"] = text("title")
    if "summary" in ctxs:
        front["summary"] = text("summary")
    for key in ("objectives", "materials"):
        items = [text(f"{key}/{i}") for i in range(1, len(source.front.get(key) or []) + 1) if f"{key}/{i}" in ctxs]
        if items:
            front[key] = items
    verify = [
        {"claim": text(f"verify/{i}"), "where": item.get("where", "")}
        for i, item in enumerate(source.front.get("verify") or [], start=1)
        if isinstance(item, dict) and f"verify/{i}" in ctxs
    ]
    if verify:
        front["verify"] = verify
    existing = lesson.translations.get(lang)
    if existing is not None:
        translated_front = segment_file(existing.path.read_text(encoding="utf-8"), existing.path).front
        if translated_front.get("translators"):
            front["translators"] = translated_front["translators"]
    front["source_fingerprint"] = fingerprint(lesson.path.read_text(encoding="utf-8"))
    commit = git_commit(lesson.path)
    if commit:
        front["source_commit"] = commit
    missing = [s.ctx for s in source.segments if s.ctx not in texts]
    if missing:
        front["untranslated"] = missing
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000).rstrip()
    return f"---\n{header}\n---\n{rebuild_body(source, texts)}"


def export_targets(curriculum: Curriculum, lang: str, lesson_ids: tuple[str, ...]) -> list[str]:
    from .errors import did_you_mean

    if lang == curriculum.source_language:
        raise UsageError(f"'{lang}' is the source language", "export a language translators translate into")
    if lang not in curriculum.languages:
        raise UsageError(f"'{lang}' is not a language of this curriculum", f"languages: {', '.join(curriculum.languages)}")
    for lesson_id in lesson_ids:
        if lesson_id not in curriculum.lessons:
            raise UsageError(f"unknown lesson '{lesson_id}'", did_you_mean(lesson_id, curriculum.lessons, "lessons"))
    return list(lesson_ids) or sorted(curriculum.lessons)
