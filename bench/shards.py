#!/usr/bin/env python3
"""Trainkit shard benchmark: a CI matrix's wall time against one machine's.

    .venv/bin/python bench/shards.py [--lessons 12] [--languages 16] [--profiles 4] [--shards 2 4 8] [--json FILE]

On a synthetic curriculum with many languages and profiles (bench/synth.py), builds
everything once with --jobs 2 (one machine), then for each N builds shards 1/N … N/N
one after another, each cold in its own folder with --jobs 2, as N machines of a CI
matrix would. A matrix waits for its slowest shard, so that is the figure to compare:
with a perfect split and nothing lost, the slowest shard takes the single build's time
divided by N. Two ratios are printed: slowest ÷ (single ÷ N), what the matrix gains
against one machine (lessons two packs share are laid out once per shard that needs
them, so this includes that loss), and slowest ÷ (sum of shards ÷ N), the balance of
the split alone. The issue's target for the first is 1.25.

The default curriculum has 16 languages and 4 profiles (64 packs), so that 8 machines
get two whole languages each, as they do for the curricula a matrix is for (the issue's
team has 30 languages and 10 profiles). With fewer languages than machines
(--languages 6), a language's packs land on two machines, which both lay its lessons
out, and each machine's start weighs more against its share: the ratio grows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from synth import make_curriculum  # noqa: E402

from bench import run_build  # noqa: E402


def shard_pages(curriculum: Path, total: int) -> list[int]:
    """Estimated pages per shard, as `build --list-shards N --json` gives them."""
    command = [
        sys.executable,
        str(HERE.parent / "build.py"),
        "--curriculum",
        str(curriculum),
        "build",
        "--list-shards",
        str(total),
        "--json",
    ]
    listing = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    return [shard["estimated_pages"] for shard in listing]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=12)
    parser.add_argument("--languages", type=int, default=16)
    parser.add_argument("--profiles", type=int, default=4)
    parser.add_argument("--shards", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="trainkit-shards-"))
    curriculum = make_curriculum(work / "curriculum", args.lessons, args.languages, args.profiles)
    single, _ = run_build(curriculum, work / "single", "--jobs", "2")
    results: dict[str, object] = {
        "lessons": args.lessons,
        "languages": args.languages,
        "profiles": args.profiles,
        "packs": args.languages * args.profiles,
        "cores": os.cpu_count(),
        "single_build_jobs2_s": round(single, 2),
        "shards": {},
    }
    print(
        f"Trainkit shard benchmark: {args.lessons} lessons × {args.languages} languages × {args.profiles} profiles on {os.cpu_count()} cores"
    )
    print(f"single build, --jobs 2: {single:.2f} s\n")
    print(
        f"{'N':>3} {'slowest s':>10} {'sum s':>8} {'single/N s':>11} {'slowest÷(single/N)':>19} {'slowest÷(sum/N)':>16}  estimated pages per shard"
    )
    for total in args.shards:
        times = [run_build(curriculum, work / f"n{total}-{k}", "--jobs", "2", "--shard", f"{k}/{total}")[0] for k in range(1, total + 1)]
        slowest, summed = max(times), sum(times)
        row = {
            "times_s": [round(t, 2) for t in times],
            "slowest_s": round(slowest, 2),
            "sum_s": round(summed, 2),
            "slowest_over_single_per_shard": round(slowest / (single / total), 3),
            "slowest_over_sum_per_shard": round(slowest / (summed / total), 3),
            "estimated_pages": shard_pages(curriculum, total),
        }
        results["shards"][str(total)] = row  # type: ignore[index]
        print(
            f"{total:>3} {slowest:>10.2f} {summed:>8.2f} {single / total:>11.2f} {row['slowest_over_single_per_shard']:>19.3f} "
            f"{row['slowest_over_sum_per_shard']:>16.3f}  {row['estimated_pages']}"
        )
    print("\ntarget: slowest ÷ (single ÷ N) <= 1.25")
    print("\n" + json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
