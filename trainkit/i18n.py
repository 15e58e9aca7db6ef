"""Languages: codes checked against CLDR (Babel), names, script direction.

In: language codes from curriculum.yml and file names. Out: Locale data and
problems; the gettext catalogs for UI strings are loaded in catalogs.py.
"""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError

from .model import LANG_PATTERN


@cache
def locale_for(code: str) -> Locale | None:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def language_problem(code: str) -> str | None:
    """Why `code` is not a usable language code, or None when it is."""
    if not LANG_PATTERN.match(code or ""):
        return f"'{code}' is not a language code"
    if locale_for(code) is None:
        return f"'{code}' is not a language known to CLDR"
    return None


def language_name(code: str, in_language: str | None = None) -> str:
    """The language's name, written in `in_language` (default: in itself)."""
    locale = locale_for(code)
    if locale is None:
        return code
    display = locale_for(in_language or code) or locale
    name = locale.get_display_name(display) or code
    return name[:1].upper() + name[1:]


def is_rtl(code: str) -> bool:
    locale = locale_for(code)
    return bool(locale and locale.character_order == "right-to-left")
