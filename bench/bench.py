#!/usr/bin/env python3
"""Trainkit benchmark: prints a table and JSON of build times, memory, pages and ratios.

    .venv/bin/python bench/bench.py [--lessons 16] [--languages 3] [--profiles 3] [--json FILE]

Measures, on a synthetic curriculum made by bench/synth.py (deterministic):
cold build with --jobs 1 and --jobs 2, no-op rebuild, rebuild after editing one
lesson, peak RSS of the largest process, pages produced, the WeasyPrint floor
(time spent only in WeasyPrint's render and write_pdf for the same documents),
and a pandoc → WeasyPrint baseline for the handouts on the same Markdown with the
same number of processes. Absolute times vary by machine; read the ratios.

The floor is WeasyPrint laying out every PDF whole, as a one-document-at-a-time
tool would. Trainkit lays handouts and guides out lesson by lesson and reuses a
lesson two profiles share (trainkit/pdf/parts.py), so it can go under the floor, and
its lead over pandoc grows with the number of profiles: with one profile there
is nothing to share and pandoc's own start-up is all there is to win.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synth import make_curriculum  # noqa: E402

EPOCH = "1767225600"


# Runs a command and prints the peak RSS (KiB) of its largest process, so that each build's
# figure is its own: RUSAGE_CHILDREN in the benchmark itself would keep the largest of every
# process it ever waited for (pandoc's WeasyPrint runs included).
PEAK = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def run_build(curriculum: Path, out: Path, *args: str) -> tuple[float, int]:
    """Wall time of one real CLI build, and the peak RSS (KiB) of its largest process."""
    build = [sys.executable, str(ROOT / "build.py"), "--curriculum", str(curriculum), "build", "--out", str(out), *args]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PEAK, *build], capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, int(result.stderr.strip().splitlines()[-1])


def pages(out: Path) -> tuple[int, int]:
    """Total pages, and the largest single document's pages, from the manifests."""
    total, largest = 0, 0
    for manifest in out.rglob("manifest.json"):
        for entry in json.loads(manifest.read_text())["files"]:
            total += entry.get("pages", 0)
            largest = max(largest, entry.get("pages", 0))
    return total, largest


def weasyprint_floor(curriculum: Path) -> tuple[float, int]:
    """Seconds spent inside WeasyPrint's render + write_pdf for every PDF of a cold build, serially."""
    from weasyprint import HTML

    from trainkit import pipeline
    from trainkit.pack import plan_pack
    from trainkit.pdf.document import PagedDocument
    from trainkit.pdf.render import PdfWriter

    options = pipeline.BuildOptions(curriculum=curriculum, out=Path(tempfile.mkdtemp()), source_date_epoch=EPOCH)
    loaded, _, plan = pipeline.prepare(options)
    profiles, languages = pipeline.resolve_targets(loaded, options, plan)
    writer = PdfWriter(loaded.root / "lessons")
    env = pipeline.environment_key()
    requests: list = []
    for profile in profiles:
        for lang in languages:
            plan_pack(loaded, profile, lang, options, None, pipeline.dt.date(2026, 1, 1), env, submit=requests.append)
    documents = [r.document.whole_html() if isinstance(r.document, PagedDocument) else r.document.html for r in requests]
    fetcher = writer._fetcher
    total = 0.0
    for html in documents:
        started = time.perf_counter()
        document = HTML(string=html, base_url="trainkit:pack/", url_fetcher=fetcher()).render(font_config=writer.font_config)
        document.write_pdf()
        total += time.perf_counter() - started
    return total, len(documents)


def handout_markdown(view, lang: str) -> str:  # type: ignore[no-untyped-def]
    """The Markdown our handout shows for a lesson: title, summary, objectives, text, key points, checklist."""
    lesson = view.lesson
    translation = lesson.translations.get(lang)
    body = translation.body if translation else lesson.body
    title = translation.title if translation else lesson.title
    objectives = "\n".join(f"- {o}" for o in (translation.objectives if translation and translation.objectives else lesson.objectives))
    return (
        f"# {title}\n\n{lesson.summary}\n\n**In this lesson you will**\n\n{objectives}\n\n{body.participant}\n\n"
        f"**Key points**\n\n{body.keypoints}\n\n**After this lesson**\n\n{body.checklist}\n"
    )


def pandoc_baseline(curriculum: Path, jobs: int, only: tuple[str, str] | None = None, tagged: bool = False) -> float | None:
    """pandoc → WeasyPrint for each pack's handout (or only that profile's in that language),
    on the Markdown the handout shows, `jobs` at once; `tagged` asks WeasyPrint for a tagged
    PDF, as ours are (issue 17), for a like-for-like comparison."""
    if shutil.which("pandoc") is None:
        return None
    from trainkit import pipeline
    from trainkit.localize import localize_pack
    from trainkit.select import select_lessons

    options = pipeline.BuildOptions(curriculum=curriculum, out=Path(tempfile.mkdtemp()), source_date_epoch=EPOCH)
    loaded, _, plan = pipeline.prepare(options)
    profiles, languages = pipeline.resolve_targets(loaded, options, plan)
    work = Path(tempfile.mkdtemp())
    inputs = []
    for profile in profiles:
        for lang in languages:
            if only and (profile, lang) != only:
                continue
            pack = localize_pack(loaded, select_lessons(loaded, loaded.profiles[profile]), lang)
            text = "\n\n".join(handout_markdown(view, lang) for view in pack.lessons)
            path = work / f"{profile}-{lang}.md"
            path.write_text(text)
            inputs.append(path)
    weasyprint = str(Path(sys.executable).parent / "weasyprint")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    def convert(path: Path) -> None:
        command = [
            "pandoc",
            str(path),
            "-s",
            "--toc",
            "--metadata",
            "title=Handout",
            f"--pdf-engine={weasyprint}",
            *(["--pdf-engine-opt=--pdf-tags"] if tagged else []),
            "-o",
            str(path.with_suffix(".pdf")),
        ]
        subprocess.run(command, check=True, capture_output=True, env=env)

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(convert, inputs))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=16)
    parser.add_argument("--languages", type=int, default=3)
    parser.add_argument("--profiles", type=int, default=3)
    parser.add_argument("--big-lessons", type=int, default=76, help="lessons in the one-pack memory run (its handout passes 300 pages)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="trainkit-bench-"))
    curriculum = make_curriculum(work / "curriculum", args.lessons, args.languages, args.profiles)
    results: dict[str, float | int | None] = {
        "lessons": args.lessons,
        "languages": args.languages,
        "profiles": args.profiles,
        "cores": os.cpu_count(),
    }

    results["cold_jobs1_s"], rss1 = run_build(curriculum, work / "out1", "--jobs", "1")
    results["cold_jobs2_s"], rss2 = run_build(curriculum, work / "out2", "--jobs", "2")
    results["noop_s"], _ = run_build(curriculum, work / "out2", "--jobs", "2")
    edited = curriculum / "lessons" / "lesson-001" / "en.md"
    text = edited.read_text()
    edited.write_text(text.replace("## Section 1:", "## Section 1 (edited):", 1))
    results["one_lesson_edit_s"], _ = run_build(curriculum, work / "out2", "--jobs", "2")
    edited.write_text(text)
    results["pages"], results["largest_document_pages"] = pages(work / "out2")
    results["peak_rss_mb"] = round(max(rss1, rss2) / 1024, 1)
    results["weasyprint_floor_s"], results["pdf_documents"] = weasyprint_floor(curriculum)
    results["handouts_jobs2_s"], _ = run_build(curriculum, work / "out3", "--jobs", "2", "--format", "handout")
    results["pandoc_handouts_jobs2_s"] = pandoc_baseline(curriculum, 2)
    # One pack alone (one profile, one language): nothing to share between packs.
    results["one_pack_handout_jobs2_s"], _ = run_build(
        curriculum, work / "out4", "--jobs", "2", "--format", "handout", "--profile", "profile-0", "--lang", "en"
    )
    results["pandoc_one_pack_handout_s"] = pandoc_baseline(curriculum, 2, ("profile-0", "en"))
    results["pandoc_tagged_handouts_jobs2_s"] = pandoc_baseline(curriculum, 2, tagged=True)
    results["pandoc_tagged_one_pack_handout_s"] = pandoc_baseline(curriculum, 2, ("profile-0", "en"), tagged=True)
    # Memory for one large pack: enough lessons that the handout passes 300 pages.
    big = make_curriculum(work / "big", args.big_lessons, 1, 1, seed=2)
    _, big_rss = run_build(big, work / "out-big", "--jobs", "1", "--format", "handout")
    results["big_pack_handout_pages"] = pages(work / "out-big")[1]
    results["big_pack_peak_rss_mb"] = round(big_rss / 1024, 1)

    r = results
    ratios = {
        "speedup_jobs2": r["cold_jobs1_s"] / r["cold_jobs2_s"],
        "noop_over_cold": r["noop_s"] / r["cold_jobs2_s"],
        "edit_over_cold": r["one_lesson_edit_s"] / r["cold_jobs2_s"],
        "cold_jobs1_over_floor": r["cold_jobs1_s"] / r["weasyprint_floor_s"],
        "cold_jobs2_over_floor_per_job": r["cold_jobs2_s"] / (r["weasyprint_floor_s"] / 2),
        "pandoc_over_ours_handouts": (r["pandoc_handouts_jobs2_s"] / r["handouts_jobs2_s"]) if r["pandoc_handouts_jobs2_s"] else None,
        "pandoc_over_ours_one_pack": (r["pandoc_one_pack_handout_s"] / r["one_pack_handout_jobs2_s"])
        if r["pandoc_one_pack_handout_s"]
        else None,
        # Ours are tagged (and carry worksheet forms); these compare with pandoc's tagged output.
        "pandoc_tagged_over_ours_handouts": (r["pandoc_tagged_handouts_jobs2_s"] / r["handouts_jobs2_s"])
        if r["pandoc_tagged_handouts_jobs2_s"]
        else None,
        "pandoc_tagged_over_ours_one_pack": (r["pandoc_tagged_one_pack_handout_s"] / r["one_pack_handout_jobs2_s"])
        if r["pandoc_tagged_one_pack_handout_s"]
        else None,
    }
    targets = {
        "speedup_jobs2": ">= 1.7",
        "noop_over_cold": "<= 0.05",
        "edit_over_cold": "<= 0.15",
        "cold_jobs2_over_floor_per_job": "<= 1.3",
        "pandoc_over_ours_handouts": ">= 1.5",
        "pandoc_over_ours_one_pack": "> 1.0",
        "pandoc_tagged_over_ours_handouts": ">= 1.5",
        "pandoc_tagged_over_ours_one_pack": "> 1.0",
        "peak_rss_mb": "< 400 (300-page pack)",
    }
    print(f"Trainkit benchmark: {args.lessons} lessons × {args.languages} languages × {args.profiles} profiles on {os.cpu_count()} cores\n")
    print(f"{'measure':34} {'value':>12}")
    for key, value in results.items():
        print(f"{key:34} {value if value is not None else 'n/a':>12}" if not isinstance(value, float) else f"{key:34} {value:12.2f}")
    print(f"\n{'ratio':34} {'value':>12}  target")
    for key, value in ratios.items():
        shown = f"{value:12.3f}" if value is not None else f"{'n/a':>12}"
        print(f"{key:34} {shown}  {targets.get(key, '')}")
    print(
        f"{'big_pack_peak_rss_mb':34} {results['big_pack_peak_rss_mb']:12.1f}  {targets['peak_rss_mb']} (handout of {results['big_pack_handout_pages']} pages)"
    )
    report = {"results": results, "ratios": ratios}
    print("\n" + json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
