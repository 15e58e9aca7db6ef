"""Shared test data: a writer for the folder trees the tests make up, and one build date."""

from __future__ import annotations

from pathlib import Path


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


# One build date for every test that builds: 2026-01-01, so outputs are byte for byte repeatable.
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}
