#!/usr/bin/env python3
"""Trainkit workbench benchmark: how soon a trainer sees a saved edit.

    .venv/bin/python bench/serve.py [--runs 7] [--profile whrd] [--lang en] [--lesson encryption-basics]

Starts `trainkit serve` on a copy of the shipped curriculum, warms it the way a
trainer's open preview page does (the handout previewed, its PDFs built once), then
edits one lesson file again and again, as a save in an editor does, and measures:

- save → preview refreshed (HTML): until the `reload` event has arrived and the
  previewed handout.html, fetched again, shows the edit (target: under 1 s);
- save → handout PDF rebuilt: until a build of the pack's handout.pdf, started
  when the `reload` event arrived (as the preview page does), has published it
  (target: under 3 s);
- save → handout and guide PDFs rebuilt: the same, for both PDFs the preview page asks for.

Medians, minimum and maximum are printed; --json FILE writes them too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Workbench:
    def __init__(self, folder: Path):
        env = {**os.environ, "TRAINKIT_NO_BROWSER": "1", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "trainkit", "--curriculum", str(folder / "curriculum"), "serve", "--port", "0", "--no-browser"],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r":(\d+)/", line)
        if not match:
            raise SystemExit(f"the workbench did not start: {line}")
        self.port = int(match.group(1))
        page = self.request("GET", "/plan")[1]
        self.token = re.search(rb'name="trainkit-token" content="([^"]+)"', page).group(1).decode()  # type: ignore[union-attr]
        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        threading.Thread(target=self._listen, daemon=True).start()

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers |= {"Content-Type": "application/json", "X-Trainkit-Token": self.token}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    def _listen(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port)
        connection.request("GET", "/events", headers={"Host": f"127.0.0.1:{self.port}"})
        response = connection.getresponse()  # kept: when it is collected, its stream closes
        stream = response.fp
        event = ""
        while True:
            line = stream.readline().decode()
            if not line:
                return
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: "):
                self.events.put((event, json.loads(line[6:])))

    def wait_for(self, name: str, timeout: float = 60) -> dict:
        end = time.monotonic() + timeout
        while True:
            event, data = self.events.get(timeout=max(0.01, end - time.monotonic()))
            if event == name:
                return data

    def build(self, profile: str, lang: str, formats: list[str]) -> dict:
        status, body = self.request("POST", "/api/builds", {"profile": profile, "lang": lang, "formats": formats})
        assert status == 202, body
        job = json.loads(body)
        while job["state"] not in ("done", "failed", "cancelled"):
            time.sleep(0.02)
            job = json.loads(self.request("GET", f"/api/builds/{job['id']}")[1])
        assert job["state"] == "done", job
        return job

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", default="whrd")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--lesson", default="encryption-basics")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="trainkit-bench-serve-") as scratch:
        folder = Path(scratch)
        shutil.copytree(ROOT / "curriculum", folder / "curriculum")
        shutil.copytree(ROOT / "workshops", folder / "workshops")
        lesson = folder / "curriculum" / "lessons" / args.lesson / "en.md"
        original = lesson.read_text(encoding="utf-8")
        paragraph = next(line for line in original.splitlines() if len(line) > 80 and line[0].isalpha())
        started = time.monotonic()
        bench = Workbench(folder)
        preview = f"/preview/profile/{args.profile}/{args.lang}/handout.html"
        assert bench.request("GET", preview)[0] == 200
        bench.build(args.profile, args.lang, ["handout", "guide"])  # what an open preview page has done once
        print(f"workbench started and warmed in {time.monotonic() - started:.1f} s (pack {args.profile}/{args.lang}, lesson {args.lesson})")

        html, handout, both = [], [], []
        for run in range(1, args.runs + 1):
            marker = f"Edit number {run} of this benchmark."
            for formats, times in ((["handout"], handout), (["handout", "guide"], both)):
                marker_now = f"{marker} ({'+'.join(formats)})"
                saved = time.monotonic()
                lesson.write_text(original.replace(paragraph, f"{paragraph} {marker_now}", 1), encoding="utf-8")
                bench.wait_for("reload")
                status, page = bench.request("GET", preview)
                refreshed = time.monotonic()
                assert status == 200 and marker_now.encode() in page, "the preview does not show the edit"
                if formats == ["handout"]:
                    html.append(refreshed - saved)
                bench.build(args.profile, args.lang, formats)
                times.append(time.monotonic() - saved)
            print(f"run {run}: html {html[-1]:.2f} s, handout.pdf {handout[-1]:.2f} s, handout+guide {both[-1]:.2f} s")
        bench.stop()

    results = {
        "save_to_preview_html_s": summary(html),
        "save_to_handout_pdf_s": summary(handout),
        "save_to_handout_and_guide_pdf_s": summary(both),
        "targets_s": {"html": 1.0, "pdf": 3.0},
        "runs": args.runs,
        "pack": f"{args.profile}/{args.lang}",
        "cores": os.cpu_count(),
    }
    print()
    print(f"save → preview refreshed (HTML):   median {results['save_to_preview_html_s']['median']:.2f} s (target < 1 s)")
    print(f"save → handout.pdf rebuilt:        median {results['save_to_handout_pdf_s']['median']:.2f} s (target < 3 s)")
    print(f"save → handout + guide rebuilt:    median {results['save_to_handout_and_guide_pdf_s']['median']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
