"""UI strings: gettext catalogs (Babel .po files under trainkit/locale), compiled in memory.

In: a language code. Out: a gettext Translations object for templates, plus
Babel-formatted dates and numbers. A language with no catalog falls back to the
English strings written in the templates.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages import mofile, pofile

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "trainkit"


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def has_catalog(lang: str) -> bool:
    return lang.split("-")[0] == "en" or catalog_path(lang).exists() or catalog_path(lang.split("-")[0]).exists()


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The UI catalog for `lang` (or its base language); English strings when none exists."""
    for code in (lang, lang.split("-")[0]):
        path = catalog_path(code)
        if path.exists():
            with path.open("rb") as handle:
                catalog = pofile.read_po(handle, locale=code.replace("-", "_"), domain=DOMAIN)
            buffer = io.BytesIO()
            mofile.write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


def long_date(date: dt.date, lang: str) -> str:
    try:
        return format_date(date, format="long", locale=lang.replace("-", "_"))
    except (ValueError, LookupError):
        return date.isoformat()
