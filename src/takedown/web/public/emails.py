"""The words of an update email, from the same catalogue as the pages."""

from __future__ import annotations

from datetime import datetime

from takedown.web.public.rendering import templates_for
from takedown.web.templating import DEFAULT_LOCALE, translations


def compose_update(
    case_id: str, at: datetime, message: str, locale: str = DEFAULT_LOCALE
) -> tuple[str, str]:
    """Subject and plain-text body for one step of a reporter's case."""
    template = templates_for(locale).env.get_template("public/email_update.txt")
    body = template.render(case_id=case_id, at=at, message=message)
    gettext = translations(locale).gettext
    subject = gettext("Update on your report %(case)s") % {"case": case_id}
    return subject, body
