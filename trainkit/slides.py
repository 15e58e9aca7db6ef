"""Slides: a pack's lessons → one self-contained HTML deck (with speaker view) and a 16:9 PDF.

In: a Renderer (language, pack, workshop) and the PDF writer. Out: slides.html
(CSS, script, images and font subsets inlined; CSP default-src 'none' with a
hash for our one script) and slides.pdf (one 1280×720 page per slide, or with
speaker notes under each slide).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from . import fonts
from .localize import LessonView, PackView
from .render import Renderer

AGENDA_PER_SLIDE = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class DeckSlide:
    kind: str  # title, agenda, section, content
    title: Markup = Markup("")
    html: Markup = Markup("")
    notes: Markup = Markup("")
    view: LessonView | None = None
    number: int = 0
    items: tuple[Any, ...] = ()
    start: int = 1
    part: str = ""
    lesson_title: Markup = Markup("")


def deck_slides(renderer: Renderer, pack: PackView) -> list[DeckSlide]:
    """Title, agenda, then per lesson a section slide followed by the lesson's own slides."""
    _ = renderer._
    slides = [
        DeckSlide(
            kind="title",
            notes=Markup("<p>{}</p>").format(_("Welcome everyone; agree on how the group will keep each other safe during the workshop.")),
        )
    ]
    items = [{"title": view.title, "minutes": view.duration} for view in pack.lessons]
    chunks = [items[i : i + AGENDA_PER_SLIDE] for i in range(0, len(items), AGENDA_PER_SLIDE)] or [[]]
    for index, chunk in enumerate(chunks):
        part = f"{index + 1}/{len(chunks)}" if len(chunks) > 1 else ""
        first = index * AGENDA_PER_SLIDE + 1
        half = (len(chunk) + 1) // 2
        columns = ({"start": first, "entries": chunk[:half]}, {"start": first + half, "entries": chunk[half:]})
        slides.append(
            DeckSlide(
                kind="agenda",
                items=columns,
                start=first,
                part=part,
                notes=Markup("<p>{}</p>").format(_("Walk through the plan for the day and agree on breaks.")),
            )
        )
    for number, view in enumerate(pack.lessons, start=1):
        summary = Markup("<p>{}</p>").format(view.summary) if view.summary else Markup("")
        slides.append(DeckSlide(kind="section", view=view, number=number, notes=summary))
        for slide in view.slides:
            slides.append(DeckSlide(kind="content", title=slide.title, html=slide.html, notes=slide.notes, lesson_title=view.title))
    return slides


def render_deck(renderer: Renderer, pack: PackView, medium: str, with_notes: bool = False) -> str:
    slides = deck_slides(renderer, pack)
    extra: dict[str, Any] = {
        "slides": slides,
        "medium": medium,
        "with_notes": with_notes,
        "document_title": renderer._title("Workshop slides"),
    }
    if medium == "screen":
        script = (renderer.templates / "slides" / "deck.js").read_text(encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        faces, stack = fonts.embedded_faces(language_text(renderer), renderer.cache_dir)
        extra.update(script=f"sha256-{digest}", script_source=Markup(script), font_faces=Markup(faces), font_stack=Markup(stack))
    else:
        extra.update(
            font_faces=Markup(""), font_stack=Markup('"Noto Sans", "DejaVu Sans", "Noto Naskh Arabic", "Noto Sans Arabic", sans-serif')
        )
    context = renderer.context(**extra)
    return renderer.finish(renderer.env.get_template("slides.html.j2").render(context))


def language_text(renderer: Renderer) -> str:
    """Every character a deck in this language may show: the whole curriculum's text in the
    language and its source, the UI catalog and the templates. The same for every profile,
    so the font subsets are made once per language (fonts.embedded_faces is memoized)."""
    from . import catalogs

    curriculum = renderer.pack.curriculum
    lang = renderer.lang
    chars: set[str] = set("0123456789:·–—…→←↑↓?/()")
    for lesson in curriculum.lessons.values():
        for path in (lesson.path, *(t.path for code, t in lesson.translations.items() if code == lang)):
            chars.update(path.read_text(encoding="utf-8"))
    for profile in curriculum.profiles.values():
        chars.update(profile.title_in(lang) + profile.title)
    chars.update(curriculum.title_in(lang) + curriculum.title)
    catalog = catalogs.catalog_path(lang)
    if catalog.is_file():
        chars.update(catalog.read_text(encoding="utf-8"))
    chars.update((renderer.templates / "slides.html.j2").read_text(encoding="utf-8"))
    return "".join(sorted(chars))
