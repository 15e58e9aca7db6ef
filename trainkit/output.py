"""Publishing packs: write into a staging folder, then swap it into place in one step.

A pack folder is always entirely the old pack or entirely the new one: files are
written and fsynced in `.<lang>.staging-*`, then exchanged with the published
folder (renameat2 RENAME_EXCHANGE on Linux; two renames elsewhere, repaired on
the next run). Leftovers of a killed build are removed before the next one.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the call is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if result != 0:
        errno = ctypes.get_errno()
        if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
            return False
        raise OSError(errno, os.strerror(errno), str(b))
    return True


def clean_leftovers(out: Path) -> None:
    """Remove staging and old folders from killed builds; restore a pack caught between renames."""
    if not out.is_dir():
        return
    for profile_dir in out.iterdir():
        if not profile_dir.is_dir() or profile_dir.is_symlink():
            continue
        for leftover in sorted(profile_dir.glob(".*.old-*")):
            lang = leftover.name[1:].split(".old-")[0]
            final = profile_dir / lang
            if not final.exists():
                leftover.rename(final)
            else:
                shutil.rmtree(leftover, ignore_errors=True)
        for leftover in profile_dir.glob(".*.staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Staging:
    """A pack being written: files go into a hidden sibling of the final folder until publish()."""

    def __init__(self, final: Path):
        self.final = final
        final.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-", dir=final.parent))

    def write(self, name: str, data: bytes) -> Path:
        path = self.path / name
        with path.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return path

    def keep_from_previous(self, names: list[str]) -> list[str]:
        """Carry over files of the published pack that this build does not remake."""
        kept = []
        for name in names:
            old = self.final / name
            if old.is_file() and not old.is_symlink():
                shutil.copy2(old, self.path / name)
                kept.append(name)
        return kept

    def publish(self) -> None:
        os.chmod(self.path, 0o755)
        _fsync_dir(self.path)
        if self.final.exists() and _exchange(self.path, self.final):
            _fsync_dir(self.final.parent)
            shutil.rmtree(self.path)
            return
        if self.final.exists():
            old = self.final.parent / self.path.name.replace(".staging-", ".old-")
            self.final.rename(old)
            self.path.rename(self.final)
            shutil.rmtree(old)
        else:
            self.path.rename(self.final)
        _fsync_dir(self.final.parent)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
