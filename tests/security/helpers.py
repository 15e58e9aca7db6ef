"""Helpers of the hostile-input tests on top of support.py: a one-lesson curriculum,
English-only builds, and scans of everything a build wrote."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from support import build as shared_build
from support import lesson as shared_lesson
from support import run, write_tree

from trainkit.loader import fingerprint

__all__ = ["run", "write_tree"]  # the tests import these from here too

CURRICULUM = "title: Hostile test\nsource_language: en\nlanguages: [en, es]\n"
PROFILE = "title: Journalists\naudiences: [journalist]\n"
CANARY = "CANARY-7f3a9c-do-not-leak"


def lesson(body: str, title: str = "Hostile lesson") -> str:
    return shared_lesson(body, title, summary="A lesson written by someone we have never met.")


def translation(source: str, body: str, title: str = "Lección hostil") -> str:
    return f"---\ntitle: {title}\nsource_fingerprint: {fingerprint(source)}\n---\n\n{body}"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    return write_tree(root, {"curriculum.yml": CURRICULUM, "profiles/p.yml": PROFILE, **files})


def build(root: Path, out: Path, *extra: str, env: dict[str, str] | None = None):
    """support.build of the English packs only."""
    return shared_build(root, out, "--lang", "en", *extra, env=env)


def all_bytes(folder: Path) -> bytes:
    """Every output file's bytes, with PDF streams inflated so their text can be searched."""
    chunks = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        chunks.append(data)
        if path.suffix == ".pdf":
            for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
                try:
                    chunks.append(zlib.decompress(stream))
                except zlib.error:
                    pass
    return b"\n".join(chunks)


def png_bytes(side: int = 1, mode: str = "L") -> bytes:
    """A real PNG of side × side pixels (Pillow writes it, so it decodes)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (side, side), 128).save(buffer, "PNG")
    return buffer.getvalue()
