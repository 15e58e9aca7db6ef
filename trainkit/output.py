"""Publishing packs: the manifest, the cache keys that let a rebuild reuse files, and
writing into a staging folder that is swapped into place in one step.

A pack folder is always entirely the old pack or entirely the new one: files are
written and fsynced in `.<lang>.staging-*`, then exchanged with the published
folder (renameat2 RENAME_EXCHANGE on Linux; two renames elsewhere, repaired on
the next run). Leftovers of a killed build are removed before the next one.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import Problem, UsageError, warning

if TYPE_CHECKING:
    from .localize import PackView
    from .model import Curriculum, Workshop
    from .pack import PackPlan
    from .pipeline import BuildOptions

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
        for leftover in profile_dir.glob(".*.zip.*.part"):  # a zip being written when the build was killed
            leftover.unlink(missing_ok=True)


# Files an operating system drops into any folder; never ours, never touched, never a reason to refuse.
SYSTEM_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
CACHE = ".cache"


def foreign_entries(out: Path) -> list[str]:
    """What in `out` Trainkit did not write: anything but its cache and pack folders whose
    manifest says Trainkit wrote them and lists every file in them (and build leftovers)."""
    if not out.exists():
        return []
    if not out.is_dir() or out.is_symlink():
        return [str(out)]
    foreign = []
    for entry in sorted(out.iterdir()):
        if entry.name in SYSTEM_FILES or (entry.name == CACHE and entry.is_dir() and not entry.is_symlink()):
            continue
        if not entry.is_dir() or entry.is_symlink():
            foreign.append(entry.name)
            continue
        for pack in sorted(entry.iterdir()):
            if pack.name in SYSTEM_FILES or _is_leftover(pack.name) or _is_our_zip(pack):
                continue
            foreign += [f"{entry.name}/{pack.name}/{name}" for name in _not_in_manifest(pack)]
    return foreign


def _is_leftover(name: str) -> bool:
    return name.startswith(".") and ((".staging-" in name or ".old-" in name) or (".zip." in name and name.endswith(".part")))


def _is_our_zip(path: Path) -> bool:
    from .packzip import is_our_zip

    return is_our_zip(path)


def _not_in_manifest(pack: Path) -> list[str]:
    """The files of a pack folder that its Trainkit manifest does not list (all, if it has none)."""
    if not pack.is_dir() or pack.is_symlink():
        return [""]
    manifest = read_manifest(pack)
    if not isinstance(manifest, dict) or manifest.get("tool") != "trainkit" or not isinstance(manifest.get("files"), list):
        return [""]
    listed = {entry.get("name") for entry in manifest["files"] if isinstance(entry, dict)} | {"manifest.json"}
    return [p.name for p in sorted(pack.iterdir()) if p.name not in listed and p.name not in SYSTEM_FILES]


def claim_output(out: Path) -> None:
    """Refuse to build into a folder that holds anything Trainkit did not write.

    A build replaces pack folders and removes packs of profiles that no longer exist;
    pointed at a folder with other people's files, that would destroy them."""
    foreign = foreign_entries(out)
    if not foreign:
        return
    shown = ", ".join(name.rstrip("/") or "(the folder itself)" for name in foreign[:5]) + (" …" if len(foreign) > 5 else "")
    raise UsageError(
        f"{out} holds files Trainkit did not write ({shown}); nothing was built",
        "build into an empty folder or a Trainkit output folder with --out, or move those files elsewhere",
    )


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


def previous_file(manifest: dict[str, Any] | None, folder: Path, name: str, key: str) -> tuple[bytes, int] | None:
    """The published file's bytes and pages when its recorded key is `key` and its bytes are intact."""
    entry = next((e for e in (manifest or {}).get("files", []) if e.get("name") == name), None)
    path = folder / name
    if not entry or entry.get("key") != key or not path.is_file() or path.is_symlink():
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return None
    return data, int(entry.get("pages", 0))


def environment_key() -> str:
    """What else decides a PDF's bytes: our version, WeasyPrint's, Pango's and the font files.

    Only content goes in (font files by their hash, never their path or time), so a part
    cache restored on another machine with the same setup is valid there (CI caches)."""
    from importlib.metadata import version

    from .fonts import installed_stack, pango_version

    fonts = [f"{f.family} {f.weight}:{sha256(f.path)}" for f in installed_stack(bold=True)]
    return (
        f"trainkit {__version__}; tagged PDF with forms, field fonts with their drawn text, compact tree; weasyprint {version('weasyprint')}; pango {pango_version()}; "
        + "; ".join(fonts)
    )


def remove_stale_outputs(options: BuildOptions, curriculum: Curriculum) -> list[Problem]:
    """After a full build, remove packs of profiles or languages that no longer exist."""
    if options.profiles or options.languages or options.workshop or options.shard:
        return []
    removed = []
    for profile_dir in sorted(p for p in options.out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")):
        emptied = False
        for pack_dir in sorted(p for p in profile_dir.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")):
            gone = profile_dir.name not in curriculum.profiles or pack_dir.name not in curriculum.languages
            if gone and not _not_in_manifest(pack_dir):  # only a pack whose manifest lists every file in it
                for entry in read_manifest(pack_dir)["files"]:  # type: ignore[index]
                    (pack_dir / entry["name"]).unlink(missing_ok=True)
                (pack_dir / "manifest.json").unlink()
                pack_dir.rmdir()
                if _is_our_zip(zipped := profile_dir / f"{pack_dir.name}.zip"):
                    zipped.unlink()
                removed.append(f"{profile_dir.name}/{pack_dir.name}")
                emptied = True
        if emptied and not any(profile_dir.iterdir()):
            profile_dir.rmdir()
    if not removed:
        return []
    return [warning(None, None, f"removed packs whose profile or language no longer exists: {', '.join(removed)}", None)]


def make_manifest(
    pack: PackView,
    plan: PackPlan,
    date: dt.date,
    revision: str | None,
    folder: Path,
    entries: dict[str, dict[str, Any]],
    workshop: Workshop | None,
    *,
    discreet: bool = False,
) -> dict[str, Any]:
    """What a USB-stick copier needs: every file with its hash, the lessons and their languages.

    A discreet pack's manifest keeps only what checking the files needs: no curriculum,
    profile, workshop or lesson names, nothing that says what the workshop is about."""
    curriculum = pack.curriculum
    languages = sorted({view.lang or curriculum.source_language for view in pack.lessons} | {pack.lang})
    files = [
        {
            "name": name,
            "size": (folder / name).stat().st_size,
            "sha256": sha256(folder / name),
            "pages": entries[name].get("pages", 0),
            "key": entries[name].get("key"),
        }
        for name in sorted(entries)
    ]
    if discreet:
        return {
            "tool": "trainkit",
            "tool_version": __version__,
            "build_date": date.isoformat(),
            "discreet": True,
            "language": pack.lang,
            "paper": plan.paper,
            "total_minutes": pack.selection.total_minutes,
            "lessons": len(pack.lessons),
            "files": files,
        }
    return {
        "tool": "trainkit",
        "tool_version": __version__,
        "build_date": date.isoformat(),
        "source_revision": revision,
        "curriculum": curriculum.title,
        "profile": {"id": pack.selection.profile.id, "title": pack.selection.profile.title_in(pack.lang)},
        "language": pack.lang,
        "languages": languages,
        "paper": plan.paper,
        "workshop": {"title": workshop.title, "date": workshop.date, "place": workshop.place} if workshop else None,
        "total_minutes": pack.selection.total_minutes,
        "lessons": [
            {
                "id": view.id,
                "title": str(view.title.striptags()),
                "language": view.lang or curriculum.source_language,
                "fallback": view.fallback,
                "stale": view.stale,
                "translated_percent": None if view.fallback else view.translated_percent,
                "minutes": view.duration,
                "pulled_in_by": list(view.pulled_in_by),
            }
            for view in pack.lessons
        ],
        "fallbacks": [view.id for view in pack.fallbacks],
        "stale": [view.id for view in pack.stale],
        "files": files,
    }


def source_revision(root: Path) -> str | None:
    """The git commit of the curriculum, when it is in a git repository (for the manifest)."""
    try:
        result = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    revision = result.stdout.strip()
    return revision if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", revision) else None
