"""A pack as one zip for a USB stick (`build --zip`, `serve`), and `trainkit verify`.

In: a published pack folder. Out: `<out>/<profile>/<lang>.zip` holding one folder
(`<profile>-<lang>`, `<workshop>-<lang>`, or `pack-<lang>` when discreet) with the
pack's files and a `SHA256SUMS` file in `sha256sum` format, so that
`cd <folder> && sha256sum -c SHA256SUMS` checks it on any machine.

The zip is deterministic: entries sorted, one fixed time (the build date), fixed
permissions, no extra fields; the same pack gives the same bytes. Its comment marks
it as Trainkit's, which is how a later build knows it may replace or remove it.

`verify` checks a zip, an unpacked zip's folder, or a pack folder (against its
SHA256SUMS, or its manifest.json when it has none): every listed file present with
its hash, and nothing unlisted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .output import SYSTEM_FILES, read_manifest

SUMS = "SHA256SUMS"
COMMENT = b"trainkit pack: check it with 'trainkit verify' or 'sha256sum -c SHA256SUMS' in its folder"
_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def zip_root(profile: str, lang: str, workshop: str | None = None, discreet: bool = False) -> str:
    """The folder name inside the zip: says nothing about the workshop when discreet."""
    if discreet:
        return f"pack-{lang}"
    return f"{workshop or profile}-{lang}"


def zip_path(folder: Path) -> Path:
    """Where `build --zip` writes a pack's zip: beside its folder, `<out>/<profile>/<lang>.zip`."""
    return folder.parent / f"{folder.name}.zip"


def sums_text(files: dict[str, bytes]) -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))


def pack_zip(folder: Path, root: str, date: dt.date) -> bytes:
    """The zip of a published pack folder: every file the manifest lists, the manifest, SHA256SUMS."""
    manifest = read_manifest(folder)
    if not isinstance(manifest, dict) or manifest.get("tool") != "trainkit":
        raise ValueError(f"{folder} is not a Trainkit pack (no manifest.json)")
    names = sorted({entry["name"] for entry in manifest.get("files", [])} | {"manifest.json"})
    files = {name: (folder / name).read_bytes() for name in names}
    files[SUMS] = sums_text(files).encode("utf-8")
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.comment = COMMENT
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{root}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, so the permissions above mean what they say
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_zip(folder: Path, root: str, date: dt.date) -> Path:
    """Write the pack's zip beside its folder in one step (a temporary file renamed into place)."""
    target = zip_path(folder)
    data = pack_zip(folder, root, date)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def is_our_zip(path: Path) -> bool:
    """A zip that Trainkit wrote (its comment says so): a build may replace or remove it."""
    if not path.is_file() or path.is_symlink() or path.suffix != ".zip":
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.comment == COMMENT
    except (OSError, zipfile.BadZipFile):
        return False


def remove_zip(folder: Path) -> None:
    """A pack republished without --zip: its old zip would no longer match it, so it goes."""
    target = zip_path(folder)
    if is_our_zip(target):
        target.unlink()


# --- verify ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    checked: int
    differ: tuple[str, ...] = ()  # "name: what is wrong"

    @property
    def ok(self) -> bool:
        return self.checked > 0 and not self.differ


def parse_sums(text: str) -> tuple[dict[str, str], list[str]]:
    """`sha256sum` lines → {name: hash}, and the lines that are not such lines."""
    sums: dict[str, str] = {}
    bad = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if match is None:
            bad.append(f"{SUMS}:{number}: not a 'sha256  name' line")
            continue
        sums[match.group(2)] = match.group(1)
    return sums, bad


def compare(expected: dict[str, str], actual: dict[str, bytes], source: str) -> Verdict:
    """Every expected file present with its hash; every present file expected."""
    differ = []
    for name in sorted(expected):
        if name not in actual:
            differ.append(f"{name}: missing (listed in {source})")
        elif hashlib.sha256(actual[name]).hexdigest() != expected[name]:
            differ.append(f"{name}: its SHA-256 differs from {source}")
    differ += [f"{name}: not listed in {source}" for name in sorted(set(actual) - set(expected))]
    return Verdict(checked=len(expected), differ=tuple(differ))


def verify(path: Path) -> Verdict:
    """Check a pack zip, an unpacked pack zip, or a pack folder."""
    if path.is_file():
        return _verify_zip(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    folder = _pack_folder(path)
    actual = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name not in SYSTEM_FILES}
    if SUMS in actual:
        sums, bad = parse_sums(actual.pop(SUMS).decode("utf-8", "replace"))
        verdict = compare(sums, actual, SUMS)
        return Verdict(checked=verdict.checked, differ=tuple(bad) + verdict.differ)
    manifest = read_manifest(folder)
    if not isinstance(manifest, dict) or manifest.get("tool") != "trainkit":
        return Verdict(checked=0, differ=(f"{folder}: neither a {SUMS} file nor a Trainkit manifest.json to check against",))
    expected = {e["name"]: e.get("sha256", "") for e in manifest.get("files", []) if isinstance(e, dict) and "name" in e}
    actual.pop("manifest.json", None)  # the manifest cannot list itself; the files it lists are what it vouches for
    return compare(expected, actual, "manifest.json")


def _pack_folder(path: Path) -> Path:
    """The folder holding the files: the path itself, or the one folder an unpacked zip made."""
    if (path / SUMS).is_file() or (path / "manifest.json").is_file():
        return path
    inner = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(inner) == 1 and ((inner[0] / SUMS).is_file() or (inner[0] / "manifest.json").is_file()):
        return inner[0]
    return path


def _verify_zip(path: Path) -> Verdict:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        return Verdict(checked=0, differ=("not a zip file, or a damaged one",))
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        sums_entries = [info for info in entries if info.filename.rsplit("/", 1)[-1] == SUMS]
        if len(sums_entries) != 1:
            return Verdict(checked=0, differ=(f"holds {len(sums_entries)} {SUMS} files; a pack zip holds exactly one",))
        prefix = sums_entries[0].filename[: -len(SUMS)]
        actual: dict[str, bytes] = {}
        problems = []
        for info in entries:
            if info is sums_entries[0]:
                continue
            if not info.filename.startswith(prefix):
                problems.append(f"{info.filename}: outside the pack's folder {prefix or '(top)'}")
                continue
            try:
                actual[info.filename[len(prefix) :]] = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError) as damaged:  # a CRC error: the bytes changed
                problems.append(f"{info.filename[len(prefix) :]}: cannot be read from the zip ({damaged})")
                actual[info.filename[len(prefix) :]] = b""
        sums, bad = parse_sums(archive.read(sums_entries[0]).decode("utf-8", "replace"))
    verdict = compare(sums, actual, SUMS)
    return Verdict(checked=verdict.checked, differ=tuple(bad) + tuple(problems) + verdict.differ)
