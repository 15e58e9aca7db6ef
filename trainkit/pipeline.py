"""The build, read top to bottom: load → check → stop on errors → plan → render → publish.

In: BuildOptions. Out: a BuildReport (one PackResult per profile × language).
Each stage returns values: `prepare` the checked curriculum, `pack.plan_pack` a
frozen PackPlan per pack, the scheduler (pdf/scheduler.py) the rendered PDFs by
file, and `pack.publish_pack` a PackResult. Each pack is written into a staging
folder and published in one step, so a failing pack leaves the previous one untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checks import check_curriculum
from .errors import ContentError, Problem, UsageError
from .loader import load_curriculum
from .markup import CONVERSIONS
from .model import Curriculum, Format
from .output import claim_output, clean_leftovers, environment_key, remove_stale_outputs, source_revision
from .pack import PackPlan, PackResult, plan_pack, publish_pack
from .shards import Shard
from .workshop import WorkshopPlan

if TYPE_CHECKING:
    from .pdf.pool import RenderPool


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
    shard: tuple[int, int] | None = None  # (K, N): build only the K-th of N shares of the packs (shards.py)
    zip: bool = False  # also write each pack as <out>/<profile>/<lang>.zip with SHA256SUMS (packzip.py)

    @property
    def whole(self) -> bool:
        """Every pack of the curriculum in every format: only then may a build clean up after others."""
        return not (self.profiles or self.languages or self.formats or self.workshop or self.shard)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildReport:
    packs: tuple[PackResult, ...] = ()
    warnings: tuple[Problem, ...] = ()
    parts_laid_out: int = 0
    parts_reused: int = 0

    @property
    def ok(self) -> bool:
        return all(pack.ok for pack in self.packs)


def zip_packs(options: BuildOptions, packs: tuple[PackResult, ...], date: dt.date, workshop: WorkshopPlan | None) -> None:
    """`--zip`: each pack published also as one zip; without it, a republished pack's old zip goes."""
    from .packzip import remove_zip, write_zip, zip_root

    for pack in packs:
        if not pack.ok:
            continue
        if options.zip:
            write_zip(pack.folder, zip_root(pack.profile, pack.lang, workshop.path.stem if workshop else None, options.discreet), date)
        elif not pack.reused:
            remove_zip(pack.folder)


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


def build_date(source_date_epoch: str | None) -> dt.date:
    """The date a build stamps on its files: SOURCE_DATE_EPOCH's, else today's (UTC)."""
    return (parse_epoch(source_date_epoch) or dt.datetime.now(dt.UTC)).date()


def prepare(options: BuildOptions, views: dict | None = None) -> tuple[Curriculum, list[Problem], WorkshopPlan | None]:
    """Load and check everything; raise ContentError before anything is rendered."""
    from .workshop import load_workshop

    curriculum, problems = load_curriculum(options.curriculum)
    if curriculum is not None:
        # Fallbacks are said per pack when the packs are made; everything else is checked now.
        problems += check_curriculum(
            curriculum,
            options.today or dt.date.today(),
            cache_dir=options.out / ".cache",
            fallbacks=False,
            views=views,
            languages=built_languages(curriculum, options),
        )
    if curriculum is None or any(p.is_error for p in problems):
        raise ContentError(problems)
    workshop = load_workshop(options.workshop, curriculum) if options.workshop else None
    return curriculum, problems, workshop


def built_languages(curriculum: Curriculum, options: BuildOptions) -> tuple[str, ...] | None:
    """The languages this build makes packs in, when that is fewer than all (`--lang`, a shard):
    the glyphs and catalogs of the others are not checked, as no pack of theirs is made.
    None (check every language) for a workshop, whose profile is read later, or a wrong request."""
    if options.workshop:
        return None
    try:
        wanted = {lang for _, lang in target_packs(curriculum, options, None)}
    except UsageError:
        return None  # reported with its hint when the packs are chosen
    return tuple(lang for lang in curriculum.languages if lang in wanted)


def resolve_targets(curriculum: Curriculum, options: BuildOptions, workshop: WorkshopPlan | None) -> tuple[list[str], list[str]]:
    profiles = list(options.profiles) or ([workshop.profile] if workshop else sorted(curriculum.profiles))
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


def target_packs(curriculum: Curriculum, options: BuildOptions, workshop: WorkshopPlan | None) -> list[tuple[str, str]]:
    """The (profile, language) packs this build makes: all it was asked for, or its shard's share."""
    from .shards import split

    profiles, languages = resolve_targets(curriculum, options, workshop)
    packs = [(profile, lang) for profile in profiles for lang in languages]
    if options.shard is None:
        return packs
    number, total = options.shard
    return list(split(curriculum, packs, total, workshop)[number - 1].packs)


def plan_shards(options: BuildOptions, total: int) -> list[Shard]:
    """Which packs each of `total` shards builds (`build --list-shards`), after the same checks a build makes."""
    from .shards import split

    curriculum, _, workshop = prepare(options)
    profiles, languages = resolve_targets(curriculum, options, workshop)
    return split(curriculum, [(profile, lang) for profile in profiles for lang in languages], total, workshop)


def build(
    options: BuildOptions,
    progress: Callable[[str], None] = lambda _: None,
    pool: RenderPool | None = None,
    planning: AbstractContextManager[Any] | None = None,
) -> BuildReport:
    """Build every requested pack; a failing pack is reported and the others still build.

    Every file's HTML is made first (cheap), and its cache key with it: only PDFs whose key
    changed go to the render workers, each as soon as its HTML is made. Then each pack is
    published whole, or not at all.

    `pool`: workers kept warm by the caller (`trainkit serve`) for build after build, started
    for `options.out`; they are left running. Without it, a pool is made and stopped here.
    `planning`: held while the curriculum is loaded and the packs planned, not while they
    render (serve's lock: its previews share the Markdown cache and the templates).
    """
    from .pdf.pool import RenderPool, default_workers
    from .pdf.scheduler import Scheduler

    date = build_date(options.source_date_epoch)
    claim_output(options.out)  # first: not even a cache file goes into a folder that holds files of someone else's
    cache = options.out / ".cache"
    parts_folder = cache / "parts"
    environment = environment_key()
    warm = pool is not None
    if pool is None:
        pool = RenderPool(options.jobs or default_workers(), parts_folder, environment)
    if not parts_folder.is_dir() and not warm:
        pool.start()  # nothing was built here yet, so everything renders: the workers import WeasyPrint while we load
    try:
        with planning or nullcontext():
            # 1. Load and check: everything `trainkit check` reports, before anything is written.
            CONVERSIONS.load(cache)  # Markdown converted by earlier builds (loading reads each lesson's links from it)
            views: dict[tuple[str, ...], Any] = {}  # each lesson localized once: by the checks, then for every pack
            curriculum, problems, workshop = prepare(options, views)
            packs = target_packs(curriculum, options, workshop)
            options.out.mkdir(parents=True, exist_ok=True)
            clean_leftovers(options.out)
            # 2. Plan each pack and make its HTML; each PDF goes to the workers as soon as it is made.
            scheduler = Scheduler(pool, parts_folder, curriculum.root / "lessons", progress, keep_running=warm)
            plans: list[PackPlan] = []
            digests: dict[str, str] = {}  # each lesson image hashed once, for every pack that shows it
            for profile_id, lang in packs:
                progress(f"preparing {profile_id}/{lang}")
                plans.append(
                    plan_pack(
                        curriculum, profile_id, lang, options, workshop, date, environment, views, scheduler.submit, scheduler.keep, digests
                    )
                )
            CONVERSIONS.save(cache)
        # 3. Render: wait for every PDF.
        rendered = scheduler.finish()
    except (ContentError, UsageError):
        if not warm:  # raised before anything was sent to the workers: a warm pool stays warm
            pool.terminate()
        raise
    except BaseException:
        pool.terminate()
        raise
    # 4. Publish each pack whole, or keep the previous one.
    formats = options.formats or tuple(Format)
    revision = source_revision(curriculum.root)
    packs = tuple(publish_pack(plan, rendered, formats, date, revision, workshop) for plan in plans)
    zip_packs(options, packs, date, workshop)
    if options.whole and all(pack.ok for pack in packs):
        scheduler.forget_unused_parts()
    warnings = [p for p in problems if not p.is_error] + list(workshop.warnings if workshop else ())
    warnings += remove_stale_outputs(options, curriculum)
    return BuildReport(packs=packs, warnings=tuple(warnings), parts_laid_out=scheduler.laid_out, parts_reused=len(scheduler.reused_parts))
