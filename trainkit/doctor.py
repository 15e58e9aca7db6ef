"""`trainkit doctor`: can this machine build, and if not, how to fix it on this system.

In: the curriculum (for its languages, when there is one) and the output folder. Out:
one `Finding` per thing a build needs (Pango, HarfBuzz and its subset library,
WeasyPrint, a font for each language, a writable output folder), plus Chromium for
the browser tests, which a build does not need. Each failed finding carries the
command that fixes it on Debian/Ubuntu, Fedora, macOS (Homebrew) and Windows (WSL);
the text report shows the one for the system it runs on.

Nothing here imports WeasyPrint before the libraries it needs are found, so a
missing library is named instead of crashing the check.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

PANGO_MINIMUM = (1, 44)  # WeasyPrint's own minimum
HARFBUZZ_SUBSET_MINIMUM = (4, 1)  # below this WeasyPrint does not use hb-subset
SYSTEMS = ("debian", "fedora", "macos", "windows")
WSL = "In Windows, install WSL with Ubuntu (in PowerShell: wsl --install), then run in Ubuntu: "

LIBRARIES_FIX = {
    "debian": "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0",
    "fedora": "sudo dnf install pango harfbuzz",
    "macos": "brew install pango harfbuzz",
    "windows": WSL + "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0",
}
# Packages with fonts for a language; Noto covers most scripts.
FONT_FIX = {
    "debian": "sudo apt-get install fonts-noto-core fonts-dejavu-core  (Chinese, Japanese, Korean: fonts-noto-cjk)",
    "fedora": "sudo dnf install google-noto-sans-fonts langpacks-fonts-{lang}",
    "macos": "brew install --cask font-noto-sans font-noto-naskh-arabic  (or the Noto font for the language's script)",
    "windows": WSL + "sudo apt-get install fonts-noto-core fonts-dejavu-core",
}
FONTCONFIG_FIX = {
    "debian": "sudo apt-get install fontconfig",
    "fedora": "sudo dnf install fontconfig",
    "macos": "brew install fontconfig",
    "windows": WSL + "sudo apt-get install fontconfig",
}
CHROMIUM_FIX = {
    "debian": "sudo apt-get install chromium",
    "fedora": "sudo dnf install chromium",
    "macos": "brew install --cask chromium",
    "windows": WSL + "sudo apt-get install chromium",
}


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    ok: bool
    detail: str
    needed_for_build: bool = True
    fix: dict[str, str] = field(default_factory=dict)  # system → command; empty when there is nothing to do


def this_system() -> str:
    """debian, fedora, macos, windows, or '' for a system we have no instructions for."""
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    try:
        release = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return ""
    fields = dict(line.split("=", 1) for line in release.splitlines() if "=" in line)
    names = " ".join(fields.get(key, "").strip('"').lower() for key in ("ID", "ID_LIKE"))
    if any(name in names.split() for name in ("debian", "ubuntu")):
        return "debian"
    if any(name in names.split() for name in ("fedora", "rhel", "centos")):
        return "fedora"
    return ""


def _library(*names: str) -> ctypes.CDLL | None:
    for name in (ctypes.util.find_library(names[0]), *names[1:]):
        if name:
            try:
                return ctypes.CDLL(name)
            except OSError:
                continue
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def check_pango() -> Finding:
    pango = _library("pango-1.0", "libpango-1.0.so.0", "libpango-1.0-0.dll", "libpango-1.0.dylib")
    if pango is None:
        return Finding("Pango", False, "the Pango library is not installed (WeasyPrint lays out text with it)", fix=LIBRARIES_FIX)
    pango.pango_version_string.restype = ctypes.c_char_p
    version = pango.pango_version_string().decode()
    if _version(version) < PANGO_MINIMUM:
        wanted = ".".join(map(str, PANGO_MINIMUM))
        return Finding("Pango", False, f"Pango {version} is too old: WeasyPrint needs {wanted} or later", fix=LIBRARIES_FIX)
    return Finding("Pango", True, f"Pango {version}")


def check_harfbuzz() -> Finding:
    harfbuzz = _library("harfbuzz", "libharfbuzz.so.0", "libharfbuzz-0.dll", "libharfbuzz.dylib")
    if harfbuzz is None:
        return Finding("HarfBuzz", False, "the HarfBuzz library is not installed", fix=LIBRARIES_FIX)
    harfbuzz.hb_version_string.restype = ctypes.c_char_p
    version = harfbuzz.hb_version_string().decode()
    subset = _library("harfbuzz-subset", "libharfbuzz-subset.so.0", "libharfbuzz-subset-0.dll", "libharfbuzz-subset.dylib")
    if subset is None or not hasattr(subset, "hb_subset_or_fail"):
        return Finding(
            "HarfBuzz",
            False,
            f"HarfBuzz {version} is installed without its subset library: fonts would be subset far more slowly",
            fix=LIBRARIES_FIX,
        )
    if _version(version) < HARFBUZZ_SUBSET_MINIMUM:
        wanted = ".".join(map(str, HARFBUZZ_SUBSET_MINIMUM))
        return Finding("HarfBuzz", False, f"HarfBuzz {version} is too old to subset fonts: {wanted} or later is needed", fix=LIBRARIES_FIX)
    return Finding("HarfBuzz", True, f"HarfBuzz {version} with its subset library")


def check_weasyprint() -> Finding:
    """Import WeasyPrint in a child process: a library it cannot load must not take this check down."""
    probe = "import weasyprint, importlib.metadata as m; print(m.version('weasyprint'))"
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        return Finding("WeasyPrint", False, f"WeasyPrint could not be started: {exc}", fix=LIBRARIES_FIX)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return Finding("WeasyPrint", False, f"WeasyPrint cannot load its libraries: {last}", fix=LIBRARIES_FIX)
    return Finding("WeasyPrint", True, f"WeasyPrint {result.stdout.strip()}")


def fonts_for(lang: str) -> list[str] | None:
    """The font families fontconfig has for a language; None when fontconfig cannot be asked."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        result = subprocess.run([fc_list, f":lang={lang.lower()}", "family"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted({line.split(",")[0].strip() for line in result.stdout.splitlines() if line.strip()})


def check_fonts(languages: list[str]) -> list[Finding]:
    findings = []
    for lang in languages:
        families = fonts_for(lang)
        if families is None:
            return [Finding("Fonts", False, "fontconfig's fc-list is not installed, so fonts cannot be found", fix=FONTCONFIG_FIX)]
        if families:
            shown = ", ".join(families[:3]) + (", …" if len(families) > 3 else "")
            findings.append(Finding(f"Font for '{lang}'", True, shown))
        else:
            fix = {system: command.format(lang=lang.split("-")[0].lower()) for system, command in FONT_FIX.items()}
            findings.append(Finding(f"Font for '{lang}'", False, f"no installed font has the letters of language '{lang}'", fix=fix))
    return findings


def check_output(out: Path) -> Finding:
    from .output import foreign_entries

    foreign = foreign_entries(out)
    if foreign:
        fix = {system: f"build into another folder with --out, or move these out of {out}: {', '.join(foreign[:3])}" for system in SYSTEMS}
        return Finding("Output folder", False, f"{out} holds files Trainkit did not write, so a build would refuse it", fix=fix)
    folder = out
    while not folder.exists():
        folder = folder.parent
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        fix = {system: f"build into a folder you can write to with --out, or fix the permissions of {folder}" for system in SYSTEMS}
        return Finding("Output folder", False, f"cannot write in {folder}: {exc.strerror or exc}", fix=fix)
    return Finding("Output folder", True, f"{out} can be written")


def check_chromium() -> Finding:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return Finding("Chromium", True, f"{name} (for the browser tests; a build does not need it)", needed_for_build=False)
    return Finding(
        "Chromium", False, "not found: only the browser tests of the slides need it, not a build", needed_for_build=False, fix=CHROMIUM_FIX
    )


def curriculum_languages(curriculum: Path) -> tuple[list[str], str]:
    """The languages to find fonts for, and a note when they could not be read from a curriculum."""
    from .loader import load_curriculum

    if not (curriculum / "curriculum.yml").is_file():
        return ["en"], f"no curriculum at {curriculum}: fonts checked for English only"
    loaded, _ = load_curriculum(curriculum)
    if loaded is None:
        return ["en"], f"{curriculum / 'curriculum.yml'} could not be read (run trainkit check): fonts checked for English only"
    return list(dict.fromkeys([loaded.source_language, *loaded.languages])), ""


def diagnose(curriculum: Path, out: Path) -> tuple[list[Finding], str]:
    languages, note = curriculum_languages(curriculum)
    findings = [check_pango(), check_harfbuzz()]
    if findings[0].ok:
        findings.append(check_weasyprint())
    findings += check_fonts(languages)
    findings += [check_output(out), check_chromium()]
    return findings, note


def report(findings: list[Finding], note: str) -> dict:
    return {
        "ok": all(f.ok for f in findings if f.needed_for_build),
        "system": this_system() or platform.system().lower(),
        "note": note,
        "python": platform.python_version(),
        "environment": {key: os.environ[key] for key in ("FONTCONFIG_FILE",) if key in os.environ},
        "checks": [asdict(f) for f in findings],
    }
