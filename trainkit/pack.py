"""One pack (a profile in a language): plan its files, then publish them.

`plan_pack`: select → localize → template every file → cache keys. HTML files are
ready at once; a PDF is reused as published when its key did not change, else
handed to the render stage (`submit`) as soon as its HTML is made. Out: a frozen
PackPlan.

`publish_pack`: the plan and the render results in, a PackResult out. The files
are written into a staging folder and swapped in whole, or, if anything failed,
not at all (the previous pack stays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .agenda import Day, Schedule, plan_days
from .assets import image_digest, images_key, inline_images, shown_in
from .errors import Problem, error, warning
from .files import Refused
from .localize import PackView, localize_pack
from .model import Curriculum, Format
from .output import Staging, make_manifest, previous_file, read_manifest, write_json
from .pdf.document import PagedDocument, WholeDocument
from .pdf.parts import part_key
from .pdf.pool import Rendered
from .pdf.scheduler import PdfRequest
from .render import Renderer
from .select import select_lessons
from .workshop import WorkshopPlan, days_warning

if TYPE_CHECKING:
    from .pipeline import BuildOptions

FILES = {
    Format.HANDOUT: ("handout.pdf", "handout.html", "worksheets.pdf"),
    Format.GUIDE: ("guide.pdf",),
    Format.SLIDES: ("slides.html", "slides.pdf"),
}
# --discreet: file names that say nothing about digital security, for participants who may be searched.
DISCREET_NAMES = {
    "handout.pdf": "workshop-notes.pdf",
    "handout.html": "workshop-notes.html",
    "worksheets.pdf": "worksheets.pdf",
    "guide.pdf": "session-plan.pdf",
    "slides.html": "presentation.html",
    "slides.pdf": "presentation.pdf",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PackFile:
    """One file of a pack as planned: its bytes when known now (an HTML file, or a PDF
    reused as published), else the PDF request whose result will give them."""

    name: str
    key: str
    data: bytes | None = None
    pages: int = 0
    reused: bool = False
    request: PdfRequest | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PackPlan:
    """Everything known about one pack before rendering: its files and its problems."""

    profile: str
    lang: str
    folder: Path
    pack: PackView | None
    paper: str = "a4"
    discreet: bool = False
    files: tuple[PackFile, ...] = ()
    problems: tuple[Problem, ...] = ()
    previous: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackResult:
    profile: str
    lang: str
    folder: Path
    files: tuple[str, ...] = ()
    pages: int = 0
    fallbacks: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    reused: bool = False

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def plan_pack(
    curriculum: Curriculum,
    profile_id: str,
    lang: str,
    options: BuildOptions,
    workshop: WorkshopPlan | None,
    date: dt.date,
    environment: str,
    views: dict[tuple[str, ...], Any] | None = None,
    submit: Callable[[PdfRequest], None] = lambda _: None,
    keep: Callable[[tuple[str, ...]], None] = lambda _: None,
    digests: dict[str, str] | None = None,
) -> PackPlan:
    """Select, localize and template one pack; reuse published files whose inputs did not change.

    `submit` receives each PDF to render as soon as its HTML is made, so that rendering
    overlaps the templating of the next files and packs; `keep` the parts of a PDF reused
    as published, so that the part cache keeps them. `digests` (one per build) keeps each
    image's hash, so that an image several packs show is read once."""
    profile = curriculum.profiles[profile_id]
    add, drop, budget, order = (
        (workshop.add, workshop.drop, workshop.time_budget, workshop.order)
        if workshop and workshop.profile == profile_id
        else ((), (), None, ())
    )
    selection = select_lessons(curriculum, profile, add, drop, budget, order)
    pack = localize_pack(curriculum, selection, lang, views)
    folder = options.out / profile_id / lang
    paper = options.paper or curriculum.paper.value
    previous = read_manifest(folder)
    days = plan_days(selection.lessons, workshop.schedule if workshop else Schedule())
    problems = [*selection.problems, *fallback_warnings(pack, curriculum)]  # glyphs and catalogs were checked with the curriculum
    if workshop and (late := days_warning(workshop, len(days))):
        problems.append(late)
    plan = PackPlan(profile=profile_id, lang=lang, folder=folder, pack=pack, paper=paper, discreet=options.discreet, previous=previous)
    lessons_root = curriculum.root / "lessons"
    digests = {} if digests is None else digests  # every image, read once: refused here, at its lesson's file
    for view in pack.lessons:
        try:
            digests.update((url, image_digest(url, lessons_root)) for url in view.images if url not in digests)
        except Refused as refused:
            problems.append(
                error(view.source_path, None, refused.message, "fix or remove the reference; the previous pack was left as it was")
            )
    if any(p.is_error for p in problems):
        return replace(plan, problems=tuple(problems))
    renderer = Renderer(
        pack,
        paper=paper,
        cache_dir=options.out / ".cache",
        discreet=options.discreet,
        date=date,
        workshop=workshop.details if workshop else None,
    )
    files = []
    try:
        for name, made in document_sources(renderer, pack, options.formats or tuple(Format), days, options.slide_notes):
            name = DISCREET_NAMES[name] if options.discreet else name
            if isinstance(made, str):
                data = inline_images(made, shown_in(made, digests), lessons_root).encode("utf-8")
                published = folder / name
                same = published.is_file() and not published.is_symlink() and published.read_bytes() == data
                files.append(PackFile(name=name, key=_hash(data), data=data, reused=same))
                continue
            request = _request(f"{profile_id}/{lang}/{name}", made, environment, digests)
            key = _document_key(environment, request, digests)
            reused = previous_file(previous, folder, name, key)
            if reused is not None:
                keep(request.part_keys)
                files.append(PackFile(name=name, key=key, data=reused[0], pages=reused[1], reused=True))
                continue
            files.append(PackFile(name=name, key=key, request=request))
            submit(request)
    except Refused as refused:  # an image changed on disk while the pack was made
        problems.append(error(None, None, refused.message, "run the build again; the previous pack was left as it was"))
    return replace(plan, files=tuple(files), problems=tuple(problems))


def _request(key: str, made: PagedDocument | WholeDocument, environment: str, digests: Mapping[str, str]) -> PdfRequest:
    if isinstance(made, WholeDocument):
        return PdfRequest(key=key, document=made)
    part_keys = tuple(part_key(environment, made.part_html(part), made.style, images_key(part.images, digests)) for part in made.parts)
    return PdfRequest(key=key, document=made, part_keys=part_keys)


def _document_key(environment: str, request: PdfRequest, digests: Mapping[str, str]) -> str:
    """What decides a PDF's bytes: its HTML and images, or for a paged document its pieces and its parts' keys."""
    document = request.document
    if isinstance(document, WholeDocument):
        return _hash(f"{environment}\n{images_key(document.images, digests)}\n{document.html}".encode())
    pieces = (environment, document.title, document.style, document.footers, document.front, *document.contents, *request.part_keys)
    return _hash("\n\x00".join(pieces).encode())


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_sources(
    renderer: Renderer, pack: PackView, formats: tuple[Format, ...], days: tuple[Day, ...], slide_notes: bool
) -> Iterator[tuple[str, PagedDocument | WholeDocument | str]]:
    """(file name, what to make it from) for every requested file, made one at a time: the
    PDFs first, so the workers start on them while the HTML files are made."""
    from .slides import render_deck

    lessons = tuple(view.id for view in pack.lessons)
    if Format.HANDOUT in formats:
        yield "handout.pdf", renderer.handout_pdf()
    if Format.HANDOUT in formats and (sheets := renderer.worksheets()) is not None:
        yield (
            "worksheets.pdf",
            WholeDocument(html=sheets, images=shown_in(sheets, (u for view in pack.lessons for u in view.images)), lessons=lessons),
        )
    if Format.GUIDE in formats:
        yield "guide.pdf", renderer.guide(days)
    if Format.SLIDES in formats:
        deck = render_deck(renderer, pack, "print", slide_notes)
        yield (
            "slides.pdf",
            WholeDocument(html=deck, images=shown_in(deck, (u for view in pack.lessons for u in view.images)), lessons=lessons),
        )
    if Format.HANDOUT in formats:
        yield "handout.html", renderer.handout()
    if Format.SLIDES in formats:
        yield "slides.html", render_deck(renderer, pack, "screen")


def publish_pack(
    plan: PackPlan,
    rendered: Mapping[str, Rendered],
    formats: tuple[Format, ...],
    date: dt.date,
    revision: str | None,
    workshop: WorkshopPlan | None,
) -> PackResult:
    """Write the pack into staging and swap it in; a failed pack leaves the old one untouched."""
    files, problems = _with_results(plan, rendered)
    result = PackResult(profile=plan.profile, lang=plan.lang, folder=plan.folder, problems=tuple(problems))
    pack = plan.pack
    if any(p.is_error for p in problems) or pack is None:
        return result
    staging = Staging(plan.folder)
    try:
        for file in files:
            assert file.data, file.name  # refused in _with_results: never publish an empty file
            staging.write(file.name, file.data)
        kept = staging.keep_from_previous(
            [n for f in Format if f not in formats for n in FILES[f]]
            + [DISCREET_NAMES[n] for f in Format if f not in formats for n in FILES[f]]
        )
        entries = {file.name: {"key": file.key, "pages": file.pages} for file in files}
        for entry in (plan.previous or {}).get("files", []):
            if entry["name"] in kept:
                entries[entry["name"]] = {"key": entry.get("key"), "pages": entry.get("pages", 0)}
        details = workshop.details if workshop else None
        data = write_json(make_manifest(pack, plan, date, revision, staging.path, entries, details, discreet=plan.discreet))
        unchanged = all(f.reused for f in files) and plan.previous is not None and write_json(plan.previous) == data
        if unchanged and (plan.folder / "manifest.json").is_file():
            staging.discard()  # nothing changed: the published pack is already this one
            published, reused = sorted([f.name for f in files] + ["manifest.json"]), True
        else:
            staging.write("manifest.json", data)
            staging.publish()
            published, reused = sorted([*entries, "manifest.json"]), False
    except BaseException:
        staging.discard()
        raise
    return PackResult(
        profile=plan.profile,
        lang=plan.lang,
        folder=plan.folder,
        files=tuple(published),
        pages=sum(f.pages for f in files),
        fallbacks=tuple(v.id for v in pack.fallbacks),
        stale=tuple(v.id for v in pack.stale),
        problems=tuple(problems),
        reused=reused,
    )


def _with_results(plan: PackPlan, rendered: Mapping[str, Rendered]) -> tuple[list[PackFile], list[Problem]]:
    """The plan's files with their rendered bytes, and every problem: the plan's, each failure
    (at the file of the lesson it names), and any file that came out empty."""
    problems = list(plan.problems)
    files = []
    paths = {view.id: view.source_path for view in plan.pack.lessons} if plan.pack else {}
    for file in plan.files:
        result = rendered.get(file.request.key) if file.request else None
        if result is not None and result.failures:
            where = f"{plan.profile}/{plan.lang}/{file.name}"
            for failure in result.failures:
                named = f"lesson '{failure.lesson}': " if failure.lesson and f"lesson '{failure.lesson}'" not in failure.message else ""
                heavy = "budget" in failure.message or "stopped (out of memory" in failure.message
                holds = (
                    f" (the pack holds the lessons {', '.join(paths)}; one of them is too heavy to lay out)"
                    if heavy and not failure.lesson
                    else ""
                )
                problems.append(
                    error(
                        paths.get(failure.lesson), None, f"{where}: {named}{failure.message}{holds}", "the previous pack was left as it was"
                    )
                )
            continue
        if result is not None:
            file = replace(file, data=result.pdf, pages=result.pages)
        files.append(file)
    empty = [f.name for f in files if not f.data]
    if empty and not any(p.is_error for p in problems):
        problems.append(
            error(
                None,
                None,
                f"{plan.profile}/{plan.lang}: {', '.join(empty)} came out empty, so the pack was not published",
                "run the build again; if it happens again, run with --jobs 1 --debug and report the output",
            )
        )
    return files, problems


def fallback_warnings(pack: PackView, curriculum: Curriculum) -> list[Problem]:
    """Say in the terminal which lessons fell back to the source language or are stale."""
    from .i18n import language_name

    where = f"{pack.selection.profile.id}/{pack.lang}"
    source, target = language_name(curriculum.source_language, "en"), language_name(pack.lang, "en")
    cases = (
        (
            pack.fallbacks,
            f"lesson(s) not translated into {target}, using {source}",
            f"translate them with: trainkit translate new {pack.lang} LESSON",
        ),
        (
            pack.stale,
            "stale translation(s), the source changed since",
            f"see what changed with: trainkit translate status --lang {pack.lang}",
        ),
    )
    found = [
        warning(None, None, f"{where}: {len(views)} {what}: {', '.join(v.id for v in views)}", hint) for views, what, hint in cases if views
    ]
    partial = [view for view in pack.lessons if view.partial]
    if partial:
        shown = ", ".join(f"{view.id} ({view.translated_percent}%)" for view in partial)
        found.append(
            warning(
                None,
                None,
                f"{where}: {len(partial)} partial translation(s), the rest shown in {source}: {shown}",
                f"translate the rest in the catalogs: trainkit translate export {pack.lang} LESSON",
            )
        )
    return found
