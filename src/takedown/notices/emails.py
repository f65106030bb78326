"""The words of an update e-mail, from the same catalogue as the pages."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template

from takedown.catalogue import DEFAULT_LOCALE, translations, when

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _update_template(locale: str) -> Template:
    # Plain text: nothing is HTML-escaped (the template also says so, for the extractor).
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = lambda at: when(at, locale)
    return env.get_template("update.txt")


def compose_update(
    case_id: str, at: datetime, message: str, locale: str = DEFAULT_LOCALE
) -> tuple[str, str]:
    """Subject and plain-text body for one step of a reporter's case."""
    body = _update_template(locale).render(case_id=case_id, at=at, message=message)
    gettext = translations(locale).gettext
    subject = gettext("Update on your report %(case)s") % {"case": case_id}
    return subject, body
