"""The build, read top to bottom: load → check → stop on errors → select → render → publish.

In: BuildOptions. Out: a BuildReport (one PackResult per profile × language).
Each pack is rendered into a staging folder and published in one step, so a
failing pack leaves the previously published one untouched.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .agenda import Schedule, plan_days
from .assemble import select_lessons
from .checks import check_curriculum
from .errors import ContentError, Problem, UsageError, error, warning
from .files import Refused
from .loader import load_curriculum
from .model import Curriculum, Format
from .output import Staging, clean_leftovers, read_manifest, sha256, write_json
from .pdf import PdfWriter, RenderError, load_resource
from .render import Renderer, Workshop
from .views import PackView, localize_pack
from .workshop import WorkshopPlan, days_warning

FILES = {Format.HANDOUT: ("handout.pdf", "handout.html"), Format.GUIDE: ("guide.pdf",), Format.SLIDES: ("slides.html", "slides.pdf")}
VIRTUAL_SRC = re.compile(r'src="(trainkit:lesson/[^"]+)"')


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

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


@dataclass(slots=True)
class BuildReport:
    packs: list[PackResult] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

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


def prepare(options: BuildOptions) -> tuple[Curriculum, list[Problem], WorkshopPlan | None]:
    """Load and check everything; raise ContentError before anything is rendered."""
    from .workshop import load_workshop

    curriculum, problems = load_curriculum(options.curriculum)
    if curriculum is not None:
        problems += check_curriculum(curriculum, options.today or dt.date.today())
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


def build(options: BuildOptions, progress: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Build every requested pack; a failing pack is reported and the others still build."""
    epoch = parse_epoch(options.source_date_epoch)
    curriculum, problems, plan = prepare(options)
    profiles, languages = resolve_targets(curriculum, options, plan)
    formats = options.formats or tuple(Format)
    report = BuildReport(warnings=[p for p in problems if not p.is_error] + list(plan.warnings if plan else ()))
    options.out.mkdir(parents=True, exist_ok=True)
    clean_leftovers(options.out)
    writer = PdfWriter(curriculum.root / "lessons")
    date = (epoch or dt.datetime.now(dt.UTC)).date()
    revision = source_revision(curriculum.root)
    for profile_id in profiles:
        for lang in languages:
            progress(f"{profile_id}/{lang}")
            report.packs.append(build_pack(curriculum, profile_id, lang, formats, options, plan, writer, date, revision))
    return report


def build_pack(
    curriculum: Curriculum,
    profile_id: str,
    lang: str,
    formats: tuple[Format, ...],
    options: BuildOptions,
    plan: WorkshopPlan | None,
    writer: PdfWriter,
    date: dt.date,
    revision: str | None,
) -> PackResult:
    """Render one profile in one language and publish it, or leave the old pack as it was."""
    profile = curriculum.profiles[profile_id]
    add, drop, budget = (plan.add, plan.drop, plan.time_budget) if plan and plan.profile == profile_id else ((), (), None)
    selection = select_lessons(curriculum, profile, add, drop, budget)
    pack = localize_pack(curriculum, selection, lang)
    paper = options.paper or curriculum.paper.value
    schedule = plan.schedule if plan else Schedule()
    days = plan_days(selection.lessons, schedule)
    problems = list(selection.problems)
    if plan and (late := days_warning(plan, len(days))):
        problems.append(late)
    problems += fallback_warnings(pack, curriculum)
    problems += catalog_warnings(lang)
    glyphs = glyph_problems(pack)
    if glyphs:
        folder = options.out / profile_id / lang
        return PackResult(profile=profile_id, lang=lang, folder=folder, problems=tuple(problems + glyphs))
    details = plan.details if plan else None
    renderer = Renderer(pack, paper=paper, date=date, workshop=details)
    folder = options.out / profile_id / lang
    staging = Staging(folder)
    pages = 0
    try:
        documents = render_documents(renderer, pack, formats, days, writer, options.slide_notes)
        written = []
        for name, data, count in documents:
            staging.write(name, data)
            written.append(name)
            pages += count
        kept = staging.keep_from_previous([n for f in Format if f not in formats for n in FILES[f]])
        manifest = make_manifest(pack, paper, date, revision, staging.path, written + kept, read_manifest(folder), details)
        staging.write("manifest.json", write_json(manifest))
        staging.publish()
    except RenderError as exc:
        staging.discard()
        problems += [
            error(_lesson_path_for(message, pack), None, message, "fix or remove the reference; the previous pack was left as it was")
            for message in exc.messages
        ]
        return PackResult(profile=profile_id, lang=lang, folder=folder, problems=tuple(problems))
    except BaseException:
        staging.discard()
        raise
    return PackResult(
        profile=profile_id,
        lang=lang,
        folder=folder,
        files=tuple(sorted([*written, *kept, "manifest.json"])),
        pages=pages,
        fallbacks=tuple(v.id for v in pack.fallbacks),
        stale=tuple(v.id for v in pack.stale),
        problems=tuple(problems),
    )


def render_documents(
    renderer: Renderer, pack: PackView, formats: tuple[Format, ...], days, writer: PdfWriter, slide_notes: bool = False
) -> list[tuple[str, bytes, int]]:  # type: ignore[no-untyped-def]
    documents = []
    if Format.HANDOUT in formats:
        data, pages = writer.render(renderer.handout("print"))
        documents.append(("handout.pdf", data, pages))
        html = inline_images(renderer.handout("screen"), pack.curriculum.root / "lessons")
        documents.append(("handout.html", html.encode("utf-8"), 0))
    if Format.GUIDE in formats:
        data, pages = writer.render(renderer.guide(days))
        documents.append(("guide.pdf", data, pages))
    if Format.SLIDES in formats:
        from .slides import render_slides

        documents += render_slides(renderer, pack, writer, slide_notes)
    return documents


def inline_images(html: str, lessons_root: Path) -> str:
    """Replace our virtual image URLs with data: URIs so the HTML file stands alone."""

    def data_uri(match: re.Match[str]) -> str:
        try:
            data, mime = load_resource(match.group(1), lessons_root)
        except Refused as refused:
            raise RenderError([refused.message]) from None
        return f'src="data:{mime};base64,{base64.b64encode(data).decode("ascii")}"'

    return VIRTUAL_SRC.sub(data_uri, html)


def catalog_warnings(lang: str) -> list[Problem]:
    from . import ui

    if ui.has_catalog(lang):
        return []
    return [
        warning(
            None,
            None,
            f"no UI catalog for '{lang}': headings and labels in the {lang} packs are in English",
            f"create one with: pybabel init -i trainkit/locale/trainkit.pot -d trainkit/locale -D trainkit -l {lang}",
        )
    ]


def glyph_problems(pack: PackView) -> list[Problem]:
    """A character no installed font can draw fails the pack, naming it and the lesson."""
    from .fonts import describe, missing_glyphs

    found = []
    for view in pack.lessons:
        parts = [view.title, view.summary, *view.objectives, view.participant, *view.keypoints, *view.checklist, view.facilitator]
        parts += [s.title + s.html + s.notes for s in view.slides] + [a.title + a.html for a in view.activities]
        text = html_text("".join(str(p) for p in parts))
        for char in missing_glyphs(text):
            found.append(
                error(
                    view.source_path,
                    None,
                    f"{describe(char)} has no glyph in the installed fonts; it would print as an empty box",
                    "install a font that has it (for example from fonts-noto), or replace the character",
                )
            )
    return found


def html_text(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))


def fallback_warnings(pack: PackView, curriculum: Curriculum) -> list[Problem]:
    from .i18n import language_name

    found = []
    if pack.fallbacks:
        ids = ", ".join(v.id for v in pack.fallbacks)
        found.append(
            warning(
                None,
                None,
                f"{pack.selection.profile.id}/{pack.lang}: {len(pack.fallbacks)} lesson(s) not translated into {language_name(pack.lang, 'en')}, using {language_name(curriculum.source_language, 'en')}: {ids}",
                f"translate them with: trainkit translate new {pack.lang} LESSON",
            )
        )
    if pack.stale:
        ids = ", ".join(v.id for v in pack.stale)
        found.append(
            warning(
                None,
                None,
                f"{pack.selection.profile.id}/{pack.lang}: stale translation(s), the source changed since: {ids}",
                f"see what changed with: trainkit translate status --lang {pack.lang}",
            )
        )
    return found


def make_manifest(
    pack: PackView,
    paper: str,
    date: dt.date,
    revision: str | None,
    folder: Path,
    files: list[str],
    previous: dict[str, Any] | None,
    workshop: Workshop | None,
) -> dict[str, Any]:
    """What a USB-stick copier needs: every file with its hash, the lessons and their languages."""
    curriculum = pack.curriculum
    languages = sorted({view.lang or curriculum.source_language for view in pack.lessons} | {pack.lang})
    return {
        "tool": "trainkit",
        "tool_version": __version__,
        "build_date": date.isoformat(),
        "source_revision": revision,
        "curriculum": curriculum.title,
        "profile": {"id": pack.selection.profile.id, "title": pack.selection.profile.title_in(pack.lang)},
        "language": pack.lang,
        "languages": languages,
        "paper": paper,
        "workshop": {"title": workshop.title, "date": workshop.date, "place": workshop.place} if workshop else None,
        "total_minutes": pack.selection.total_minutes,
        "lessons": [
            {
                "id": view.id,
                "title": str(view.title.striptags()),
                "language": view.lang or curriculum.source_language,
                "fallback": view.fallback,
                "stale": view.stale,
                "minutes": view.duration,
                "pulled_in_by": list(view.pulled_in_by),
            }
            for view in pack.lessons
        ],
        "fallbacks": [view.id for view in pack.fallbacks],
        "files": [{"name": name, "size": (folder / name).stat().st_size, "sha256": sha256(folder / name)} for name in sorted(files)],
    }


def source_revision(root: Path) -> str | None:
    """The git commit of the curriculum, when it is in a git repository (for the manifest)."""
    try:
        result = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    revision = result.stdout.strip()
    return revision if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", revision) else None


def _lesson_path_for(message: str, pack: PackView) -> Path | None:
    for view in pack.lessons:
        if f"lesson/{view.id}/" in message or f"'{view.id}" in message:
            return view.source_path
    return None
