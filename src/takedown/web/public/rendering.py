"""Rendering the public pages in the reader's language, from the message catalogues.

English is the source language; any catalogue compiled under locale/<lang>/ (takedown.catalogue)
is offered to readers whose browser asks for it (Accept-Language).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from babel import Locale
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from takedown.catalogue import DEFAULT_LOCALE, available_locales, when
from takedown.web.templating import make_templates


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

    def when_here(at: datetime) -> str:
        return when(at, locale)

    templates.env.filters["when"] = when_here
    templates.env.globals["lang"] = locale.replace("_", "-")
    return templates


def render(request: Request, template: str, context: dict[str, Any], status: int) -> HTMLResponse:
    locale = negotiate(request.headers.get("accept-language"))
    return templates_for(locale).TemplateResponse(request, template, context, status_code=status)
