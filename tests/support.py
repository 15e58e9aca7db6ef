"""The tests' one set of helpers: a lesson file, a folder tree, the CLI, one build date.

Every test that makes up a curriculum writes its lessons with `lesson()` and its
files with `write_tree()`, and drives Trainkit through `run()` or `build()`, the
real command line in-process. The hostile-input tests add their own scans of
the output in security/helpers.py.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from trainkit.cli import main

# One build date for every test that builds: 2026-01-01, so outputs are byte for byte repeatable.
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}

LESSON = """\
---
title: {title}
summary: {summary}
topics: [{topics}]
audiences: [{audiences}]
level: {level}
duration: {duration}
prerequisites: [{prerequisites}]
objectives:
  - Explain one thing.
reviewed: 2026-01-01
review_by: 2099-01-01
---

"""


def lesson(
    body: str | None = None,
    title: str = "A lesson",
    *,
    summary: str = "A lesson used by the tests.",
    topics: str = "encryption",
    audiences: str = "journalist",
    level: str = "beginner",
    duration: int = 30,
    prerequisites: str = "",
) -> str:
    """A source lesson: valid front matter (body on line 16), then `body`."""
    head = LESSON.format(
        title=title, summary=summary, topics=topics, audiences=audiences, level=level, duration=duration, prerequisites=prerequisites
    )
    return head + (body if body is not None else f"Participant text for {title}.\n")


class _Text(HTMLParser):
    """The text a reader sees in HTML: everything but scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of an HTML document or fragment, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """The `trainkit` command line, in-process; exceptions are not swallowed (a traceback fails the test)."""
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def build(root: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """`trainkit build` of `root` into `out` on the tests' build date."""
    return run("--curriculum", root, "build", "--out", out, *args, env={**EPOCH, **(env or {})})


def fontconfig(folder: Path, fonts: list[Path]) -> dict[str, str]:
    """An environment whose fontconfig sees only copies of `fonts` (in `folder`, with new file
    times): another machine's font setup, for a subprocess (fontconfig reads it at start)."""
    import shutil

    fonts_dir = folder / "fonts"
    fonts_dir.mkdir(parents=True)
    for font in fonts:
        shutil.copyfile(font, fonts_dir / font.name)
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{fonts_dir}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    return {"FONTCONFIG_FILE": str(config)}


# --- trainkit serve in a subprocess (test_serve_http.py, test_serve_browser.py) -----------------


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int, folder: Path):
        self.process = process
        self.port = port
        self.folder = folder

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
            for name, value in sent.items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        """Ctrl-C, as a trainer would stop it; killed if it does not stop."""
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def token(self) -> str:
        _, _, page = self.request("GET", "/plan")
        match = re.search(rb'name="trainkit-token" content="([^"]+)"', page)
        assert match
        return match.group(1).decode()


def start(folder: Path, *args: str) -> Server:
    env = {**os.environ, **EPOCH, "TRAINKIT_NO_BROWSER": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trainkit",
            "--curriculum",
            str(folder / "curriculum"),
            "serve",
            "--port",
            "0",
            "--no-browser",
            "--jobs",
            "1",
            *args,
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://[^:/]+:(\d+)/", line)
    assert match, line + (process.stderr.read() if process.poll() is not None and process.stderr else "")
    return Server(process, int(match.group(1)), folder)


# Debian's Chromium, started as the brief says (no background traffic, no first-run work).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, closed on exit: `with chromium() as browser:`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


SERIOUS = {"serious", "critical"}


def serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page, one line each (test_serve_browser, test_a11y_html)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]
