"""Fonts: which installed files the documents use, embedded subsets for the HTML deck,
and the missing-glyph check.

In: text and a language. Out: @font-face CSS with WOFF2 data URIs (subset to the
characters used), or the characters no installed font of the stack can draw.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .files import write_atomic

# The families the templates ask for, in order; fontconfig finds their files.
LATIN = ("Noto Sans", "DejaVu Sans")
SCRIPT_FAMILIES = (
    "Noto Naskh Arabic",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Bengali",
    "Noto Sans Ethiopic",
    "Noto Sans Myanmar",
    "DejaVu Sans Mono",
)
STACK = LATIN + SCRIPT_FAMILIES


@dataclass(frozen=True, slots=True)
class FontFile:
    family: str
    path: Path
    weight: int


@cache
def find_font(family: str, bold: bool = False) -> FontFile | None:
    """The installed file for a family (exact family match only), as fc-match picks it:
    upright, the weight nearest regular (or bold), the width nearest normal."""
    wanted = 200 if bold else 80  # fontconfig's weights: 80 regular, 200 bold
    candidates = [
        (abs(font.weight - wanted), abs(font.width - 100), str(font.path), font.path)
        for font in installed_fonts()
        if family in font.families and font.slant == 0
    ]
    if not candidates:
        return None
    path = min(candidates)[3]
    return FontFile(family, path, 700 if bold else 400) if path.is_file() else None


@dataclass(frozen=True, slots=True)
class Installed:
    """One font fontconfig knows (its weight, slant and width on fontconfig's scales)."""

    families: tuple[str, ...]
    weight: int
    slant: int
    width: int
    path: Path
    index: int


@cache
def installed_fonts() -> tuple[Installed, ...]:
    """Every installed font, from one fc-list call (one fc-match per family costs far more)."""
    try:
        result = subprocess.run(
            ["fc-list", "--format", "%{family}\t%{weight}\t%{slant}\t%{width}\t%{file}\t%{index}\n"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    fonts = []
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) != 6 or not all(f.isdigit() for f in (*fields[1:4], fields[5])):
            continue  # variable fonts list ranges ("[100 900]"); the stack uses static files
        families, weight, slant, width, path, index = fields
        fonts.append(Installed(tuple(families.split(",")), int(weight), int(slant), int(width), Path(path), int(index)))
    return tuple(fonts)


@cache
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or {})


def installed_stack(bold: bool = False) -> list[FontFile]:
    """The files of the template's font stack that are installed (and, with `bold`, their bold faces)."""
    weights = (False, True) if bold else (False,)
    return [font for family in STACK for weight in weights if (font := find_font(family, weight)) is not None]


@cache
def pango_version() -> str:
    """The Pango library WeasyPrint lays text out with ('' when it cannot be loaded)."""
    import ctypes.util

    for name in (ctypes.util.find_library("pango-1.0"), "libpango-1.0.so.0", "libpango-1.0-0.dll", "libpango-1.0.dylib"):
        if not name:
            continue
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        library.pango_version_string.restype = ctypes.c_char_p
        return library.pango_version_string().decode()
    return ""


def missing_glyphs(text: str, cache_dir: Path | None = None) -> list[str]:
    """Characters of `text` that no font of the stack can draw (controls and spaces ignored)."""
    covered = covered_codepoints(cache_dir)
    if not covered:
        return []
    missing = []
    for char in sorted(set(text)):
        # Controls, format characters (ZWJ, bidi marks) and separators are not drawn.
        if unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp") or ord(char) in covered:
            continue
        missing.append(char)
    return missing


def covered_codepoints(cache_dir: Path | None = None) -> frozenset[int]:
    """Every character some font of the stack has, kept under `cache_dir` between builds
    (keyed by the font files, their sizes and times: reading the cmaps takes a while)."""
    fonts = installed_stack()
    key = hashlib.sha256("|".join(f"{f.path}:{f.path.stat().st_size}:{f.path.stat().st_mtime_ns}" for f in fonts).encode()).hexdigest()
    if key in _COVERAGE:
        return _COVERAGE[key]
    stored = cache_dir / f"coverage-{key[:32]}.json" if cache_dir is not None else None
    covered: frozenset[int] | None = None
    if stored is not None:
        try:
            covered = frozenset(int(c) for c in json.loads(stored.read_text(encoding="ascii")))
        except (OSError, ValueError, TypeError):
            covered = None
    if covered is None:
        covered = frozenset().union(*(_cmap(font.path) for font in fonts))
        if stored is not None:
            write_atomic(stored, json.dumps(sorted(covered)).encode("ascii"))
    _COVERAGE[key] = covered
    return covered


_COVERAGE: dict[str, frozenset[int]] = {}


def describe(char: str) -> str:
    return f"'{char}' (U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')})"


@cache
def embedded_faces(text: str, cache_dir: Path | None = None, family_alias: str = "Trainkit") -> tuple[str, str]:
    """@font-face rules with subset WOFF2 data for `text`, and the font-family stack to use.

    Memoized: callers pass the same text (all of a language's curriculum text) for
    every pack in that language, so each subset is made once per build.
    """
    wanted = frozenset({ord(c) for c in text} | set(range(0x20, 0x7F)))
    faces, names = [], []
    for index, family in enumerate((*LATIN[:1], *SCRIPT_FAMILIES[:3])):
        regular = find_font(family)
        if regular is None:
            continue
        cmap = _cmap(regular.path)
        if index > 0 and not (wanted - set(range(0x20, 0x7F))) & cmap:
            continue  # this script is not used in the deck
        name = f"{family_alias} {index}"
        names.append(f'"{name}"')
        for font in (regular, find_font(family, bold=True)):
            if font is None:
                continue
            data = base64.b64encode(cached_subset(font.path, wanted & _cmap(font.path), cache_dir)).decode("ascii")
            faces.append(
                f'@font-face {{ font-family: "{name}"; font-weight: {font.weight}; src: url(data:font/woff2;base64,{data}) format("woff2"); }}'
            )
    stack = ", ".join([*names, '"Noto Sans"', '"DejaVu Sans"', '"Noto Naskh Arabic"', "sans-serif"])
    return "\n".join(faces), stack


def cached_subset(path: Path, codepoints: frozenset[int], cache_dir: Path | None) -> bytes:
    """subset_font, kept on disk between builds under `cache_dir` (keyed by font and characters)."""
    if cache_dir is None:
        return subset_font(path, codepoints)
    info = path.stat()
    key = hashlib.sha256(f"{path}:{info.st_size}:{info.st_mtime_ns}:{sorted(codepoints)}".encode()).hexdigest()
    cached = cache_dir / "fonts" / f"{key}.woff2"
    if cached.is_file():
        return cached.read_bytes()
    data = subset_font(path, codepoints)
    write_atomic(cached, data)
    return data


@cache
def subset_font(path: Path, codepoints: frozenset[int]) -> bytes:
    """A WOFF2 subset of one font file with just these characters (and the shaping they need)."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    source = subset.load_font(str(path), options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(source)
    buffer = io.BytesIO()
    subset.save_font(source, buffer, options)
    return buffer.getvalue()
