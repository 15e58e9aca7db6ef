"""Which PDF work to send to the render pool, in what order, and what came back.

In: PDF requests as packs are planned (a whole document, or a paged document with
the cache key of each of its parts). Out, from `finish`: one `Rendered` per
request, by its key. Nothing is written into the requests or the plans: the
caller files the results.

A whole document goes as one job. A paged document first needs each part that is
not in the part cache: a part shared by several documents is laid out once, and a
document is assembled as soon as its last part is ready. When this build laid out
every one of its parts, their pages are known, and its footers are laid out on
another worker while it is assembled.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .document import PagedDocument, WholeDocument
from .parts import FRONT_PAGES
from .pool import AssemblyJob, FooterJob, PartJob, Rendered, RenderPool, WholeJob
from .render import Failure


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfRequest:
    key: str  # "<profile>/<lang>/<file name>": names the document in progress lines and errors
    document: PagedDocument | WholeDocument
    part_keys: tuple[str, ...] = ()  # a paged document's parts, in order (pdf/parts.part_key)


class Scheduler:
    def __init__(
        self, pool: RenderPool, parts_folder: Path, lessons_root: Path, progress: Callable[[str], None], keep_running: bool = False
    ):
        self.pool = pool
        self.keep_running = keep_running  # the pool is the caller's (serve keeps it warm): leave it running
        self.parts_folder = parts_folder
        self.lessons_root = str(lessons_root)
        self.progress = progress
        self.results: dict[str, Rendered] = {}
        self.waiting: dict[str, tuple[PdfRequest, set[str]]] = {}  # document → the parts it still needs
        self.submitted_parts: dict[str, str] = {}  # part key → the lesson it shows
        self.reused_parts: set[str] = set()
        self.part_pages: dict[str, int] = {}  # part key → its pages, for the parts laid out by this build
        self.footer_jobs: set[str] = set()
        self.used: set[str] = set()
        self.laid_out = 0
        self.total = 0

    def submit(self, request: PdfRequest) -> None:
        """Send a document's work as soon as its HTML is made."""
        self.total += 1
        document = request.document
        if isinstance(document, WholeDocument):
            self.pool.submit(WholeJob(key=request.key, lessons_root=self.lessons_root, document=document))
            return
        needed = set()
        for part, key in zip(document.parts, request.part_keys, strict=True):
            self.used.add(key)
            if key in self.submitted_parts:
                needed.add(key)
            elif key not in self.reused_parts:
                if self._keep_if_present(key):
                    self.reused_parts.add(key)  # the worker that assembles reads it, and lays it out again if damaged
                    continue
                self.submitted_parts[key] = part.lesson
                needed.add(key)
                job = PartJob(
                    key=key,
                    lessons_root=self.lessons_root,
                    part_key=key,
                    html=document.part_html(part),
                    css=document.style,
                    lesson=part.lesson,
                )
                self.pool.submit(job)
        self.waiting[request.key] = (request, needed)
        self._ready([request.key])

    def keep(self, part_keys: tuple[str, ...]) -> None:
        """A document published earlier and unchanged: its parts stay in the cache."""
        for key in part_keys:
            self.used.add(key)
            self._keep_if_present(key)

    def finish(self) -> dict[str, Rendered]:
        """Wait for every document; their results by request key."""
        self.pool.collect(self._done)
        if not self.keep_running:
            self.pool.close()
        return self.results

    def forget_unused_parts(self, days: int = 30) -> None:
        """After a full build, drop cached parts that this build did not use and no build
        touched for `days` days (every use refreshes a part's time), so the cache stays small."""
        if not self.parts_folder.is_dir():
            return
        cutoff = time.time() - days * 86400
        for path in self.parts_folder.iterdir():
            if path.stem not in self.used and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)

    def _keep_if_present(self, key: str) -> bool:
        """Refresh a stored part's time (the clean-up keeps what is in use); False if it is missing."""
        try:
            os.utime(self.parts_folder / f"{key}.pdf")
        except OSError:
            return False
        return True

    def _ready(self, keys: list[str]) -> None:
        """Assemble each of these documents whose parts are all ready.

        A worker with nothing to do lays a document's footers out while another assembles
        it: when fewer documents are ready than workers are idle, and this build laid out
        all of the document's parts (so their pages are known), a FooterJob goes first."""
        ready = []
        for key in keys:
            request, needed = self.waiting[key]
            if not needed:
                del self.waiting[key]
                ready.append(request)
        idle = self.pool.idle_workers()
        for request in ready:
            document = request.document
            assert isinstance(document, PagedDocument)
            coming = 0
            if len(ready) < idle and all(part in self.part_pages for part in request.part_keys):
                # Sent first, so that it starts no later than the assembly, which needs the footers last.
                coming = FRONT_PAGES + sum(self.part_pages[part] for part in request.part_keys)
                footers = FooterJob(key=f"{request.key} (footers)", lessons_root=self.lessons_root, document=document, pages=coming)
                self.footer_jobs.add(footers.key)
                self.pool.submit(footers)
                idle -= 1
            lessons = tuple(part.lesson for part in document.parts if part.lesson)
            job = AssemblyJob(
                key=request.key,
                lessons_root=self.lessons_root,
                document=document,
                part_keys=request.part_keys,
                lessons=lessons,
                footers_coming=coming,
            )
            self.pool.submit(job)

    def _done(self, result: Rendered) -> None:
        if result.key in self.footer_jobs:
            return  # stored in the cache, or not: the assembly lays them out itself and reports any failure
        if result.key in self.submitted_parts:
            self._part_done(result)
            return
        self.results[result.key] = result
        self.progress(f"rendered {result.key} ({len(self.results)} of {self.total})")

    def _part_done(self, result: Rendered) -> None:
        lesson = self.submitted_parts[result.key]
        if result.ok:
            self.laid_out += 1
            self.part_pages[result.key] = result.pages
        waited_for = []
        for key, (_, needed) in list(self.waiting.items()):
            if result.key not in needed:
                continue
            if result.failures:
                del self.waiting[key]
                # A part fails for its lesson, even when the failure itself could not say which.
                failures = tuple(Failure(f.message, f.lesson or lesson) for f in result.failures)
                self._done(Rendered(key=key, failures=failures))
            else:
                needed.discard(result.key)
                waited_for.append(key)
        self._ready(waited_for)
        self.progress("laid out a lesson")
