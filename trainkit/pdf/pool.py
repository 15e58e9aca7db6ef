"""Rendering in worker processes: HTML in, PDF bytes out, within a time and memory budget.

WeasyPrint misbehaves after fork, so workers are spawned; they import it while
the parent loads the curriculum, and each keeps one PdfWriter (fonts loaded once,
stylesheets parsed once) per curriculum for all the documents it renders. A
document that runs over its time budget or its memory budget fails alone; a worker
that dies is replaced and the remaining documents still build.

Four kinds of job: a whole document (WholeJob: the slides), one lesson part to lay
out into the part cache (PartJob), a handout or guide to assemble from its parts
(AssemblyJob, pdf/parts.py), and its footers, laid out into the cache meanwhile
(FooterJob). Each carries the curriculum's lessons folder, the only place the
worker's fetcher serves images from; pdf/scheduler.py decides what to send.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .document import PagedDocument, WholeDocument
from .parts import PartCache, assemble, lay_out_footers
from .render import AssemblyError, Failure
from .structure import compact_bytes

DEFAULT_TIME_BUDGET = 300  # seconds per document
DEFAULT_MEMORY_BUDGET = 2048  # MiB per worker

# This worker's renderer and part cache, one per curriculum (set by _start and _cache_for; never shared).
_parts_folder = ""
_environment = ""
_caches: dict[str, PartCache] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class WholeJob:
    """Lay a document out in one go (the slides)."""

    key: str
    lessons_root: str
    document: WholeDocument

    @property
    def lessons(self) -> tuple[str, ...]:
        return self.document.lessons


@dataclass(frozen=True, slots=True, kw_only=True)
class PartJob:
    """Lay one part of a paged document out into the part cache, under the key the parent made."""

    key: str
    lessons_root: str
    part_key: str
    html: str
    css: str
    lesson: str

    @property
    def lessons(self) -> tuple[str, ...]:
        return (self.lesson,) if self.lesson else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AssemblyJob:
    """Assemble a paged document from its parts (laying out again any that went missing)."""

    key: str
    lessons_root: str
    document: PagedDocument
    part_keys: tuple[str, ...]
    lessons: tuple[str, ...] = ()
    footers_coming: int = 0  # the pages of the FooterJob sent just before it, if one was


@dataclass(frozen=True, slots=True, kw_only=True)
class FooterJob:
    """Lay a paged document's footer overlay out into the part cache while another worker
    assembles it (the assembly stamps the footers last, and lays them out itself if they are
    not there yet). `pages`: the document's pages if its front takes parts.FRONT_PAGES."""

    key: str
    lessons_root: str
    document: PagedDocument
    pages: int


Job = WholeJob | PartJob | AssemblyJob | FooterJob


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    """What came back for a job: PDF bytes and pages (a part job returns its pages, not its
    bytes, which it stored; a footer job returns nothing), or why it failed."""

    key: str
    pdf: bytes = b""
    pages: int = 0
    failures: tuple[Failure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures


class _Timeout(Exception):
    pass


class Cancelled(Exception):
    """The pool was cancelled (serve stopping): the build in progress stops, publishing nothing."""


def budgets() -> tuple[int, int]:
    """Time (s) and memory (MiB) budgets; TRAINKIT_TIME_BUDGET / TRAINKIT_MEMORY_BUDGET override."""

    def number(name: str, default: int) -> int:
        value = os.environ.get(name, "")
        return int(value) if value.isdigit() and int(value) > 0 else default

    return number("TRAINKIT_TIME_BUDGET", DEFAULT_TIME_BUDGET), number("TRAINKIT_MEMORY_BUDGET", DEFAULT_MEMORY_BUDGET)


def default_workers() -> int:
    """One worker per core, but no more than the machine's memory holds at each worker's budget."""
    cores = os.cpu_count() or 1
    try:
        memory_mib = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return cores
    return max(1, min(cores, memory_mib // budgets()[1]))


def forbid_network() -> None:
    """No internet socket can be opened in this process, nor a name looked up.

    The workers render lesson HTML, the most exposed code we run; they need nothing but
    the pipes to the parent (which are not internet sockets), so a fetch that slipped
    past the fetcher would fail here too."""
    import socket

    class NoNetwork(socket.socket):
        def __init__(self, family: int = -1, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            if family in (-1, socket.AF_INET, socket.AF_INET6):
                raise OSError("network access is forbidden in Trainkit's render workers")
            super().__init__(family, *args, **kwargs)

    def no_lookup(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("network access is forbidden in Trainkit's render workers")

    socket.socket = NoNetwork  # type: ignore[misc]
    socket.getaddrinfo = no_lookup  # type: ignore[assignment]
    socket.gethostbyname = no_lookup  # type: ignore[assignment]


def _start(memory_mib: int, parts_folder: str, environment: str) -> None:
    global _parts_folder, _environment
    import resource

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    forbid_network()
    limit = memory_mib * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    _parts_folder, _environment = parts_folder, environment
    import_weasyprint()  # the slow import, done while the parent loads the curriculum


def import_weasyprint() -> None:
    """Import WeasyPrint, its C libraries found from one `ldconfig -p` listing.

    WeasyPrint asks for each library under every platform's names (22 names), and for each
    name ctypes runs `ldconfig -p`, then `ld` when that finds nothing: 0.15 s of programs in
    every worker's start. On Linux the listing is read once and answers every name; a name
    it lacks is answered "not found", and WeasyPrint goes on to the library's file name,
    which the dynamic loader finds itself (LD_LIBRARY_PATH included). If the import still
    fails, it is tried again with ctypes' own lookup, so an error is WeasyPrint's own."""
    import ctypes.util

    original = ctypes.util.find_library
    listing = _ldconfig_listing()
    if listing is not None:
        ctypes.util.find_library = lambda name: _listed(listing, name)
    try:
        import weasyprint  # noqa: F401
    except OSError:
        for name in [name for name in sys.modules if name.partition(".")[0] == "weasyprint"]:
            del sys.modules[name]
        ctypes.util.find_library = original
        import weasyprint  # noqa: F401
    finally:
        ctypes.util.find_library = original


def _ldconfig_listing() -> bytes | None:
    """The shared libraries the dynamic loader knows by name (Linux), or None."""
    if not sys.platform.startswith("linux") or not Path("/sbin/ldconfig").exists():
        return None
    try:
        return subprocess.run(
            ["/sbin/ldconfig", "-p"], capture_output=True, check=True, timeout=10, env={"LC_ALL": "C", "LANG": "C"}
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _listed(listing: bytes, name: str) -> str | None:
    """What ctypes.util.find_library answers from `ldconfig -p`: the file name of lib<name>.
    A library of another architecture listed first fails to load, and WeasyPrint tries its next name."""
    found = re.search(rb"\s(lib%s\.\S+)\s+\(" % re.escape(name.encode()), listing)
    return found.group(1).decode() if found else None


def _cache_for(lessons_root: str) -> PartCache:
    """This worker's renderer (fonts loaded once) and part cache for one curriculum's images."""
    cache = _caches.get(lessons_root)
    if cache is None:
        from .render import PdfWriter

        cache = _caches[lessons_root] = PartCache(Path(_parts_folder), _environment, PdfWriter(Path(lessons_root)))
    return cache


def _stall_for_tests(job: Job) -> None:
    """The tests' way to make one lesson fail on any machine: TRAINKIT_TEST_STALL_LESSON=<id>
    runs over the time budget (instead of hoping a big table is slow enough), and
    TRAINKIT_TEST_CRASH_LESSON=<id> kills the worker, as a crash or the kernel would.
    Only jobs that lay a lesson out are affected (a part, or a whole document that shows it)."""
    for variable in ("TRAINKIT_TEST_STALL_LESSON", "TRAINKIT_TEST_CRASH_LESSON"):
        lesson = os.environ.get(variable)
        if lesson and isinstance(job, PartJob | WholeJob) and lesson in job.lessons:
            if variable.endswith("CRASH_LESSON"):
                os._exit(70)
            time.sleep(24 * 3600)  # the budget's alarm interrupts this


def _ready() -> None:
    """Nothing: submitted once per worker by RenderPool.start so that each one starts."""


def _alarm(signum, frame):  # type: ignore[no-untyped-def]
    raise _Timeout()


def _render(job: Job, seconds: int) -> Rendered:
    from .render import RenderError

    cache = _cache_for(job.lessons_root)
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    lesson = job.lesson if isinstance(job, PartJob) else ""
    try:
        _stall_for_tests(job)
        if isinstance(job, AssemblyJob):
            try:
                pdf, pages = assemble(job.document, job.part_keys, cache, job.footers_coming)
            except AssemblyError as exc:
                return Rendered(key=job.key, failures=(Failure(str(exc), exc.lesson),))
            except (RenderError, _Timeout, MemoryError):
                raise
            except Exception as exc:  # noqa: BLE001 - a PDF library failure fails this document alone
                message = f"the parts could not be assembled into one PDF ({type(exc).__name__}: {exc})"
                return Rendered(key=job.key, failures=(Failure(message),))
        elif isinstance(job, PartJob):
            return Rendered(key=job.key, pages=len(cache.lay_out(job.part_key, job.html, job.css, job.lesson).pages))
        elif isinstance(job, FooterJob):
            lay_out_footers(job.document, job.pages, cache)
            return Rendered(key=job.key)
        else:
            pdf, pages = cache.writer.render(job.document.html)
            pdf = compact_bytes(pdf)
        return Rendered(key=job.key, pdf=pdf, pages=pages)
    except RenderError as exc:
        return Rendered(key=job.key, failures=tuple(exc.failures))
    except _Timeout:
        return Rendered(key=job.key, failures=(Failure(f"rendering took longer than the budget of {seconds} s", lesson),))
    except MemoryError:
        return Rendered(key=job.key, failures=(Failure("rendering needed more memory than the budget allows", lesson),))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class RenderPool:
    """A pool of spawned workers: submit documents as they are ready, collect results at the end.

    Workers start with the first submitted document, so a build with nothing to
    render never starts them; `start` starts them early when everything will render.
    """

    def __init__(self, jobs: int, parts_folder: Path | None = None, environment: str = ""):
        self.parts_folder = parts_folder
        self.environment = environment
        self.jobs = max(1, jobs)
        self.seconds, self.memory = budgets()
        self._executor: ProcessPoolExecutor | None = None
        self._futures: dict[Future[Rendered], Job] = {}
        self._unsent: list[Job] = []
        self.cancelled = False
        # cancel() runs in another thread (serve's Ctrl-C) while the build's thread may be
        # starting, using or stopping the workers: one thread at a time does either.
        self._workers_lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._workers_lock:
            if self.cancelled:
                raise Cancelled()  # no new workers once stopped for good
            if self._executor is None:
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(
                    self.jobs,
                    mp_context=context,
                    initializer=_start,
                    initargs=(self.memory, str(self.parts_folder or ""), self.environment),
                )
            return self._executor

    def start(self) -> None:
        """Start every worker now (their imports take a while) instead of at the first document."""
        for _ in range(self.jobs):
            self._pool().submit(_ready)

    def idle_workers(self) -> int:
        """Workers with nothing to do now (as far as this pool's jobs go)."""
        return max(0, self.jobs - sum(not future.done() for future in list(self._futures)))

    def submit(self, job: Job) -> None:
        if self.cancelled:
            raise Cancelled()
        try:
            self._futures[self._pool().submit(_render, job, self.seconds)] = job
        except BrokenProcessPool:
            self._unsent.append(job)  # a worker died meanwhile: collect() sends it to a fresh pool
        except (OSError, RuntimeError):
            # cancel() ran in another thread between the check above and this submit: the pool's
            # pipes are closed ("Bad file descriptor") or it is shut down. That is the stop asked for.
            if self.cancelled:
                raise Cancelled() from None
            raise

    def collect(self, done: Callable[[Rendered], None]) -> None:
        """Wait for every submitted document; call `done` with each result (errors included).

        When a worker dies (a crash, the kernel's out-of-memory killer), every job the pool was
        running fails with it, guilty or not. Each is sent once more to a fresh pool; one that
        breaks a pool again is then run alone, after the rest, so that only the document that
        really kills its worker is reported as failed."""
        retried: set[str] = set()
        alone: list[Job] = []
        ran_alone: set[str] = set()
        while self._futures or alone:
            if self.cancelled:
                raise Cancelled()
            if not self._futures:
                job = alone.pop(0)
                ran_alone.add(job.key)
                self.submit(job)
                continue
            finished, _ = wait(self._futures, return_when=FIRST_COMPLETED)
            if self.cancelled:
                raise Cancelled()
            broken: list[Job] = []
            for future in finished:
                job = self._futures.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    if job.key in ran_alone:
                        message = "the renderer stopped (out of memory or crashed) on this document"
                        result = Rendered(key=job.key, failures=(Failure(message, job.lesson if isinstance(job, PartJob) else ""),))
                    elif job.key in retried:
                        alone.append(job)
                        continue
                    else:
                        retried.add(job.key)
                        broken.append(job)
                        continue
                done(result)  # outside the try: an error of the callback is not this job's
            if broken or self._unsent or (alone and not self._futures):
                waiting = [self._futures.pop(f) for f in list(self._futures)]
                unsent, self._unsent = self._unsent, []
                self.terminate()
                for job in broken + waiting + unsent:
                    self.submit(job)

    def render(self, jobs: Iterable[Job], done: Callable[[Rendered], None]) -> None:
        """Submit and collect in one call."""
        for job in jobs:
            self.submit(job)
        self.collect(done)

    def close(self) -> None:
        """Stop the workers once every result is in. They are idle, and every part they
        stored was renamed into place before its result was sent, so they are stopped at
        once: letting each interpreter tear WeasyPrint down takes longer than a small build."""
        self.terminate()

    def cancel(self) -> None:
        """Stop for good, from another thread: the build waiting on this pool raises Cancelled."""
        self.cancelled = True
        self.terminate()

    def terminate(self) -> None:
        """Stop at once (Ctrl-C): kill the workers without waiting for their documents.
        Called by cancel() and by the build stopping on it, it stops the workers once."""
        with self._workers_lock:
            executor, self._executor = self._executor, None
            if executor is not None:
                processes = list(getattr(executor, "_processes", {}).values())
                for process in processes:
                    process.kill()
                for process in processes:
                    process.join(timeout=5)
                # With its workers gone, the pool's manager thread ends at once; waiting for it here
                # keeps Python's exit hook from writing to the pipe it closed ("Bad file descriptor").
                executor.shutdown(wait=True, cancel_futures=True)
            self._futures.clear()  # their results will never come; the next build starts clean
            self._unsent.clear()
