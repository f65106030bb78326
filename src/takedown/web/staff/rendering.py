"""Rendering the staff pages: one template environment, and what every page needs to know."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from takedown.clock import rfc3339
from takedown.web.templating import make_templates


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    made = make_templates()
    made.env.filters["rfc3339"] = rfc3339
    made.env.filters["clock"] = lambda at: f"{at:%d %b %Y %H:%M} UTC" if at else ""
    return made


def time_left(deadline: datetime, now: datetime) -> str:
    """'42 min left' or 'overdue 1 h 5 min': what a reviewer reads at a glance."""
    seconds = int((deadline - now).total_seconds())
    minutes = abs(seconds) // 60
    hours, mins = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    text = " ".join(parts)
    return f"{text} left" if seconds >= 0 else f"overdue {text}"


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    login = getattr(request.state, "staff", None)
    page = {
        "login": login,
        "role": login.user.role if login else None,
        "csrf": login.csrf_token if login else "",
        **context,
    }
    return templates().TemplateResponse(request, name, page, status_code=status)
