"""Localize a Selection for one language: per-lesson fallback, then HTML-ready views.

In: Curriculum, Selection, language. Out: PackView (frozen), where every text
field is sanitised HTML (markupsafe.Markup) and every id has its label.
Each lesson uses its translation when one exists, else the source language.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from markupsafe import Markup

from .assets import image_url
from .blocks import body_for
from .cast import appearing_in, people
from .markup import list_items, plain_text, render_inline, render_markdown
from .model import Body, Curriculum, Field, Lesson, Persona, Translation, Worksheet
from .select import Selection


@dataclass(frozen=True, slots=True, kw_only=True)
class SlideView:
    title: Markup
    html: Markup
    notes: Markup


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityView:
    title: Markup
    phase: str
    minutes: int
    group: str | None
    html: Markup


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldView:
    """A worksheet field as the templates draw it; `name` is its form field name in the PDF."""

    kind: str
    id: str
    name: str
    label: Markup
    label_text: str  # the label as plain text: the field's name for a screen reader and a PDF form
    rows: int
    columns: tuple[Markup, ...]
    column_texts: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksheetView:
    id: str
    title: Markup
    intro: Markup
    fields: tuple[FieldView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemView:
    """A checklist item, with the caution box that must be read before it (empty if none)."""

    html: Markup
    caution: Markup = Markup("")

    def __html__(self) -> str:
        return str(self.html)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyView:
    """A claim the trainer re-checks before teaching, and where to check it."""

    claim: Markup
    where: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonView:
    id: str
    lesson: Lesson
    lang: str
    fallback: bool
    stale: bool
    title: Markup
    summary: Markup
    objectives: tuple[Markup, ...]
    materials: tuple[str, ...]
    participant: Markup
    keypoints: tuple[Markup, ...]
    checklist: tuple[ItemView, ...]
    facilitator: Markup
    slides: tuple[SlideView, ...]
    activities: tuple[ActivityView, ...]
    pulled_in_by: tuple[str, ...]
    worksheets: tuple[WorksheetView, ...] = ()
    verify: tuple[VerifyView, ...] = ()
    cautions: tuple[Markup, ...] = ()  # what participants are warned about (text, checklist, slides)
    images: tuple[str, ...] = ()  # the trainkit:lesson/ URLs of the images it shows (assets.py)
    translated_percent: int = 100  # below 100: a partial translation, the rest in the source text
    untranslated_in: tuple[str, ...] = ()  # where the source text shows: headings (as the translation words them) or area:<key>

    @property
    def partial(self) -> bool:
        return self.translated_percent < 100

    @property
    def duration(self) -> int:
        return self.lesson.duration

    @property
    def source_path(self) -> Path:
        translation = self.lesson.translations.get(self.lang)
        return translation.path if translation and not self.fallback else self.lesson.path


# Each lesson localized once per build: (id, language, which of its `::: only` passages are shown).
ViewCache = dict[tuple[str, str, "tuple[int, ...] | str"], LessonView]


@dataclass(frozen=True, slots=True, kw_only=True)
class GlossaryView:
    term: str
    definition: str
    fallback: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PackView:
    curriculum: Curriculum
    selection: Selection
    lang: str
    lessons: tuple[LessonView, ...]
    glossary: tuple[GlossaryView, ...]
    cast: tuple[Persona, ...] = ()
    optional: tuple[LessonView, ...] = ()

    @property
    def fallbacks(self) -> tuple[LessonView, ...]:
        return tuple(view for view in self.lessons if view.fallback)

    @property
    def stale(self) -> tuple[LessonView, ...]:
        return tuple(view for view in self.lessons if view.stale)


# Where an untranslated segment sits when no heading of the text holds it: "area:<key>",
# which the templates word in the pack's language (render.AREAS).
_AREAS = ("title", "summary", "objectives", "materials", "verify", "keypoints", "checklist", "slides", "facilitator")


def _untranslated(lesson: Lesson, translation: Translation) -> tuple[int, tuple[str, ...]]:
    """A partial translation's share of translated segments, and where the rest is: the
    headings of the sections (as the translation words them) or the parts it is in."""
    if not translation.untranslated:
        return 100, ()
    from .segments import segment_file

    source = segment_file(lesson.path.read_text(encoding="utf-8"), lesson.path)
    mine = segment_file(translation.path.read_text(encoding="utf-8"), translation.path).by_ctx()
    total = len(source.segments) or 1
    places: dict[str, None] = {}
    for ctx in translation.untranslated:
        first = ctx.split("/")[0]
        heading = mine.get(f"{first}/h1")
        if heading is not None:
            places[heading.text] = None
        elif first.startswith("activity"):
            places["area:activities"] = None
        else:
            places[f"area:{first if first in _AREAS else 'introduction'}"] = None
    return 100 * (total - len(translation.untranslated)) // total, tuple(places)


def localize_lesson(lesson: Lesson, lang: str, pulled_in_by: tuple[str, ...] = (), audiences: frozenset[str] | None = None) -> LessonView:
    """One lesson in `lang`: its translation when there is one, else the source (a fallback).

    With `audiences` (a pack's), passages for other audiences (`::: only`) are left out;
    with None every variant is shown, as `check` reads it."""
    translation = lesson.translations.get(lang)
    if translation is not None:
        title, summary, body = translation.title, translation.summary or lesson.summary, translation.body
        objectives = translation.objectives or lesson.objectives
        materials = translation.materials or lesson.materials
        verify = translation.verify if len(translation.verify) == len(lesson.verify) else lesson.verify
        fallback, stale = False, translation.source_fingerprint != lesson.fingerprint
    else:
        title, summary, body, objectives = lesson.title, lesson.summary, lesson.body, lesson.objectives
        materials = lesson.materials
        verify = lesson.verify
        fallback, stale = True, False
    if audiences is not None:
        body = body_for(body, audiences)
    # The same candidates check accepts (files.image_candidates): a translation's language,
    # else the source language, whose `<stem>.<source>.<ext>` stands for `<stem>.<ext>` too.
    image_lang = lang if translation is not None else lesson.path.stem

    images: dict[str, None] = {}

    def resolve(name: str) -> str | None:
        url = image_url(lesson, image_lang, name)
        if url is not None:
            images[url] = None
        return url

    def md(text: str) -> Markup:
        return Markup(render_markdown(text, resolve))

    percent, untranslated_in = _untranslated(lesson, translation) if translation is not None else (100, ())
    view = LessonView(
        id=lesson.id,
        translated_percent=percent,
        untranslated_in=untranslated_in,
        lesson=lesson,
        lang=lang if not fallback else "",
        fallback=fallback,
        stale=stale,
        title=Markup(render_inline(title)),
        summary=Markup(render_inline(summary)),
        objectives=tuple(Markup(render_inline(o)) for o in objectives),
        materials=tuple(materials),
        participant=md(body.participant),
        keypoints=tuple(Markup(i.html) for i in list_items(body.keypoints)),
        checklist=tuple(ItemView(html=Markup(i.html), caution=Markup(i.caution)) for i in list_items(body.checklist, resolve)),
        facilitator=md(body.facilitator),
        slides=_slides(body, md),
        activities=tuple(
            ActivityView(
                title=Markup(render_inline(a.title)),
                phase=a.phase.value,
                minutes=a.minutes,
                group=a.group.value if a.group else None,
                html=md(a.markdown),
            )
            for a in body.activities
        ),
        pulled_in_by=pulled_in_by,
        worksheets=tuple(_worksheet(w, md) for w in body.worksheets),
        verify=tuple(
            VerifyView(claim=Markup(render_inline(v.claim)), where=source.where) for v, source in zip(verify, lesson.verify, strict=False)
        ),
        cautions=tuple(md(c.markdown) for c in body.cautions if c.container in PARTICIPANT_FACING),
    )
    return replace(view, images=tuple(images))  # every Markdown above is rendered by now


PARTICIPANT_FACING = ("participant", "checklist", "slides")


def _worksheet(worksheet: Worksheet, md) -> WorksheetView:  # type: ignore[no-untyped-def]
    def field(f: Field) -> FieldView:
        columns = tuple(Markup(render_inline(c)) for c in f.columns)
        label = Markup(render_inline(f.label))
        return FieldView(
            kind=f.kind.value,
            id=f.id,
            name=f"{worksheet.id}-{f.id}",
            label=label,
            label_text=plain_text(str(label)),
            rows=f.rows,
            columns=columns,
            column_texts=tuple(plain_text(str(c)) for c in columns),
        )

    return WorksheetView(
        id=worksheet.id,
        title=Markup(render_inline(worksheet.title)),
        intro=md(worksheet.markdown),
        fields=tuple(field(f) for f in worksheet.fields),
    )


def _slides(body: Body, md) -> tuple[SlideView, ...]:  # type: ignore[no-untyped-def]
    return tuple(SlideView(title=Markup(render_inline(s.title)), html=md(s.markdown), notes=md(s.notes)) for s in body.slides)


def localize_pack(curriculum: Curriculum, selection: Selection, lang: str, cache: ViewCache | None = None) -> PackView:
    """Every lesson of the selection in `lang` (with fallback), and the glossary of their terms.

    `cache` (one per build) keeps each lesson's rendered Markdown per language, so
    a lesson shared by several profiles is converted once.
    """
    cache = {} if cache is None else cache
    audiences = frozenset(selection.profile.audiences)
    views = []
    for lesson in selection.lessons:
        view = lesson_view(lesson, lang, curriculum.source_language, cache, audiences)
        views.append(replace(view, pulled_in_by=selection.pulled_in.get(lesson.id, ())))
    chosen = set(selection.ids)
    optional = tuple(
        lesson_view(curriculum.lessons[ident], lang, curriculum.source_language, cache, audiences)
        for ident in selection.profile.optional
        if ident in curriculum.lessons and ident not in chosen
    )
    return PackView(
        curriculum=curriculum,
        selection=selection,
        lang=lang,
        lessons=tuple(views),
        glossary=_glossary(curriculum, selection, lang),
        cast=_cast(curriculum, views, lang),
        optional=optional,
    )


def _cast(curriculum: Curriculum, views: list[LessonView], lang: str) -> tuple[Persona, ...]:
    """The people of the cast who appear in these lessons, as written in the pack's language."""
    local, source = people(curriculum, lang), people(curriculum, curriculum.source_language)
    found: dict[str, Persona] = {}
    for view in views:
        cast = source if view.fallback else local
        text = " ".join(str(part) for part in (view.participant, view.facilitator, *(a.html for a in view.activities)))
        text += " ".join(str(s.html) + str(s.notes) for s in view.slides)
        for person in appearing_in(text, cast):
            found.setdefault(person.id, local[person.id])
    order = list(local)
    return tuple(sorted(found.values(), key=lambda person: order.index(person.id)))


def lesson_view(lesson: Lesson, lang: str, source_language: str, cache: ViewCache, audiences: frozenset[str] | None = None) -> LessonView:
    """One lesson in `lang`, made once per build: check (glyphs) and every pack share it,
    unless it has passages for some audiences only: then once per set of passages shown."""
    key = (lesson.id, lang, _variants_shown(lesson, lang, audiences))
    view = cache.get(key)
    if view is None:
        view = localize_lesson(lesson, lang, audiences=audiences)
        if lang == source_language:
            view = _as_source(view, lang)
        cache[key] = view
    return view


def _variants_shown(lesson: Lesson, lang: str, audiences: frozenset[str] | None) -> tuple[int, ...] | str:
    translation = lesson.translations.get(lang)
    variants = (translation.body if translation is not None else lesson.body).variants
    if not variants:
        return "whole"
    if audiences is None:
        return "every variant"
    return tuple(number for number, variant in enumerate(variants) if audiences & set(variant.audiences))


def _as_source(view: LessonView, lang: str) -> LessonView:
    return replace(view, lang=lang, fallback=False)


def _glossary(curriculum: Curriculum, selection: Selection, lang: str) -> tuple[GlossaryView, ...]:
    ids = set(selection.ids)
    source = curriculum.glossaries.get(curriculum.source_language, {})
    local = curriculum.glossaries.get(lang, {})
    entries = []
    for ident, entry in source.items():
        if not ids & set(entry.lessons):
            continue
        translated = local.get(ident)
        chosen = translated or entry
        entries.append(
            GlossaryView(term=chosen.term, definition=chosen.definition, fallback=translated is None and lang != curriculum.source_language)
        )
    return tuple(sorted(entries, key=lambda e: e.term.casefold()))
