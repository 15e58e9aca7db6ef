"""Templates → HTML strings. Jinja2 with autoescape and StrictUndefined; no WeasyPrint here.

In: a PackView and options. Out: the HTML of the handout (print or screen) and the
guide. Lesson text reaches templates only as sanitised Markup values: it is never
compiled as a template.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
from babel.dates import format_time
from markupsafe import Markup

from . import catalogs
from .agenda import Day
from .assets import shown_in
from .i18n import is_rtl, language_name
from .localize import PackView
from .markup import continue_numbering, label_cautions, scroll_tables
from .model import Workshop
from .pdf.document import Page, PagedDocument, Part


def _shipped_templates() -> Path:
    """The templates: inside the installed package (a wheel maps templates/ to trainkit/templates),
    or beside the package in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "base.html.j2").is_file():
            return candidate
    return here / "templates"


TEMPLATES = _shipped_templates()


def templates_dir() -> Path:
    """The templates folder; TRAINKIT_TEMPLATES points at a copy to try changes to templates or CSS."""
    override = os.environ.get("TRAINKIT_TEMPLATES")
    return Path(override).absolute() if override else TEMPLATES


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


LEVELS = {"beginner": N_("Beginner"), "intermediate": N_("Intermediate"), "advanced": N_("Advanced")}
PHASES = {
    "activity": N_("Activity"),
    "discussion": N_("Discussion"),
    "input": N_("Input"),
    "deepening": N_("Deepening"),
    "synthesis": N_("Synthesis"),
}
GROUPS = {"individual": N_("Individual"), "pairs": N_("Pairs"), "small-groups": N_("Small groups"), "whole-group": N_("Whole group")}
AREAS = {
    "title": N_("the title"),
    "summary": N_("the summary"),
    "introduction": N_("the introduction"),
    "objectives": N_("the objectives"),
    "materials": N_("the materials"),
    "verify": N_("the facts to re-check"),
    "keypoints": N_("the key points"),
    "checklist": N_("the checklist"),
    "slides": N_("the slides"),
    "facilitator": N_("the facilitator notes"),
    "activities": N_("the activities"),
}
TOPICS = {"foundations": N_("Foundations"), "encryption": N_("Encryption"), "anonymity": N_("Anonymity"), "pseudonyms": N_("Pseudonyms")}


@cache
def environment(lang: str, templates: Path = TEMPLATES, cache_dir: Path | None = None) -> jinja2.Environment:
    """One environment per language, with that language's UI catalog installed.

    With a `cache_dir`, compiled templates are kept there between builds (Jinja's
    bytecode cache checks each template's source, so an edited template recompiles)."""
    bytecode = None
    if cache_dir is not None:
        (cache_dir / "templates").mkdir(parents=True, exist_ok=True)
        bytecode = jinja2.FileSystemBytecodeCache(str(cache_dir / "templates"))
    env = jinja2.Environment(
        bytecode_cache=bytecode,
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(catalogs.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def css_string(text: str) -> Markup:
    """A CSS string literal that cannot break out of its declaration."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;!?()-–—_'/" or ord(ch) > 127 else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{escaped}"')


def css_page_footer(pattern: str) -> Markup:
    """'Page {page} of {pages}' (translated) → a CSS content value with page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", pattern)
    out = []
    for part in parts:
        if part == "{page}":
            out.append("counter(page)")
        elif part == "{pages}":
            out.append("counter(pages)")
        elif part:
            out.append(str(css_string(part)))
    return Markup(" ".join(out) or "counter(page)")


class Renderer:
    """Renders one pack's documents in one language."""

    def __init__(
        self,
        pack: PackView,
        *,
        paper: str,
        date: dt.date,
        workshop: Workshop | None = None,
        footer_title: str | None = None,
        cache_dir: Path | None = None,
        discreet: bool = False,
    ):
        self.pack = pack
        self.cache_dir = cache_dir
        self.lang = pack.lang
        self.templates = templates_dir()
        self.env = environment(pack.lang, self.templates, cache_dir)
        self.gettext = catalogs.translations(pack.lang).gettext
        self.paper = paper
        self.date = date
        self.workshop = workshop
        self.discreet = discreet
        self.footer_title = self._("Workshop notes") if discreet else footer_title

    def _(self, message: str) -> str:
        return self.gettext(message)

    def duration(self, minutes: int) -> str:
        hours, rest = divmod(minutes, 60)
        if hours and rest:
            return self._("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
        if hours:
            return self._("%(hours)s h") % {"hours": hours}
        return self._("%(minutes)s min") % {"minutes": rest}

    def clock(self, time: dt.time) -> str:
        try:
            return format_time(time, format="short", locale=self.lang.replace("-", "_"))
        except (ValueError, LookupError):
            return time.strftime("%H:%M")

    def context(self, **extra: Any) -> dict[str, Any]:
        pack = self.pack
        curriculum = pack.curriculum
        titles = {view.id: view.title for view in pack.lessons}
        profile = pack.selection.profile
        lang, source = self.lang, curriculum.source_language

        def label(table: dict[str, str], kind: str):  # type: ignore[no-untyped-def]
            def lookup(ident: str) -> str:
                if ident in table:
                    return self._(table[ident])
                return curriculum.vocabulary.label(kind, ident, lang, source)

            return lookup

        def lesson_title(ident: str) -> str:
            return titles.get(ident) or (curriculum.lessons[ident].title if ident in curriculum.lessons else ident)

        materials = list(dict.fromkeys(item for view in pack.lessons for item in view.materials))
        summary = {
            "curriculum_title": self._("Workshop notes") if self.discreet else curriculum.title_in(lang),
            "profile_title": "" if self.discreet else profile.title_in(lang),
            "profile_description": "" if self.discreet else profile.description_in(lang),
            "language_name": language_name(lang),
            "source_language": source,
            "source_language_name": language_name(source, lang),
            "source_dir": "rtl" if is_rtl(source) else "ltr",
            "lessons": pack.lessons,
            "fallbacks": pack.fallbacks,
            "total_minutes": pack.selection.total_minutes,
            "budget": profile.time_budget,
            "over_budget": profile.time_budget is not None and pack.selection.total_minutes > profile.time_budget,
            "glossary": pack.glossary,
            "has_checklist": any(view.checklist for view in pack.lessons),
            "materials": materials,
            "extras": [],
            "cast": pack.cast,
            "optional": pack.optional,
        }
        context = {
            "lang": lang,
            "dir": "rtl" if is_rtl(lang) else "ltr",
            "pack": SimpleNamespace(**summary),
            "date": catalogs.long_date(self.date, lang),
            "workshop": None if self.discreet else self.workshop,
            "page_size": "A4" if self.paper == "a4" else "letter",
            "page_footer": css_page_footer(self._("Page {page} of {pages}")),
            "footer_title": css_string(self.footer_title if self.footer_title is not None else profile.title_in(lang)),
            "duration": self.duration,
            "clock": self.clock,
            "long_date": lambda d: catalogs.long_date(d, lang),
            "level_label": lambda ident: self._(LEVELS.get(ident, ident)),
            "places": self._places,
            "phase_label": label(PHASES, "phases"),
            "group_label": label(GROUPS, "groups"),
            "titles": titles,
            "topic_labels": lambda idents: ", ".join(label(TOPICS, "topics")(i) for i in idents),
            "lesson_titles": lambda idents: Markup(", ").join(lesson_title(i) for i in idents),
            "script": False,
        }
        context.update(extra)
        return context

    def handout(self) -> str:
        """The participant handout as one HTML file for screens."""
        context = self.context(medium="screen", document_title=self._title("Participant handout"))
        context["pack"].extras = self._handout_extras()
        return scroll_tables(self.finish(self.env.get_template("handout.html.j2").render(context)), self._("Table"))

    def handout_pdf(self) -> PagedDocument:
        """The participant handout for print, in pieces laid out one lesson at a time."""
        context = self.context(medium="print", document_title=self._title("Participant handout"))
        context["pack"].extras = self._handout_extras()
        return self._paged("handout_parts.html.j2", context, "handout print")

    def worksheets(self) -> str | None:
        """worksheets.pdf's HTML: all of the pack's worksheets, or None when it has none."""
        if not any(view.worksheets for view in self.pack.lessons):
            return None
        context = self.context(medium="print", document_title=self._title(N_("Worksheets")))
        return self.finish(self.env.get_template("worksheets.html.j2").render(context))

    def _handout_extras(self) -> list[SimpleNamespace]:
        extras = []
        if self.pack.glossary:
            extras.append(SimpleNamespace(before=False, id="glossary", title=self._("Glossary")))
        if any(view.checklist for view in self.pack.lessons):
            extras.append(SimpleNamespace(before=False, id="after-the-workshop", title=self._("After the workshop")))
        return extras

    def guide(self, days: tuple[Day, ...]) -> PagedDocument:
        """The facilitator guide (print only), in pieces like the print handout."""
        context = self.context(medium="print", days=days, document_title=self._title("Facilitator guide"))
        extras = [
            SimpleNamespace(before=True, id="agenda", title=self._("Agenda")),
            SimpleNamespace(before=True, id="materials", title=self._("Materials checklist")),
        ]
        if self.pack.cast:
            extras.append(SimpleNamespace(before=True, id="cast", title=self._("The people in the stories")))
        if self.pack.optional:
            extras.append(SimpleNamespace(before=True, id="optional", title=self._("Optional lessons")))
        context["pack"].extras = extras
        return self._paged("guide.html.j2", context, "guide print")

    def _paged(self, template: str, context: dict[str, Any], body_class: str) -> PagedDocument:
        """Each piece from its own macro of `template`: style, footers, front, lesson(view) and
        (in the handout) back. The template is never rendered whole and cut apart."""
        pieces = self.env.get_template(template).make_module(context)
        parts = []
        for view in self.pack.lessons:
            body = self.finish(str(pieces.lesson(view)))
            lang = self.pack.curriculum.source_language if view.fallback else ""
            parts.append(Part(body=body, lesson=view.id, images=shown_in(body, view.images), lang=lang))
        back = self.finish(str(pieces.back())) if hasattr(pieces, "back") else ""
        if back.strip():
            parts.append(Part(body=back))
        return PagedDocument(
            page=Page(lang=self.lang, dir=context["dir"], body_class=f"{body_class} {context['dir']}"),
            title=context["document_title"],
            style=str(pieces.style()),
            footers=str(pieces.footers()),
            front=self.finish(str(pieces.front())),
            contents=tuple(f"lesson-{view.id}" for view in self.pack.lessons) + tuple(extra.id for extra in context["pack"].extras),
            parts=tuple(parts),
        )

    def _places(self, names: tuple[str, ...]) -> Markup:
        """Where a partial translation still shows the source text: its headings (in italics) or named parts."""
        return Markup(", ").join(
            self._(AREAS[n[5:]]) if n.startswith("area:") and n[5:] in AREAS else Markup("<em>{}</em>").format(n) for n in names
        )

    def finish(self, html: str) -> str:
        """The last touch on every document: caution boxes get their translated label, and
        numbered steps that a caution interrupts keep their numbers in print."""
        return continue_numbering(label_cautions(html, self._("Caution")))

    def _title(self, kind: str) -> str:
        profile = self.pack.selection.profile
        if self.footer_title is not None:
            return self.footer_title
        return f"{profile.title_in(self.lang)}: {self._(kind)}"
