"""The message catalogues: every word a reporter or staff member reads, in their language.

One catalogue for the web pages and the notices sent outside them (update e-mails), so a
step of a case reads the same on the status page and in the e-mail. English is the source
language; `scripts/catalogues` extracts the words into locale/messages.pot and compiles each
language under locale/<lang>/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel import UnknownLocaleError
from babel.dates import format_datetime
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locale"
DEFAULT_LOCALE = "en"


def translations(locale: str = DEFAULT_LOCALE) -> NullTranslations:
    """Compiled catalogues from locale/; English falls back to the source strings."""
    return Translations.load(str(LOCALES), [locale], domain="messages")


def available_locales() -> list[str]:
    found = {p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.mo")}
    return sorted(found | {DEFAULT_LOCALE})


def when(at: datetime, locale: str) -> str:
    """A time the reader can act on: always with its zone, in their language."""
    try:
        return format_datetime(at, "HH:mm 'UTC', d MMMM y", tzinfo=UTC, locale=locale)
    except UnknownLocaleError:
        return format_datetime(at, "HH:mm 'UTC', d MMMM y", tzinfo=UTC, locale=DEFAULT_LOCALE)
