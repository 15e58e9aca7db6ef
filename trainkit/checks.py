"""Cross-checks between files: vocabulary, prerequisites and cycles, images, reviews, profiles.

In: a loaded Curriculum and today's date. Out: Problems (errors and warnings).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .cast import check_names, name_vocabulary
from .errors import Problem, did_you_mean, error, warning
from .files import IMAGE_TYPES, Refused, image_candidates, read_bytes, sniff_image
from .i18n import is_rtl
from .model import Body, Curriculum, Field, Lesson, Translation, Worksheet, caution_verbs_pattern

MAX_BULLETS = 6
BIDI_CONTROLS = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
REVIEW_SOON_DAYS = 30


def check_curriculum(
    curriculum: Curriculum,
    today: dt.date,
    *,
    cache_dir: Path | None = None,
    fallbacks: bool = True,
    views: dict | None = None,
    languages: tuple[str, ...] | None = None,
) -> list[Problem]:
    """Every problem a build would meet, found before anything is rendered: cross-file
    problems, and per language the characters no font can draw, a missing UI catalog and
    (with `fallbacks`; a build says it per pack) the lessons shown in the source language.
    With `languages` (a build that makes packs in these only), only they are looked at."""
    problems: list[Problem] = []
    names = name_vocabulary(curriculum)
    for lesson in curriculum.lessons.values():
        problems += check_lesson(lesson, curriculum, today, names, languages)
    problems += check_prerequisite_cycles(curriculum)
    problems += check_worksheet_ids(curriculum)
    for profile in curriculum.profiles.values():
        problems += check_profile(profile, curriculum)
    problems += check_glossaries(curriculum)
    problems += check_languages(curriculum, cache_dir, fallbacks, views, languages)
    return problems


def check_languages(
    curriculum: Curriculum,
    cache_dir: Path | None = None,
    fallbacks: bool = True,
    views: dict | None = None,
    languages: tuple[str, ...] | None = None,
) -> list[Problem]:
    """What each language's packs would show: every glyph drawable, a catalog for the labels."""
    from . import catalogs
    from .i18n import language_name

    views = {} if views is None else views
    problems: list[Problem] = []
    for lang in curriculum.languages if languages is None else languages:
        if not catalogs.has_catalog(lang) and lang != "en":
            problems.append(
                warning(
                    None,
                    None,
                    f"no UI catalog for {language_name(lang, 'en')} ({lang}): headings and labels in its packs are in English",
                    f"create one with: pybabel init -i trainkit/locale/trainkit.pot -d trainkit/locale -D trainkit -l {lang}",
                )
            )
        missing = [
            lesson.id for lesson in curriculum.lessons.values() if lang != curriculum.source_language and lang not in lesson.translations
        ]
        if fallbacks and missing:
            problems.append(
                warning(
                    None,
                    None,
                    f"{len(missing)} lesson(s) not translated into {language_name(lang, 'en')}; "
                    f"{lang} packs show them in {language_name(curriculum.source_language, 'en')}: {', '.join(missing)}",
                    f"translate them with: trainkit translate new {lang} LESSON",
                )
            )
        for lesson in curriculum.lessons.values():
            problems += glyph_problems(lesson, lang, curriculum.source_language, cache_dir, views)
    return problems


def glyph_problems(lesson: Lesson, lang: str, source_language: str, cache_dir: Path | None, views: dict) -> list[Problem]:
    """A character no installed font can draw fails the lesson in that language, naming it.

    The localized lesson goes into `views`, which the build then uses for every pack."""
    from .fonts import describe, missing_glyphs
    from .localize import lesson_view

    if lang != source_language and lang not in lesson.translations:
        return []  # shown in the source language, which is checked on its own
    view = lesson_view(lesson, lang, source_language, views)
    parts = [view.title, view.summary, *view.objectives, view.participant, *view.keypoints, view.facilitator]
    parts += [p for item in view.checklist for p in (item.html, item.caution)] + [v.claim for v in view.verify]
    parts += [s.title + s.html + s.notes for s in view.slides] + [a.title + a.html for a in view.activities]
    text = _html_text("".join(str(p) for p in parts))
    return [
        error(
            view.source_path,
            None,
            f"{describe(char)} has no glyph in the installed fonts; it would print as an empty box",
            "install a font that has it (for example from fonts-noto), or replace the character",
        )
        for char in missing_glyphs(text, cache_dir)
    ]


def _check_slide_images(lesson: Lesson) -> list[Problem]:
    """A lesson with a diagram should show it on the slide that explains it: warn when its
    slides show no image at all (a lesson without images has nothing to show)."""
    from .markup import references

    images = [ref for ref in lesson.body.refs if ref.is_image]
    if not images or not lesson.body.slides:
        return []
    if any(ref.is_image for ref in references((slide.markdown, False) for slide in lesson.body.slides)):
        return []
    return [
        warning(
            lesson.path,
            images[0].line,
            "the lesson has images but none of its slides shows one",
            "show the diagram on the slide that explains it: add the same ![alt text](file) line to that slide",
        )
    ]


def _check_variants(lesson: Lesson, curriculum: Curriculum) -> list[Problem]:
    """Every `::: only` block names known audiences, and ones the lesson is taught to."""
    problems: list[Problem] = []
    known = curriculum.vocabulary.audiences
    for variant in lesson.body.variants:
        for audience in variant.audiences:
            if audience not in known:
                problems.append(
                    error(lesson.path, variant.line, f"'{audience}' is not a known audience", did_you_mean(audience, known, "audiences"))
                )
            elif audience not in lesson.audiences:
                problems.append(
                    warning(
                        lesson.path,
                        variant.line,
                        f"this passage is for '{audience}', but the lesson is not taught to that audience",
                        f"add '{audience}' to the lesson's audiences, or remove it here",
                    )
                )
    return problems


def check_worksheet_ids(curriculum: Curriculum) -> list[Problem]:
    """A worksheet id names its PDF form fields: two lessons in one pack must not share one."""
    problems: list[Problem] = []
    seen: dict[str, Lesson] = {}
    for lesson in curriculum.lessons.values():
        for worksheet in lesson.body.worksheets:
            first = seen.setdefault(worksheet.id, lesson)
            if first is not lesson:
                problems.append(
                    error(
                        lesson.path,
                        worksheet.line,
                        f"worksheet id '{worksheet.id}' is already used by lesson '{first.id}'",
                        "give each worksheet an id of its own across the curriculum; its form fields are named after it",
                    )
                )
    return problems


def _worksheet_shape(worksheet: Worksheet) -> tuple[str, tuple[tuple[str, str, int, int], ...]]:
    return worksheet.id, tuple(_worksheet_shape_field(field) for field in worksheet.fields)


def _check_worksheet_parity(translation: Translation, lesson: Lesson) -> list[Problem]:
    """A translation's worksheets have the source's ids, fields, kinds, rows and columns: only words change."""
    problems: list[Problem] = []
    source = {w.id: w for w in lesson.body.worksheets}
    mine = {w.id: w for w in translation.body.worksheets}
    for ident, worksheet in mine.items():
        if ident not in source:
            problems.append(
                error(translation.path, worksheet.line, f"the source has no worksheet '{ident}'", "keep the worksheet ids of the source")
            )
            continue
        theirs, ours = _worksheet_shape(worksheet), _worksheet_shape(source[ident])
        if theirs != ours:
            where = next(
                (f.line for f, o in zip(worksheet.fields, ours[1], strict=False) if _worksheet_shape_field(f) != o), worksheet.line
            )
            problems.append(
                error(
                    translation.path,
                    where,
                    f"worksheet '{ident}' has other fields than the source's",
                    "translate only the labels: keep each field's kind, id, rows and number of columns as in the source",
                )
            )
    for ident in sorted(source.keys() - mine.keys()) if mine else ():  # with none at all, the missing block is reported once
        problems.append(
            warning(
                translation.path,
                None,
                f"worksheet '{ident}' of the source is missing",
                "translate every worksheet; copy it from the source and translate its words",
            )
        )
    return problems


def _worksheet_shape_field(field: Field) -> tuple[str, str, int, int]:
    return field.kind.value, field.id, field.rows, len(field.columns)


def _audience_list(variants: list[tuple[str, ...]]) -> str:
    return "; ".join(" ".join(audiences) for audiences in variants) or "none"


def _html_text(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))


def check_lesson(
    lesson: Lesson, curriculum: Curriculum, today: dt.date, names: tuple[set[str], set[str]], languages: tuple[str, ...] | None = None
) -> list[Problem]:
    """The lesson's own problems and its translations' (only those into `languages`, when given)."""
    problems: list[Problem] = []
    vocabulary = curriculum.vocabulary
    for kind, values in (("topics", lesson.topics), ("audiences", lesson.audiences)):
        known = getattr(vocabulary, kind)
        for value in values:
            if value not in known:
                hint = did_you_mean(value, known, kind)
                problems.append(
                    error(
                        lesson.path,
                        lesson.line_of(kind),
                        f"'{value}' is not a known {kind[:-1] if kind == 'topics' else 'audience'}",
                        f"{hint}; a curriculum adds its own in curriculum.yml under '{kind}:'",
                    )
                )
    for prerequisite in lesson.prerequisites:
        if prerequisite == lesson.id:
            problems.append(error(lesson.path, lesson.line_of("prerequisites"), "a lesson cannot be its own prerequisite", None))
        elif prerequisite not in curriculum.lessons:
            problems.append(
                error(
                    lesson.path,
                    lesson.line_of("prerequisites"),
                    f"unknown prerequisite '{prerequisite}'",
                    did_you_mean(prerequisite, curriculum.lessons, "lessons"),
                )
            )
    problems += _check_review(lesson, today)
    problems += _check_variants(lesson, curriculum)
    problems += _check_slide_images(lesson)
    problems += check_body(lesson.path, lesson.body, lesson.folder, curriculum.source_language)
    problems += check_cautions(lesson, curriculum.caution_verbs)
    problems += check_names(lesson, curriculum, names)
    for translation in lesson.translations.values():
        if languages is None or translation.lang in languages:
            problems += check_translation(translation, lesson, curriculum)
    return problems


def check_cautions(lesson: Lesson, verbs: tuple[str, ...]) -> list[Problem]:
    """A numbered step or checklist item with a risky verb needs a `::: caution` in its section.

    Removing a linked device, signing out sessions or turning off location sharing can alert
    the person who set up the surveillance; the warning belongs next to the step."""
    pattern = caution_verbs_pattern(verbs)
    if pattern is None:
        return []
    covered = {(caution.container, caution.section) for caution in lesson.body.cautions}
    problems = []
    for step in lesson.body.steps:
        found = pattern.search(re.sub(r"\]\([^)]*\)", "]", step.text))
        if found and (step.container, step.section) not in covered:
            where = "checklist" if step.container == "checklist" else "section"
            problems.append(
                warning(
                    lesson.path,
                    step.line,
                    f"this step says '{found.group(0)}' but its {where} has no '::: caution'",
                    "if the step can alert someone who set up surveillance or endanger the reader, add a '::: caution' block right before it",
                )
            )
    return problems


def _check_review(lesson: Lesson, today: dt.date) -> list[Problem]:
    """Every problem with the review dates, not just the first one."""
    problems = []
    line = lesson.line_of("review_by") or lesson.line_of("reviewed")
    if lesson.review_by < today:
        problems.append(
            error(
                lesson.path,
                line,
                f"the security advice was due for review on {lesson.review_by.isoformat()}",
                "check every fact and tool against current sources, then update 'reviewed' and 'review_by'",
            )
        )
    elif (lesson.review_by - today).days <= REVIEW_SOON_DAYS:
        problems.append(
            warning(
                lesson.path,
                line,
                f"the security advice is due for review on {lesson.review_by.isoformat()}",
                "plan a review of the lesson's facts before then",
            )
        )
    if lesson.reviewed > today:
        problems.append(
            error(
                lesson.path,
                lesson.line_of("reviewed"),
                f"'reviewed' is in the future ({lesson.reviewed.isoformat()})",
                "use the date the facts were checked",
            )
        )
    if lesson.review_by < lesson.reviewed:
        problems.append(
            error(lesson.path, line, "'review_by' comes before 'reviewed'", "a review is due after the facts were checked, not before")
        )
    return problems


def check_body(path: Path, body: Body, folder: Path, lang: str) -> list[Problem]:
    """Images (exist, inside the lesson folder, alt text) and slide hygiene for one file."""
    problems: list[Problem] = []
    for ref in body.refs:
        if ref.is_image:
            problems += check_image(path, ref.line, ref.target, ref.text, folder, lang)
    for slide in body.slides:
        bullets = sum(1 for line in slide.markdown.split("\n") if re.match(r"^\s{0,3}(?:[-*+]|\d+[.)])\s", line))
        if bullets > MAX_BULLETS:
            problems.append(
                warning(
                    path,
                    slide.line,
                    f"slide '{slide.title}' has {bullets} bullets; more than {MAX_BULLETS} will be hard to read",
                    "split it into two slides",
                )
            )
        if not slide.notes.strip():
            problems.append(
                warning(path, slide.line, f"slide '{slide.title}' has no speaker notes", "add a '::: notes' block after the slide")
            )
    if not is_rtl(lang):
        for text in _all_lines(body):
            if _BIDI.search(text):
                problems.append(
                    warning(
                        path,
                        None,
                        "bidirectional control characters in left-to-right text can disguise a link or a word",
                        "delete the invisible characters (U+202A–U+202E, U+2066–U+2069)",
                    )
                )
                break
    return problems


def _all_lines(body: Body) -> list[str]:
    parts = [body.participant, body.keypoints, body.checklist, body.facilitator]
    parts += [s.title + "\n" + s.markdown + "\n" + s.notes for s in body.slides]
    parts += [a.title + "\n" + a.markdown for a in body.activities]
    return "\n".join(parts).split("\n")


def check_image(path: Path, line: int, target: str, alt: str, folder: Path, lang: str) -> list[Problem]:
    problems: list[Problem] = []
    if not alt.strip():
        problems.append(
            error(
                path,
                line,
                f"image '{target}' has no alt text",
                "describe the image for people who cannot see it: ![what it shows](file.svg)",
            )
        )
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        problems.append(
            error(
                path,
                line,
                f"image '{target}' is not a file in the lesson folder",
                "images must be files next to the lesson; remote images would make the pack contact the network",
            )
        )
        return problems
    relative = unquote(parts.path)
    candidate = (folder / relative).resolve()
    if relative.startswith(("/", "\\")) or ".." in Path(relative).parts or not _is_within(candidate, folder.resolve()):
        problems.append(
            error(
                path,
                line,
                f"image '{target}' is outside the lesson folder",
                "put the image in the lesson's own folder and refer to it by its name",
            )
        )
        return problems
    if len(Path(relative).parts) != 1 or relative.startswith("."):
        problems.append(
            error(
                path,
                line,
                f"image '{target}' is not a file directly in the lesson folder",
                "move it next to the lesson file and refer to it by its name alone",
            )
        )
        return problems
    if Path(relative).suffix.lower() not in IMAGE_TYPES:
        problems.append(error(path, line, f"'{target}' is not a supported image type", "use PNG, JPEG, GIF, WebP or SVG"))
        return problems
    for file in (folder / candidate for candidate in image_candidates(relative, lang)):
        if not file.exists() and not file.is_symlink():
            continue
        try:
            sniff_image(read_bytes(file, folder), file.name, decode=True)
        except Refused as refused:
            problems.append(
                error(
                    path,
                    line,
                    f"image '{file.name}' is refused: {refused.message}",
                    "use a plain PNG, JPEG, GIF, WebP or SVG file, not a link or a special file",
                )
            )
        break
    else:
        problems.append(error(path, line, f"missing image '{target}'", f"add {relative} to {folder.name}/, or fix the file name"))
    return problems


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def check_translation(translation: Translation, lesson: Lesson, curriculum: Curriculum) -> list[Problem]:
    problems: list[Problem] = []
    if translation.lang not in curriculum.languages:
        problems.append(
            error(
                translation.path,
                None,
                f"'{translation.lang}' is not a language of this curriculum",
                f"add it to 'languages' in curriculum.yml (now: {', '.join(curriculum.languages)})",
            )
        )
    if translation.source_fingerprint != lesson.fingerprint:
        problems.append(
            warning(
                translation.path,
                2,
                f"stale translation: the {curriculum.source_language} source changed after it was translated",
                f"see what changed with: trainkit translate status --lang {translation.lang}; then update the text and run: trainkit translate mark-current {translation.lang} {lesson.id}",
            )
        )
    missing = lesson.body.block_names() - translation.body.block_names()
    for name in sorted(missing):
        problems.append(
            warning(
                translation.path,
                None,
                f"the source has a '::: {name}' block that this translation lacks",
                "translate the block too, keeping its '::: name' line unchanged",
            )
        )
    if len(translation.materials) not in (0, len(lesson.materials)):
        problems.append(
            warning(
                translation.path,
                None,
                f"{len(translation.materials)} materials, but the source has {len(lesson.materials)}",
                "translate each item, one for one",
            )
        )
    if len(translation.objectives) not in (0, len(lesson.objectives)):
        problems.append(
            warning(
                translation.path,
                None,
                f"{len(translation.objectives)} objectives, but the source has {len(lesson.objectives)}",
                "translate each objective, one for one",
            )
        )
    problems += _check_worksheet_parity(translation, lesson)
    theirs = [variant.audiences for variant in translation.body.variants]
    ours = [variant.audiences for variant in lesson.body.variants]
    if theirs != ours:
        line = next((t.line for t, o in zip(translation.body.variants, ours, strict=False) if t.audiences != o), None)
        problems.append(
            error(
                translation.path,
                line or (translation.body.variants[-1].line if len(theirs) > len(ours) else None),
                f"the '::: only' blocks ({_audience_list(theirs)}) differ from the source's ({_audience_list(ours)})",
                "keep every '::: only {audience=…}' block of the source, with the same audiences, in the same order",
            )
        )
    if len(translation.body.cautions) != len(lesson.body.cautions):
        problems.append(
            warning(
                translation.path,
                None,
                f"{len(translation.body.cautions)} '::: caution' blocks, but the source has {len(lesson.body.cautions)}",
                "every safety warning of the source must be translated, in the same place",
            )
        )
    if translation.verify and [v.where for v in translation.verify] != [v.where for v in lesson.verify]:
        problems.append(
            warning(
                translation.path,
                None,
                "'verify' does not match the source: the same claims, in the same order, with the same 'where'",
                "translate each claim and keep its 'where' as in the source",
            )
        )
    problems += check_body(translation.path, translation.body, lesson.folder, translation.lang)
    problems += check_link_parity(translation, lesson, curriculum)
    return problems


def check_link_parity(translation: Translation, lesson: Lesson, curriculum: Curriculum) -> list[Problem]:
    """A translation links to exactly the source's addresses and images (or reviewed local equivalents)."""
    problems: list[Problem] = []
    hint = "a translation keeps the source's links; a localized page must be listed under 'link_equivalents' in curriculum.yml after review"
    for is_image in (False, True):
        source = {ref.target.strip() for ref in lesson.body.refs if ref.is_image == is_image}
        seen: set[str] = set()
        for ref in translation.body.refs:
            target = ref.target.strip()
            if ref.is_image != is_image or target in source or target in seen:
                continue
            seen.add(target)
            if not is_image and any(target in curriculum.link_equivalents.get(s, ()) for s in source):
                continue
            kind = "image" if is_image else "link"
            problems.append(error(translation.path, ref.line, f"{kind} '{target}' is not in the source lesson", hint))
        present = {ref.target.strip() for ref in translation.body.refs if ref.is_image == is_image}
        for target in sorted(source - present):
            if not is_image and any(eq in present for eq in curriculum.link_equivalents.get(target, ())):
                continue
            kind = "image" if is_image else "link"
            problems.append(error(translation.path, None, f"the source has the {kind} '{target}', which this translation lacks", hint))
    return problems


def check_prerequisite_cycles(curriculum: Curriculum) -> list[Problem]:
    """Name every prerequisite cycle once, at the lesson where it is first reached."""
    problems: list[Problem] = []
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(ident: str, trail: list[str]) -> None:
        state[ident] = 1
        trail.append(ident)
        for nxt in curriculum.lessons[ident].prerequisites:
            if nxt not in curriculum.lessons or nxt == ident:
                continue
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt) :] + [nxt]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    lesson = curriculum.lessons[ident]
                    problems.append(
                        error(
                            lesson.path,
                            lesson.line_of("prerequisites"),
                            f"prerequisite cycle: {' → '.join(cycle)}",
                            "a lesson cannot come before itself; remove one of these prerequisites",
                        )
                    )
            elif nxt not in state:
                visit(nxt, trail)
        trail.pop()
        state[ident] = 2

    for ident in sorted(curriculum.lessons):
        if ident not in state:
            visit(ident, [])
    return problems


def check_profile(profile, curriculum: Curriculum) -> list[Problem]:  # type: ignore[no-untyped-def]
    problems: list[Problem] = []
    for kind in ("audiences", "topics"):
        known = getattr(curriculum.vocabulary, kind)
        for value in getattr(profile, kind) or ():
            if value not in known:
                problems.append(
                    error(
                        profile.path,
                        profile.lines.get(kind),
                        f"'{value}' is not a known {'topic' if kind == 'topics' else 'audience'}",
                        did_you_mean(value, known, kind),
                    )
                )
    for kind in ("include", "exclude", "optional"):
        for ident in getattr(profile, kind):
            if ident not in curriculum.lessons:
                problems.append(
                    error(
                        profile.path,
                        profile.lines.get(kind),
                        f"unknown lesson '{ident}' in {kind}",
                        did_you_mean(ident, curriculum.lessons, "lessons"),
                    )
                )
    return problems


def check_glossaries(curriculum: Curriculum) -> list[Problem]:
    problems: list[Problem] = []
    for lang, entries in curriculum.glossaries.items():
        path = curriculum.root / "glossary" / f"{lang}.yml"
        if lang not in curriculum.languages:
            problems.append(
                error(
                    path,
                    None,
                    f"glossary for '{lang}', which is not a language of this curriculum",
                    f"languages: {', '.join(curriculum.languages)}",
                )
            )
        for entry in entries.values():
            for ident in entry.lessons:
                if ident not in curriculum.lessons:
                    problems.append(
                        error(
                            path,
                            None,
                            f"glossary term '{entry.id}' names unknown lesson '{ident}'",
                            did_you_mean(ident, curriculum.lessons, "lessons"),
                        )
                    )
    return problems
