"""The one Jinja2 environment for every page, with Babel's gettext for all visible words."""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALES = HERE / "locale"
DEFAULT_LOCALE = "en"


def translations(locale: str = DEFAULT_LOCALE) -> NullTranslations:
    """Compiled catalogues from web/locale; English falls back to the source strings."""
    return Translations.load(str(LOCALES), [locale], domain="messages")


def make_templates(locale: str = DEFAULT_LOCALE) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Templates(env=env)
