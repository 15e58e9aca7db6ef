"""The command line: parse options, call the core, print problems, map them to exit codes.

Exit codes: 0 success, 1 content errors, 2 usage errors, 130 interrupted.
No logic lives here; no traceback reaches a user unless --debug is given.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import ContentError, Problem, Severity, UsageError
from .model import Format

EXIT_CONTENT, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_INTERNAL = 1, 2, 130, 3


class Context:
    def __init__(self, curriculum: Path, debug: bool):
        self.curriculum = curriculum
        self.debug = debug
        self.cwd = Path.cwd()

    def show(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        """Print each distinct problem once, sorted by path and line."""
        for problem in sorted(set(problems), key=Problem.sort_key):
            click.echo(problem.format(self.cwd), err=True)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into messages and exit codes; never show a traceback unless --debug."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx: Context = click.get_current_context().find_object(Context)  # type: ignore[assignment]
        try:
            return command(*args, **kwargs)
        except ContentError as exc:
            ctx.show(exc.problems)
            errors = sum(p.is_error for p in exc.problems)
            tail = "; nothing was written to the output." if exc.writes else "."
            click.echo(f"{errors} error{'s' if errors != 1 else ''}{tail}", err=True)
            sys.exit(EXIT_CONTENT)
        except UsageError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"  hint: {exc.hint}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing half-written was kept.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug in Trainkit, not in the user's input
            if ctx.debug:
                raise
            click.echo(f"trainkit: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("  hint: run again with --debug and report the output", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--curriculum",
    "curriculum",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="TRAINKIT_CURRICULUM",
    default="curriculum",
    show_default=True,
    help="The curriculum folder (or set TRAINKIT_CURRICULUM).",
)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@click.version_option(__version__, prog_name="trainkit")
@click.pass_context
def main(ctx: click.Context, curriculum: Path, debug: bool) -> None:
    """Build offline digital-security workshop packs from modular lessons."""
    ctx.obj = Context(curriculum.absolute(), debug)


def load(ctx: Context, strict: bool = False):  # type: ignore[no-untyped-def]
    """Load and check the curriculum; raise ContentError when it has errors."""
    from .checks import check_curriculum
    from .loader import load_curriculum

    curriculum, problems = load_curriculum(ctx.curriculum)
    if curriculum is not None:
        problems += check_curriculum(curriculum, today())
    failing = [p for p in problems if p.is_error or strict]
    if curriculum is None or failing:
        raise ContentError(problems)
    return curriculum, problems


def load_for_translation(ctx: Context, lesson_id: str | None = None):  # type: ignore[no-untyped-def]
    """Load for the translator's commands: errors in other lessons do not block work on this one.

    With `lesson_id`, only the errors in that lesson's folder stop the command."""
    from .checks import check_curriculum
    from .loader import load_curriculum

    curriculum, problems = load_curriculum(ctx.curriculum)
    if curriculum is None:
        raise ContentError(problems)
    problems += check_curriculum(curriculum, today())
    if lesson_id is not None:
        folder = (curriculum.root / "lessons" / lesson_id).absolute()
        own = [p for p in problems if p.is_error and p.path is not None and folder in Path(p.path).absolute().parents]
        if own:
            raise ContentError(own)
    return curriculum, problems


def today() -> dt.date:
    return dt.date.today()


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from-example", is_flag=True, help="Copy the curriculum Trainkit ships (lessons, translations, profiles) to start from.")
@click.pass_obj
@guarded
def init(ctx: Context, path: Path, from_example: bool) -> None:
    """Create a new curriculum in PATH (a new or empty folder)."""
    from .starter import init_project

    made = init_project(path.absolute(), today(), from_example)
    shown = display(made, ctx.cwd)
    click.echo(f"Created {shown}/ with curriculum/, workshops/, README.md and .gitignore")
    click.echo(f"Next: cd {shown} && trainkit doctor && trainkit check --strict && trainkit build")


SYSTEM_NAMES = {"debian": "Debian/Ubuntu", "fedora": "Fedora", "macos": "macOS (Homebrew)", "windows": "Windows (WSL)"}


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default="output",
    show_default=True,
    help="The output folder a build would use.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON, for other tools.")
@click.pass_obj
@guarded
def doctor(ctx: Context, out: Path, as_json: bool) -> None:
    """Check what a build needs on this machine, and say how to fix what is missing."""
    from .doctor import diagnose, report, this_system

    findings, note = diagnose(ctx.curriculum, out.absolute())
    result = report(findings, note)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        system = this_system()
        if note:
            click.echo(f"note: {note}")
        for finding in findings:
            mark = "ok  " if finding.ok else ("FAIL" if finding.needed_for_build else "--  ")
            click.echo(f"{mark} {finding.name}: {finding.detail}")
            for name, command in finding.fix.items():
                if not system or name == system:
                    click.echo(f"     fix ({SYSTEM_NAMES[name]}): {command}")
        click.echo(
            "A build will work." if result["ok"] else "A build will not work: fix what is marked FAIL, then run trainkit doctor again."
        )
    if not result["ok"]:
        sys.exit(EXIT_CONTENT)


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
@guarded
def check(ctx: Context, strict: bool) -> None:
    """Check every lesson, translation and profile; report all problems at once."""
    from .select import select_lessons

    curriculum, problems = load(ctx)
    for profile in curriculum.profiles.values():
        problems += select_lessons(curriculum, profile).problems
    if strict and problems:  # every warning, profiles' included, reported as an error at once
        raise ContentError([replace(p, severity=Severity.ERROR) for p in problems], writes=False)
    ctx.show(problems)
    warnings = len(problems)
    click.echo(
        f"Checked {len(curriculum.lessons)} lessons, {sum(len(lesson.translations) for lesson in curriculum.lessons.values())} translations "
        f"and {len(curriculum.profiles)} profiles: no errors"
        + (f", {warnings} warning{'s' if warnings != 1 else ''}." if warnings else ".")
    )


@main.group("list")
def list_group() -> None:
    """Show what the curriculum holds."""


def _emit(rows: list[dict[str, Any]], as_json: bool, columns: list[tuple[str, str]]) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    widths = [max(len(title), *(len(_cell(r[key])) for r in rows)) if rows else len(title) for key, title in columns]
    click.echo("  ".join(title.ljust(w) for (_, title), w in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(_cell(row[key]).ljust(w) for (key, _), w in zip(columns, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@list_group.command("lessons")
@click.option("--json", "as_json", is_flag=True, help="Every field, as JSON.")
@click.pass_obj
@guarded
def list_lessons(ctx: Context, as_json: bool) -> None:
    """Lessons with their topics, audiences, level, duration and languages."""
    from .listing import lesson_rows

    curriculum, _ = load(ctx)
    _emit(
        lesson_rows(curriculum),
        as_json,
        [("id", "ID"), ("level", "LEVEL"), ("duration", "MIN"), ("topics", "TOPICS"), ("languages", "LANGUAGES"), ("title", "TITLE")],
    )


@list_group.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="Every field, as JSON.")
@click.pass_obj
@guarded
def list_profiles(ctx: Context, as_json: bool) -> None:
    """Profiles with the lessons each resolves to, in teaching order."""
    from .listing import profile_rows

    curriculum, _ = load(ctx)
    _emit(
        profile_rows(curriculum),
        as_json,
        [("id", "ID"), ("total_minutes", "MIN"), ("time_budget", "BUDGET"), ("title", "TITLE"), ("lessons", "LESSONS")],
    )


@list_group.command("languages")
@click.option("--json", "as_json", is_flag=True, help="Every field, as JSON.")
@click.pass_obj
@guarded
def list_languages(ctx: Context, as_json: bool) -> None:
    """Languages of the curriculum, with how many lessons each has."""
    from .listing import language_rows

    curriculum, _ = load(ctx)
    _emit(
        language_rows(curriculum),
        as_json,
        [("code", "CODE"), ("name", "NAME"), ("direction", "DIR"), ("translated", "LESSONS"), ("source", "SOURCE")],
    )


@main.group()
def new() -> None:
    """Scaffold new content."""


@new.command("lesson")
@click.argument("lesson_id")
@click.pass_obj
@guarded
def new_lesson(ctx: Context, lesson_id: str) -> None:
    """Create lessons/LESSON_ID/<source language>.md from the lesson template."""
    from .scaffold import scaffold_lesson

    path = scaffold_lesson(ctx.curriculum, lesson_id, today())
    click.echo(f"Created {path}")
    click.echo("Next: write the lesson, then run: trainkit check")


@main.command()
@click.option("--profile", "profiles", multiple=True, metavar="ID", help="A profile to build (repeatable; default: all).")
@click.option("--lang", "languages", multiple=True, metavar="CODE", help="A language to build (repeatable; default: all).")
@click.option(
    "--format", "formats", multiple=True, type=click.Choice([f.value for f in Format]), help="What to build (repeatable; default: all)."
)
@click.option("--paper", type=click.Choice(["a4", "letter"]), default=None, help="Paper size (default: the curriculum's, usually A4).")
@click.option("--workshop", metavar="FILE", default=None, help="A workshop file: a path, or a name in workshops/.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Documents rendered at once, each in its own worker process (default: one per core, as many as memory allows).",
)
@click.option("--notes", "slide_notes", is_flag=True, help="Print speaker notes under each slide in slides.pdf.")
@click.option("--discreet", is_flag=True, help="Neutral titles and file names (workshop-notes.pdf), for participants who may be searched.")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default="output", show_default=True, help="Where packs are written."
)
@click.option("--shard", metavar="K/N", default=None, help="Build only the K-th of N shares of the packs (one CI machine of N).")
@click.option(
    "--list-shards", type=click.IntRange(min=1), metavar="N", default=None, help="Print which packs each of N shards builds; build nothing."
)
@click.option("--json", "as_json", is_flag=True, help="With --list-shards: print JSON, for CI scripts.")
@click.option(
    "--zip", "make_zip", is_flag=True, help="Also write each pack as <out>/<profile>/<lang>.zip with a SHA256SUMS file, for a USB stick."
)
@click.pass_obj
@guarded
def build(
    ctx: Context, profiles, languages, formats, paper, workshop, jobs, slide_notes, discreet, out, shard, list_shards, as_json, make_zip
) -> None:  # type: ignore[no-untyped-def]
    """Build packs: handout (PDF and HTML), facilitator guide, slides, manifest."""
    from .pipeline import BuildOptions, plan_shards
    from .pipeline import build as run_build
    from .progress import Progress
    from .shards import parse_shard
    from .workshop import find_workshop

    if as_json and list_shards is None:
        raise UsageError("--json goes with --list-shards N", "for example: trainkit build --list-shards 4 --json")
    if shard and list_shards:
        raise UsageError("--shard builds one shard and --list-shards builds none: give one of them")

    options = BuildOptions(
        curriculum=ctx.curriculum,
        out=out.absolute(),
        profiles=tuple(profiles),
        languages=tuple(languages),
        formats=tuple(Format(f) for f in formats),
        paper=paper,
        workshop=find_workshop(workshop, ctx.cwd) if workshop else None,
        source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
        today=today(),
        slide_notes=slide_notes,
        jobs=jobs,
        discreet=discreet,
        shard=parse_shard(shard) if shard else None,
        zip=make_zip,
    )
    if list_shards is not None:
        show_shards(plan_shards(options, list_shards), as_json)
        return
    with Progress() as progress:
        report = run_build(options, progress.step)
    ctx.show([*report.warnings, *(p for pack in report.packs for p in pack.problems)])
    for pack in report.packs:
        status = ("up to date" if pack.reused else "built") if pack.ok else "FAILED (previous pack kept)"
        detail = f"{len(pack.files)} files, {pack.pages} pages" if pack.ok else ""
        click.echo(f"{pack.profile}/{pack.lang}: {status} {detail}".rstrip())
        if pack.ok and make_zip:
            click.echo(f"  zip: {display(pack.folder.parent / (pack.folder.name + '.zip'), ctx.cwd)}")
    if report.parts_laid_out or report.parts_reused:
        click.echo(f"Lessons laid out: {report.parts_laid_out}; reused from earlier builds: {report.parts_reused}")
    built = [p for p in report.packs if p.ok]
    warnings = sum(not p.is_error for p in report.warnings) + sum(not p.is_error for pack in report.packs for p in pack.problems)
    click.echo(
        f"{len(built)} of {len(report.packs)} packs built, {sum(p.pages for p in built)} pages, {warnings} warning{'s' if warnings != 1 else ''}; files are in {display(options.out, ctx.cwd)}/"
    )
    if not report.packs:
        click.echo(f"Shard {shard} has no packs: there are fewer packs than shards.")
    if not report.ok:
        sys.exit(EXIT_CONTENT)


@main.command()
@click.option(
    "--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True, help="Port to listen on (0: any free port)."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but this machine (127.0.0.1) lets others on the network reach it: a warning says so.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the workbench in the default browser.")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default="output", show_default=True, help="Where builds write packs."
)
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Render workers kept warm (default: as for build).")
@click.pass_obj
@guarded
def serve(ctx: Context, port: int, host: str, no_browser: bool, out: Path, jobs: int | None) -> None:
    """Plan workshops, preview packs live and build them, in the browser, offline (the trainer's workbench)."""
    from .serve.app import serve as run_server

    run_server(ctx.curriculum, ctx.cwd / "workshops", out.absolute(), host, port, not no_browser, jobs)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.pass_obj
@guarded
def verify(ctx: Context, path: Path) -> None:
    """Check a pack zip, or a pack folder, against its SHA256SUMS (or manifest.json): exit 1 if any file differs."""
    from .packzip import verify as check_pack

    verdict = check_pack(path.absolute())
    shown = display(path.absolute(), ctx.cwd)
    for line in verdict.differ:
        click.echo(f"{shown}: {line}", err=True)
    if not verdict.ok:
        click.echo(f"{shown}: {len(verdict.differ)} problem(s); do not hand this pack out as it is", err=True)
        click.echo("  hint: copy it again from the machine that built it, or rebuild it with: trainkit build --zip", err=True)
        sys.exit(EXIT_CONTENT)
    click.echo(f"{shown}: all {verdict.checked} files match")


def show_shards(shards: list[Any], as_json: bool) -> None:
    if as_json:
        listing = [
            {"shard": f"{s.number}/{s.total}", "estimated_pages": s.pages, "packs": [{"profile": p, "lang": lang} for p, lang in s.packs]}
            for s in shards
        ]
        click.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    for s in shards:
        packs = ", ".join(f"{p}/{lang}" for p, lang in s.packs) or "(no packs)"
        click.echo(f"shard {s.number}/{s.total} (about {s.pages} pages): {packs}")


@main.group()
def translate() -> None:
    """Translator workflow: scaffold, status, mark-current."""


@translate.command("new")
@click.argument("lang")
@click.argument("lesson_id")
@click.option("--add-language", is_flag=True, help="Add LANG to curriculum.yml if it is not there yet.")
@click.pass_obj
@guarded
def translate_new(ctx: Context, lang: str, lesson_id: str, add_language: bool) -> None:
    """Create lessons/LESSON/LANG.md from the current source, ready to translate."""
    from .translate import scaffold_translation

    curriculum, _ = load_for_translation(ctx, lesson_id)
    path = scaffold_translation(curriculum, lang, lesson_id, add_language)
    click.echo(f"Created {display(path, ctx.cwd)}")
    click.echo("Translate the title, summary, objectives and the whole body; keep the '::: …' lines, links and image names.")
    click.echo("Then run: trainkit check")


@translate.command("export")
@click.argument("lang")
@click.argument("lessons", nargs=-1)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None, help="Where to write (default: curriculum/po/).")
@click.pass_obj
@guarded
def translate_export(ctx: Context, lang: str, lessons: tuple[str, ...], out: Path | None) -> None:
    """Write gettext catalogs: po/LESSON.pot and po/LANG/LESSON.po, one entry per segment."""
    from .po import PO_FOLDER, export, export_targets

    curriculum, _ = load_for_translation(ctx)
    targets = export_targets(curriculum, lang, lessons)
    folder = (out or curriculum.root / PO_FOLDER).absolute()
    written = export(curriculum, lang, targets, folder)
    click.echo(
        f"Wrote {len(written) // 2} catalog{'s' if len(written) != 2 else ''} for {lang} into {display(folder, ctx.cwd)}/ (templates: *.pot, catalogs: {lang}/*.po)"
    )
    click.echo(f"Translate them in any PO editor, then run: trainkit translate import {lang} {display(folder, ctx.cwd)}/{lang}/*.po")


@translate.command("import")
@click.argument("lang")
@click.argument("catalogs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_obj
@guarded
def translate_import(ctx: Context, lang: str, catalogs: tuple[Path, ...]) -> None:
    """Write lessons/LESSON/LANG.md from translated catalogs (LESSON.po), in the source's structure."""
    from .po import import_catalogs

    curriculum, _ = load_for_translation(ctx)
    for result in import_catalogs(curriculum, lang, list(catalogs)):
        state = "current" if result.translated == result.total else f"partial, {result.percent}% translated"
        click.echo(f"{display(result.path, ctx.cwd)}: {result.translated} of {result.total} segments ({state})")


@translate.command("status")
@click.option("--lang", "languages", multiple=True, metavar="CODE", help="Only this language (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Every lesson's status and the source changes, as JSON.")
@click.pass_obj
@guarded
def translate_status(ctx: Context, languages: tuple[str, ...], as_json: bool) -> None:
    """Per language: which lessons are current, stale (and what changed) or missing."""
    from .translate import status_report

    curriculum, _ = load_for_translation(ctx)
    targets = list(languages) or [code for code in curriculum.languages if code != curriculum.source_language]
    for lang in targets:
        if lang not in curriculum.languages or lang == curriculum.source_language:
            others = [c for c in curriculum.languages if c != curriculum.source_language]
            raise UsageError(
                f"'{lang}' is not a translation language of this curriculum", f"languages: {', '.join(others) or '(none yet)'}"
            )
    report = status_report(curriculum, targets)
    if as_json:
        rows = [{k: v for k, v in entry.items() if not k.startswith("_")} for entry in report]
        click.echo(json.dumps({"source_language": curriculum.source_language, "languages": rows}, indent=2, ensure_ascii=False))
        return
    for entry in report:
        click.echo(
            f"{entry['language']} ({entry['name']}): {entry['translated']} of {entry['lessons_total']} lessons translated ({entry['coverage']}%); "
            f"{entry['current']} current, {entry['partial']} partial, {entry['stale']} stale, {entry['missing']} missing"
        )
        for status in entry["_statuses"]:
            detail = f" ({status.translated_percent}% translated)" if status.status == "partial" or status.translated_percent < 100 else ""
            if status.status == "stale" and status.stale_segments:
                detail += f" ({status.stale_segments} segment{'s' if status.stale_segments != 1 else ''} changed)"
            click.echo(f"  {status.status:<8} {status.id}{detail}")
        for status in entry["_statuses"]:
            if status.status == "stale":
                click.echo(
                    f"\n{entry['language']}/{status.id} is stale: {status.stale_segments or 'some'} segment(s) of the source changed after it was translated."
                )
                click.echo(
                    status.changes.rstrip()
                    if status.changes
                    else "  (the old source is not known: compare the translation with the source by hand)"
                )
                click.echo(f"When the translation is updated, run: trainkit translate mark-current {entry['language']} {status.id}")
        if entry is not report[-1]:
            click.echo()


@translate.command("mark-current")
@click.argument("lang")
@click.argument("lesson_id")
@click.pass_obj
@guarded
def translate_mark_current(ctx: Context, lang: str, lesson_id: str) -> None:
    """Record that LANG's translation of LESSON now matches the current source."""
    from .translate import mark_current

    curriculum, _ = load_for_translation(ctx, lesson_id)
    path = mark_current(curriculum, lang, lesson_id)
    click.echo(f"{display(path, ctx.cwd)} now records the current source.")


def display(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def run() -> None:
    """Entry point for `python build.py` and the `trainkit` console script.

    Click's standalone mode turns Ctrl-C into "Aborted!" and exit 1; we want one
    line and exit 130 wherever the interrupt lands, so exceptions are mapped here.
    """
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 0
    try:
        main.main(prog_name=os.environ.get("TRAINKIT_PROG", "trainkit"), standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("Interrupted; nothing half-written was kept.", err=True)
        code = EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    # The outcome is decided and said: a Ctrl-C from now on (while the workers are joined at
    # exit, where Python has put back the default handler) must not kill us without our code.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)
