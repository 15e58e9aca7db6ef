"""What the workbench knows and does, apart from HTTP: the curriculum as last loaded,
previews, workshops, translations and builds.

The curriculum is loaded and checked whole (as `trainkit check` and `build` do) at
start and after every change a watcher reports; pages read the latest Snapshot. A
preview is the build's own file: `pack.plan_pack` makes it exactly as `build` would
write it. Builds are `pipeline.build` on workers kept warm between builds, one at a
time; each is a BuildJob whose progress goes to the event hub.

Requests never name a path: every lesson, profile, language and workshop is looked up
by id in what was loaded, and a new workshop's name must be a plain id.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import check_curriculum
from ..errors import ContentError, Problem, UsageError
from ..loader import load_curriculum
from ..markup import CONVERSIONS
from ..model import Curriculum, Format
from ..pipeline import BuildOptions, BuildReport, build_date
from ..pipeline import build as run_build
from ..workshop import load_workshop
from .events import EventHub
from .planner import Plan, check_plan, values_of

IDENT = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
PREVIEWS = ("handout.html", "slides.html")
KEEP_WARM = 8  # previews made again, before `reload` is sent, after every change


class NotFound(Exception):
    """An id that names nothing loaded (or is not an id at all)."""


def is_ident(text: str) -> bool:
    return IDENT.fullmatch(text) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    generation: int
    curriculum: Curriculum | None
    problems: tuple[Problem, ...] = ()
    views: dict[tuple[str, ...], Any] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A pack to preview or build: a profile, or a workshop file (by name), in a language."""

    profile: str
    lang: str
    workshop: str | None = None
    workshop_path: Path | None = None

    @property
    def label(self) -> str:
        return f"{'workshop ' + self.workshop if self.workshop else self.profile}/{self.lang}"


@dataclass(slots=True, kw_only=True)
class BuildJob:
    id: str
    target: Target
    formats: tuple[Format, ...]
    zip: bool
    state: str = "queued"  # queued, running, done, failed, cancelled
    message: str = ""
    documents: int = 0
    rendered: int = 0
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    zip_bytes: bytes | None = None  # with `zip`: the pack's zip as it was when this build published it
    done: threading.Event = field(default_factory=threading.Event)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target.label,
            "profile": self.target.profile,
            "workshop": self.target.workshop,
            "lang": self.target.lang,
            "formats": [f.value for f in self.formats],
            "zip": self.zip,
            "state": self.state,
            "message": self.message,
            "documents": self.documents,
            "rendered": self.rendered,
            "problems": self.problems,
            "files": self.files,
            "seconds": round((self.finished or time.monotonic()) - self.started, 2) if self.started else 0,
        }


class Workbench:
    def __init__(self, curriculum_root: Path, workshops: Path, out: Path, jobs: int | None = None, hub: EventHub | None = None):
        self.root = curriculum_root
        self.workshops = workshops
        self.out = out
        self.jobs = jobs
        self.hub = hub or EventHub()
        self.lock = threading.RLock()  # the curriculum, its views, the Markdown cache and templates: one user at a time
        self.snapshot = Snapshot(generation=0, curriculum=None)
        self._previews: OrderedDict[tuple[int, str, str, str | None, str], bytes | tuple[Problem, ...]] = OrderedDict()
        self._wanted: OrderedDict[tuple[str, str, str | None, str], None] = OrderedDict()  # previews pages look at
        self._build_lock = threading.Lock()
        self._builds: dict[str, BuildJob] = {}
        self._pool: Any = None
        self.stopping = threading.Event()

    # --- the curriculum -------------------------------------------------------------------

    def reload(self) -> Snapshot:
        """Load and check everything again (what `check` reports); keep the previews pages watch fresh."""
        with self.lock:
            today = dt.date.today()
            if self.snapshot.generation == 0:  # earlier builds' Markdown, read once; this process keeps it after that
                CONVERSIONS.load(self.out / ".cache")
            curriculum, problems = load_curriculum(self.root)
            views: dict[tuple[str, ...], Any] = {}
            if curriculum is not None:
                problems += check_curriculum(curriculum, today, cache_dir=self.out / ".cache", fallbacks=False, views=views)
            self.snapshot = Snapshot(
                generation=self.snapshot.generation + 1,
                curriculum=curriculum,
                problems=tuple(problems),
                views=views,
            )
            self._previews.clear()
            for profile, lang, workshop, name in list(self._wanted):
                try:
                    self.preview(Target(profile=profile, lang=lang, workshop=workshop, workshop_path=self._workshop_path(workshop)), name)
                except (NotFound, ContentError, UsageError):
                    self._wanted.pop((profile, lang, workshop, name), None)
            return self.snapshot

    def changed(self, paths: set[Path]) -> None:
        """A watched file changed: load again, then tell the pages. A failure here (a bug) is
        said in the terminal and the pages; the watcher goes on, so the next save is seen."""
        try:
            snapshot = self.reload()
        except Exception as failed:  # noqa: BLE001 (the watcher thread must survive anything)
            import click

            click.echo(f"trainkit serve: internal error while reloading: {type(failed).__name__}: {failed}", err=True)
            self.hub.publish("reload", {"generation": self.snapshot.generation, "errors": 1, "files": len(paths)})
            return
        self.hub.publish("reload", {"generation": snapshot.generation, "errors": len(snapshot.errors), "files": len(paths)})

    def curriculum(self) -> Curriculum:
        curriculum = self.snapshot.curriculum
        if curriculum is None:
            raise ContentError(self.snapshot.problems)
        return curriculum

    # --- lookups by id ----------------------------------------------------------------------

    def lesson(self, ident: str) -> Any:
        lessons = self.curriculum().lessons
        if ident not in lessons:
            raise NotFound(f"no lesson '{ident}'")
        return lessons[ident]

    def language(self, code: str) -> str:
        if code not in self.curriculum().languages:
            raise NotFound(f"no language '{code}'")
        return code

    def profile(self, ident: str) -> str:
        if ident not in self.curriculum().profiles:
            raise NotFound(f"no profile '{ident}'")
        return ident

    def workshop_names(self) -> list[str]:
        if not self.workshops.is_dir():
            return []
        return sorted(p.stem for p in self.workshops.glob("*.yml") if is_ident(p.stem) and p.is_file() and not p.is_symlink())

    def _workshop_path(self, name: str | None) -> Path | None:
        if name is None:
            return None
        if name not in self.workshop_names():
            raise NotFound(f"no workshop '{name}'")
        return self.workshops / f"{name}.yml"

    def target(self, lang: str, profile: str | None = None, workshop: str | None = None) -> Target:
        self.language(lang)
        if workshop is not None:
            path = self._workshop_path(workshop)
            assert path is not None
            plan = load_workshop(path, self.curriculum())
            return Target(profile=plan.profile, lang=lang, workshop=workshop, workshop_path=path)
        return Target(profile=self.profile(profile or ""), lang=lang)

    def load_workshop(self, name: str) -> tuple[dict[str, Any] | None, Plan | None]:
        """A saved workshop as the planner's values, or its problems (as `build --workshop` gives them)."""
        path = self._workshop_path(name)
        assert path is not None
        try:
            return values_of(load_workshop(path, self.curriculum())), None
        except ContentError as failed:
            text = path.read_text(encoding="utf-8", errors="replace")
            return None, Plan(text=text, problems=failed.problems, fields={"": [p.format(self.workshops.parent) for p in failed.problems]})

    # --- planning and saving ------------------------------------------------------------------

    def check_plan(self, name: str, values: dict[str, Any]) -> Plan:
        if not is_ident(name):
            raise NotFound(f"'{name}' is not a workshop name: use lowercase letters, digits and dashes")
        with self.lock:
            return check_plan(values, self.workshops / f"{name}.yml", self.curriculum())

    def save_workshop(self, name: str, values: dict[str, Any]) -> Plan:
        """Write workshops/<name>.yml if the values are valid (in one step: a temporary file renamed)."""
        plan = self.check_plan(name, values)
        if not plan.ok:
            return plan
        self.workshops.mkdir(parents=True, exist_ok=True)
        target = self.workshops / f"{name}.yml"
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.workshops)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(plan.text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        return plan

    # --- previews ---------------------------------------------------------------------------

    def options(self, target: Target, formats: tuple[Format, ...] = (), make_zip: bool = False) -> BuildOptions:
        return BuildOptions(
            curriculum=self.root,
            out=self.out,
            profiles=(target.profile,),
            languages=(target.lang,),
            formats=formats,
            workshop=target.workshop_path,
            source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
            today=dt.date.today(),
            jobs=self.jobs,
            zip=make_zip,
        )

    def preview(self, target: Target, name: str) -> bytes:
        """handout.html or slides.html of a pack, byte for byte what `build` writes; ContentError
        with the problems when the curriculum (or the workshop file) has errors."""
        from ..pack import plan_pack

        if name not in PREVIEWS:
            raise NotFound(f"no preview '{name}'")
        key = (target.profile, target.lang, target.workshop, name)
        with self.lock:
            snapshot = self.snapshot
            cached = self._previews.get((snapshot.generation, *key))
            self._wanted[key] = None
            self._wanted.move_to_end(key)
            while len(self._wanted) > KEEP_WARM:
                self._wanted.popitem(last=False)
            if cached is None:
                cached = self._make_preview(snapshot, target, name, plan_pack)
                self._previews[(snapshot.generation, *key)] = cached
                while len(self._previews) > 4 * KEEP_WARM:
                    self._previews.popitem(last=False)
        if isinstance(cached, tuple):
            raise ContentError(cached)
        return cached

    def _make_preview(self, snapshot: Snapshot, target: Target, name: str, plan_pack: Any) -> bytes | tuple[Problem, ...]:
        if snapshot.curriculum is None or snapshot.errors:
            return snapshot.problems
        try:
            workshop = load_workshop(target.workshop_path, snapshot.curriculum) if target.workshop_path else None
        except ContentError as failed:
            return failed.problems
        options = self.options(target, (Format.HANDOUT,) if name == "handout.html" else (Format.SLIDES,))
        date = build_date(options.source_date_epoch)
        plan = plan_pack(snapshot.curriculum, target.profile, target.lang, options, workshop, date, "", snapshot.views)
        if plan.failed:
            return plan.problems
        return next(f.data for f in plan.files if f.name == name and f.data is not None)

    # --- builds -----------------------------------------------------------------------------

    def start_build(self, target: Target, formats: tuple[Format, ...] = (), make_zip: bool = False) -> BuildJob:
        job = BuildJob(id=secrets.token_hex(8), target=target, formats=formats, zip=make_zip)
        self._builds[job.id] = job
        while len(self._builds) > 50:
            self._builds.pop(next(iter(self._builds)))
        threading.Thread(target=self._run_build, args=(job,), name=f"trainkit-build-{job.id}", daemon=True).start()
        return job

    def job(self, ident: str) -> BuildJob:
        if ident not in self._builds:
            raise NotFound(f"no build '{ident}'")
        return self._builds[ident]

    def build_now(self, target: Target, formats: tuple[Format, ...] = (), make_zip: bool = False) -> BuildJob:
        job = self.start_build(target, formats, make_zip)
        job.done.wait()
        return job

    def _run_build(self, job: BuildJob) -> None:
        from ..pdf.pool import Cancelled

        with self._build_lock:  # one build at a time: they share the workers and the output folder
            if self.stopping.is_set():
                self._finish(job, "cancelled", "the server is stopping")
                return
            job.state, job.started = "running", time.monotonic()
            self._publish(job, "starting")
            try:
                report = run_build(
                    self.options(job.target, job.formats, job.zip), lambda step: self._progress(job, step), self._warm_pool(), self.lock
                )
            except ContentError as failed:
                job.problems = [p.format(self.root.parent) for p in failed.problems if p.is_error]
                self._finish(job, "failed", f"{len(job.problems)} error(s): nothing was built")
                return
            except UsageError as failed:
                job.problems = [failed.message + (f" ({failed.hint})" if failed.hint else "")]
                self._finish(job, "failed", failed.message)
                return
            except Cancelled:
                self._pool = None
                self._finish(job, "cancelled", "stopped before anything was published")
                return
            except Exception as failed:  # a bug: said on the page, the server goes on
                self._pool = None
                job.problems = [f"internal error: {type(failed).__name__}: {failed}"]
                self._finish(job, "failed", "internal error; run 'trainkit build' with --debug to see it")
                return
            self._report(job, report)

    def _report(self, job: BuildJob, report: BuildReport) -> None:
        pack = report.packs[0] if report.packs else None
        job.problems = [p.format(self.root.parent) for p in (pack.problems if pack else ()) if p.is_error]
        if pack is None or not pack.ok:
            self._finish(job, "failed", "the pack was not built; the previous one was kept")
            return
        job.files = list(pack.files)
        job.rendered = job.documents
        if job.zip:
            from ..packzip import zip_path

            job.zip_bytes = zip_path(pack.folder).read_bytes()  # still under the build lock: no other build has replaced it
        self._finish(job, "done", f"{len(pack.files)} files, {pack.pages} pages" + (" (up to date)" if pack.reused else ""))

    def _progress(self, job: BuildJob, step: str) -> None:
        if step.startswith("rendered ") and "(" in step:
            counted = step.rsplit("(", 1)[1].rstrip(")").split(" of ")
            if len(counted) == 2 and all(c.isdigit() for c in counted):
                job.rendered, job.documents = int(counted[0]), int(counted[1])
        self._publish(job, step)

    def _publish(self, job: BuildJob, message: str) -> None:
        job.message = message
        self.hub.publish("build", job.as_json())

    def _finish(self, job: BuildJob, state: str, message: str) -> None:
        job.state, job.finished = state, time.monotonic()
        self._publish(job, message)
        job.done.set()

    def _warm_pool(self) -> Any:
        """Workers started once and kept for every build (WeasyPrint imported once, fonts loaded once)."""
        from ..output import environment_key
        from ..pdf.pool import RenderPool, default_workers

        if self._pool is None:
            self._pool = RenderPool(self.jobs or default_workers(), self.out / ".cache" / "parts", environment_key())
            self._pool.start()
        return self._pool

    def warm_up(self) -> None:
        """Start the workers now (in the background of the first page load)."""
        if self.out.exists():
            from ..output import claim_output

            try:
                claim_output(self.out)
            except UsageError:
                return  # the first build says why; workers for a folder we may not write are no use
        with self._build_lock:
            self._warm_pool()

    def stop(self) -> None:
        """Ctrl-C: cancel a build in progress (nothing half-written is kept) and stop the workers."""
        self.stopping.set()
        self.hub.close()
        pool = self._pool
        if pool is not None:
            pool.cancel()
        for job in list(self._builds.values()):
            if job.state == "running":
                job.done.wait(timeout=10)
