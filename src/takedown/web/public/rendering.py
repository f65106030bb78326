"""Rendering the public pages in the reader's language, from the message catalogues.

English is the source language; any catalogue compiled under web/locale/<lang>/ is offered to
readers whose browser asks for it (Accept-Language).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from takedown.web.templating import DEFAULT_LOCALE, LOCALES, make_templates


def available_locales() -> list[str]:
    found = {p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.mo")}
    return sorted(found | {DEFAULT_LOCALE})


def negotiate(accept_language: str | None) -> str:
    """The best catalogue for an Accept-Language header, English when none fits."""
    wanted = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag and tag != "*":
            wanted.append(tag)
    chosen = Locale.negotiate(wanted, available_locales(), sep="_") if wanted else None
    return str(chosen) if chosen else DEFAULT_LOCALE


@cache
def templates_for(locale: str) -> Jinja2Templates:
    templates = make_templates(locale)

    def when(at: datetime) -> str:
        """A time the reader can act on: always with its zone, in their language."""
        try:
            return format_datetime(at, "HH:mm 'UTC', d MMMM y", tzinfo=UTC, locale=locale)
        except UnknownLocaleError:
            return format_datetime(at, "HH:mm 'UTC', d MMMM y", tzinfo=UTC, locale=DEFAULT_LOCALE)

    templates.env.filters["when"] = when
    templates.env.globals["lang"] = locale.replace("_", "-")
    return templates


def render(request: Request, template: str, context: dict[str, Any], status: int) -> HTMLResponse:
    locale = negotiate(request.headers.get("accept-language"))
    return templates_for(locale).TemplateResponse(request, template, context, status_code=status)
