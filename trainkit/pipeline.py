"""The build, read top to bottom: load → check → stop on errors → select → render → publish.

In: BuildOptions. Out: a BuildReport (one PackResult per profile × language).
Each pack is rendered into a staging folder and published in one step, so a
failing pack leaves the previously published one untouched.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .agenda import Schedule, plan_days
from .checks import check_curriculum
from .errors import ContentError, Problem, UsageError, error, warning
from .files import Refused
from .loader import load_curriculum
from .localize import PackView, localize_pack
from .markup import CONVERSIONS
from .model import Curriculum, Format
from .output import (
    VIRTUAL_SRC,
    Staging,
    claim_output,
    clean_leftovers,
    content_hash,
    environment_key,
    images_key,
    make_manifest,
    read_manifest,
    remove_stale_outputs,
    reuse_previous,
    source_revision,
    write_json,
)
from .pdf.parts import Split, part_key, split_document
from .pdf.render import RenderError, load_resource
from .render import Renderer
from .select import select_lessons
from .workshop import WorkshopPlan, days_warning

FILES = {Format.HANDOUT: ("handout.pdf", "handout.html"), Format.GUIDE: ("guide.pdf",), Format.SLIDES: ("slides.html", "slides.pdf")}
# --discreet: file names that say nothing about digital security, for participants who may be searched.
DISCREET_NAMES = {
    "handout.pdf": "workshop-notes.pdf",
    "handout.html": "workshop-notes.html",
    "guide.pdf": "session-plan.pdf",
    "slides.html": "presentation.html",
    "slides.pdf": "presentation.pdf",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    curriculum: Path
    out: Path
    profiles: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    formats: tuple[Format, ...] = ()
    paper: str | None = None
    workshop: Path | None = None
    source_date_epoch: str | None = None
    today: dt.date | None = None
    slide_notes: bool = False
    jobs: int | None = None
    discreet: bool = False


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


@dataclass(slots=True)
class BuildReport:
    packs: list[PackResult] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    parts_laid_out: int = 0
    parts_reused: int = 0

    @property
    def ok(self) -> bool:
        return all(pack.ok for pack in self.packs)


def parse_epoch(value: str | None) -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC datetime; UsageError for anything but a non-negative integer."""
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 12:
        raise UsageError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 (found '{value}')",
            "for example SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
        )
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


def prepare(options: BuildOptions, views: dict | None = None) -> tuple[Curriculum, list[Problem], WorkshopPlan | None]:
    """Load and check everything; raise ContentError before anything is rendered."""
    from .workshop import load_workshop

    curriculum, problems = load_curriculum(options.curriculum)
    if curriculum is not None:
        # Fallbacks are said per pack when the packs are made; everything else is checked now.
        problems += check_curriculum(
            curriculum, options.today or dt.date.today(), cache_dir=options.out / ".cache", fallbacks=False, views=views
        )
    if curriculum is None or any(p.is_error for p in problems):
        raise ContentError(problems)
    plan = load_workshop(options.workshop, curriculum) if options.workshop else None
    return curriculum, problems, plan


def resolve_targets(curriculum: Curriculum, options: BuildOptions, plan: WorkshopPlan | None) -> tuple[list[str], list[str]]:
    profiles = list(options.profiles) or ([plan.profile] if plan else sorted(curriculum.profiles))
    languages = list(options.languages) or list(curriculum.languages)
    for ident in profiles:
        if ident not in curriculum.profiles:
            raise UsageError(f"unknown profile '{ident}'", f"profiles: {', '.join(sorted(curriculum.profiles))}")
    for lang in languages:
        if lang not in curriculum.languages:
            raise UsageError(
                f"unknown language '{lang}'",
                f"languages: {', '.join(curriculum.languages)}; add one with: trainkit translate new LANG LESSON --add-language",
            )
    if not profiles:
        raise UsageError("the curriculum has no profiles", "add one in profiles/<id>.yml")
    return list(dict.fromkeys(profiles)), list(dict.fromkeys(languages))


@dataclass(slots=True)
class Document:
    """One output file of a pack: its HTML, and (for PDFs) the rendered bytes once known."""

    name: str
    html: str
    key: str
    data: bytes | None = None
    pages: int = 0
    reused: bool = False
    split: Split | None = None  # handouts and guides are laid out in parts (see pdf/parts.py)
    part_keys: tuple[str, ...] = ()


@dataclass(slots=True)
class PackPlan:
    """Everything known about one pack before rendering: its documents and its problems."""

    profile: str
    lang: str
    folder: Path
    pack: PackView | None
    paper: str = "a4"
    discreet: bool = False
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    previous: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)


def build(options: BuildOptions, progress: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Build every requested pack; a failing pack is reported and the others still build.

    First every document's HTML is made (cheap); its cache key is the hash of that
    HTML plus the images and fonts it uses. Only PDFs whose key changed are sent to
    the render workers; then each pack is published whole, or not at all.
    """
    from .pdf.pool import RenderPool, default_workers

    epoch = parse_epoch(options.source_date_epoch)
    # Markdown already converted in earlier builds is reused from the first step on: loading
    # reads each lesson's links from its rendered HTML (blocks.py), which needs the same conversions.
    CONVERSIONS.load(options.out / ".cache")
    environment = environment_key()
    parts_folder = options.out / ".cache" / "parts"
    pool = RenderPool(options.curriculum.absolute() / "lessons", options.jobs or default_workers(), parts_folder, environment)
    if not parts_folder.is_dir():
        pool.start()  # nothing was built here yet, so everything renders: start the workers while the curriculum loads
    plans: list[PackPlan] = []
    scheduler = Scheduler(plans, pool, parts_folder, progress)
    try:
        views: dict[tuple[str, str], Any] = {}  # each lesson localized once: by the checks, then for every pack
        curriculum, problems, plan = prepare(options, views)
        if curriculum.root / "lessons" != pool.lessons_root:  # the workers serve images from this folder only
            raise RuntimeError(f"curriculum root moved: {curriculum.root}")
        profiles, languages = resolve_targets(curriculum, options, plan)
        formats = options.formats or tuple(Format)
        report = BuildReport(warnings=[p for p in problems if not p.is_error] + list(plan.warnings if plan else ()))
        claim_output(options.out)  # before anything is written there (the workers write parts only once given jobs)
        options.out.mkdir(parents=True, exist_ok=True)
        clean_leftovers(options.out)
        date = (epoch or dt.datetime.now(dt.UTC)).date()
        revision = source_revision(curriculum.root)
        # Each pack's PDFs go to the workers as soon as its HTML is made, so rendering
        # overlaps the templating of the next packs.
        for profile_id in profiles:
            for lang in languages:
                progress(f"preparing {profile_id}/{lang}")
                index = len(plans)
                queue = functools.partial(scheduler.add, index)
                plans.append(plan_pack(curriculum, profile_id, lang, formats, options, plan, date, environment, views, queue))
        scheduler.run()
    except BaseException:
        pool.terminate()
        raise
    CONVERSIONS.save(options.out / ".cache")
    report.parts_laid_out, report.parts_reused = scheduler.laid_out, len(scheduler.reused_parts)
    if not (options.profiles or options.languages or options.formats or options.workshop) and report.ok:
        scheduler.forget_unused_parts()
    for pack in plans:
        report.packs.append(publish_pack(pack, curriculum, formats, date, revision, plan))
    report.warnings += remove_stale_outputs(options, curriculum, profiles, languages)
    return report


LESSON_ID = re.compile(r'<article class="lesson" id="lesson-([a-z0-9][a-z0-9-]*)"')


class Scheduler:
    """Sends work to the render pool as it becomes possible, and files the results.

    A whole document goes as one job. A document in parts first needs each part
    that is not in the cache: a part shared by several documents is laid out once,
    and a document is assembled as soon as its last part is ready.
    """

    def __init__(self, plans: list[PackPlan], pool: Any, parts_folder: Path, progress: Callable[[str], None]):
        self.plans = plans
        self.pool = pool
        self.parts_folder = parts_folder
        self.progress = progress
        self.waiting: dict[str, tuple[Document, set[str]]] = {}  # document job key → it, and the parts it still needs
        self.submitted_parts: set[str] = set()
        self.reused_parts: set[str] = set()
        self.used: set[str] = set()
        self.lesson_of: dict[str, str] = {}  # part key → the lesson it shows, to name it in errors
        self.laid_out = 0
        self.total = 0
        self.count = 0

    def add(self, index: int, document: Document) -> None:
        """Queue one PDF of pack `index` as soon as its HTML is made, unless it is reused as published."""
        from .pdf.pool import Job

        if document.data is not None:
            self._keep(document.part_keys)  # published and unchanged: its parts stay in the cache
            return
        self.total += 1
        key = f"{index}/{document.name}"
        if document.split is None:
            self.pool.submit(Job(key=key, html=document.html))
            return
        needed = set()
        for html, part in zip(document.split.parts, document.part_keys, strict=True):
            self.used.add(part)
            if part in self.submitted_parts:
                needed.add(part)
            elif part not in self.reused_parts:
                if self._keep_if_present(part):
                    self.reused_parts.add(part)  # the worker that assembles reads it, and lays it out again if damaged
                    continue
                self.submitted_parts.add(part)
                self.lesson_of[part] = lesson.group(1) if (lesson := LESSON_ID.search(html)) else ""
                needed.add(part)
                self.pool.submit(Job(key=f"part:{part}", html=html, part=True))
        self.waiting[key] = (document, needed)
        self._ready(key)

    def _keep(self, parts: tuple[str, ...]) -> None:
        for part in parts:
            self.used.add(part)
            self._keep_if_present(part)

    def _keep_if_present(self, part: str) -> bool:
        """Refresh a stored part's time (the clean-up keeps what is in use); False if it is missing."""
        try:
            os.utime(self.parts_folder / f"{part}.pdf")
        except OSError:
            return False
        return True

    def _ready(self, key: str) -> None:
        from .pdf.pool import Job

        document, needed = self.waiting[key]
        if not needed:
            del self.waiting[key]
            self.pool.submit(Job(key=key, split=document.split))

    def run(self) -> None:
        self.pool.collect(self.done)
        self.pool.close()

    def done(self, result) -> None:  # type: ignore[no-untyped-def]
        if result.key.startswith("part:"):
            part = result.key.removeprefix("part:")
            for key, (_, needed) in list(self.waiting.items()):
                if part not in needed:
                    continue
                if result.error:
                    del self.waiting[key]
                    lesson = self.lesson_of.get(part)
                    self._file(key, None, [f"lesson '{lesson}': {m}" if lesson else m for m in result.error])
                else:
                    needed.discard(part)
                    self._ready(key)
            if not result.error:
                self.laid_out += 1
            self.progress("laid out a lesson")
            return
        self._file(result.key, result, result.error)

    def _file(self, key: str, result, errors: list[str] | None) -> None:  # type: ignore[no-untyped-def]
        self.count += 1
        index, name = key.split("/", 1)
        pack = self.plans[int(index)]
        self.progress(f"rendered {pack.profile}/{pack.lang}/{name} ({self.count} of {self.total})")
        if errors:
            lessons = ", ".join(view.id for view in pack.pack.lessons) if pack.pack else ""
            for message in errors:
                path = _lesson_path_for(message, pack.pack)
                over_budget = "budget" in message or "stopped (out of memory" in message
                where = f" (the pack holds the lessons {lessons}; one of them is too heavy to lay out)" if over_budget and not path else ""
                pack.problems.append(
                    error(path, None, f"{pack.profile}/{pack.lang}/{name}: {message}{where}", "the previous pack was left as it was")
                )
            return
        document = next(d for d in pack.documents if d.name == name)
        document.data, document.pages = result.pdf, result.pages

    def forget_unused_parts(self, days: int = 30) -> None:
        """After a full build, drop cached parts that this build did not use and no build
        touched for `days` days (every use refreshes a part's time), so the cache stays small."""
        if not self.parts_folder.is_dir():
            return
        import time

        cutoff = time.time() - days * 86400
        for path in self.parts_folder.iterdir():
            if path.stem not in self.used and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


def plan_pack(
    curriculum: Curriculum,
    profile_id: str,
    lang: str,
    formats: tuple[Format, ...],
    options: BuildOptions,
    plan: WorkshopPlan | None,
    date: dt.date,
    environment: str,
    views: dict[tuple[str, str], Any] | None = None,
    queue: Callable[[Document], None] = lambda _: None,
) -> PackPlan:
    """Select, localize and template one pack; reuse published files whose inputs did not change."""
    profile = curriculum.profiles[profile_id]
    add, drop, budget = (plan.add, plan.drop, plan.time_budget) if plan and plan.profile == profile_id else ((), (), None)
    selection = select_lessons(curriculum, profile, add, drop, budget)
    pack = localize_pack(curriculum, selection, lang, views)
    folder = options.out / profile_id / lang
    paper = options.paper or curriculum.paper.value
    result = PackPlan(
        profile=profile_id, lang=lang, folder=folder, pack=pack, paper=paper, discreet=options.discreet, previous=read_manifest(folder)
    )
    schedule = plan.schedule if plan else Schedule()
    days = plan_days(selection.lessons, schedule)
    result.problems += selection.problems
    if plan and (late := days_warning(plan, len(days))):
        result.problems.append(late)
    result.problems += fallback_warnings(pack, curriculum)  # glyphs and catalogs were checked with the curriculum
    if result.failed:
        return result
    renderer = Renderer(
        pack, paper=paper, cache_dir=options.out / ".cache", discreet=options.discreet, date=date, workshop=plan.details if plan else None
    )
    lessons_root = curriculum.root / "lessons"
    try:
        for name, html, is_pdf in document_sources(renderer, pack, formats, days, options.slide_notes):
            name = DISCREET_NAMES[name] if options.discreet else name
            if not is_pdf:
                html = inline_images(html, lessons_root)
                data = html.encode("utf-8")
                published = folder / name
                same = published.is_file() and not published.is_symlink() and published.read_bytes() == data
                result.documents.append(Document(name=name, html="", key=content_hash(data), data=data, reused=same))
                continue
            document = Document(name=name, html=html, key=content_hash((environment + html + images_key(html, lessons_root)).encode()))
            reuse_previous(document, result)
            if (split := split_document(html)) is not None:
                document.split = split
                document.part_keys = tuple(part_key(environment, p, images_key(p, lessons_root)) for p in split.parts)
            result.documents.append(document)
            queue(document)  # rendering starts while the pack's other documents are templated
    except RenderError as exc:
        result.problems += [
            error(_lesson_path_for(m, pack), None, m, "fix or remove the reference; the previous pack was left as it was")
            for m in exc.messages
        ]
    return result


def publish_pack(
    plan: PackPlan, curriculum: Curriculum, formats: tuple[Format, ...], date: dt.date, revision: str | None, workshop: WorkshopPlan | None
) -> PackResult:
    """Write the pack into staging and swap it in; a failed pack leaves the old one untouched."""
    pack = plan.pack
    empty = [d.name for d in plan.documents if not d.data]
    if empty and not plan.failed:
        plan.problems.append(
            error(
                None,
                None,
                f"{plan.profile}/{plan.lang}: {', '.join(empty)} came out empty, so the pack was not published",
                "run the build again; if it happens again, run with --jobs 1 --debug and report the output",
            )
        )
    if plan.failed or pack is None:
        return PackResult(profile=plan.profile, lang=plan.lang, folder=plan.folder, problems=tuple(plan.problems))
    done = PackResult(
        profile=plan.profile,
        lang=plan.lang,
        folder=plan.folder,
        files=tuple(sorted([d.name for d in plan.documents] + ["manifest.json"])),
        pages=sum(d.pages for d in plan.documents),
        fallbacks=tuple(v.id for v in pack.fallbacks),
        stale=tuple(v.id for v in pack.stale),
        problems=tuple(plan.problems),
        reused=all(d.reused for d in plan.documents),
    )
    staging = Staging(plan.folder)
    try:
        for document in plan.documents:
            assert document.data, document.name  # refused above: never publish an empty file
            staging.write(document.name, document.data)
        kept = staging.keep_from_previous(
            [n for f in Format if f not in formats for n in FILES[f]]
            + [DISCREET_NAMES[n] for f in Format if f not in formats for n in FILES[f]]
        )
        entries = {d.name: {"key": d.key, "pages": d.pages} for d in plan.documents}
        for entry in (plan.previous or {}).get("files", []):
            if entry["name"] in kept:
                entries[entry["name"]] = {"key": entry.get("key"), "pages": entry.get("pages", 0)}
        details = workshop.details if workshop else None
        manifest = make_manifest(pack, plan, date, revision, staging.path, entries, details, discreet=plan.discreet)
        data = write_json(manifest)
        unchanged = all(d.reused for d in plan.documents) and plan.previous is not None and write_json(plan.previous) == data
        if unchanged and (plan.folder / "manifest.json").is_file():
            staging.discard()  # nothing changed: the published pack is already this one
            return done
        staging.write("manifest.json", data)
        staging.publish()
    except BaseException:
        staging.discard()
        raise
    return PackResult(
        **{**{f: getattr(done, f) for f in done.__dataclass_fields__}, "files": tuple(sorted([*entries, "manifest.json"])), "reused": False}
    )


def document_sources(renderer: Renderer, pack: PackView, formats: tuple[Format, ...], days, slide_notes: bool):  # type: ignore[no-untyped-def]
    """(file name, HTML, whether it becomes a PDF) for every requested document, made one
    at a time: the PDFs first, so the workers start on them while the HTML files are made."""
    from .slides import render_deck

    if Format.HANDOUT in formats:
        yield "handout.pdf", renderer.handout("print"), True
    if Format.GUIDE in formats:
        yield "guide.pdf", renderer.guide(days), True
    if Format.SLIDES in formats:
        yield "slides.pdf", render_deck(renderer, pack, "print", slide_notes), True
    if Format.HANDOUT in formats:
        yield "handout.html", renderer.handout("screen"), False
    if Format.SLIDES in formats:
        yield "slides.html", render_deck(renderer, pack, "screen"), False


def inline_images(html: str, lessons_root: Path) -> str:
    """Replace our virtual image URLs with data: URIs so the HTML file stands alone."""

    def data_uri(match: re.Match[str]) -> str:
        try:
            data, mime = load_resource(match.group(1), lessons_root)
        except Refused as refused:
            raise RenderError([refused.message]) from None
        return f'src="data:{mime};base64,{base64.b64encode(data).decode("ascii")}"'

    return VIRTUAL_SRC.sub(data_uri, html)


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
    return [
        warning(None, None, f"{where}: {len(views)} {what}: {', '.join(v.id for v in views)}", hint) for views, what, hint in cases if views
    ]


LESSON_IN_MESSAGE = re.compile(r"lesson '([a-z0-9][a-z0-9-]*)'|trainkit:lesson/([a-z0-9][a-z0-9-]*)/")


def _lesson_path_for(message: str, pack: PackView | None) -> Path | None:
    """The file of the lesson a message names (by its whole id, never a prefix of another)."""
    named = {a or b for a, b in LESSON_IN_MESSAGE.findall(message)}
    for view in pack.lessons if pack else ():
        if view.id in named:
            return view.source_path
    return None
