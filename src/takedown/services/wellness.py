"""Protecting reviewers: a daily cap on how many media one person reveals (DESIGN rule 9).

Reviewing abuse material harms the people who do it; ROOST's Coop offers leads a setting that
limits each reviewer's exposure, and so does this service. The cap counts `reveal` events per
reviewer per UTC day; `TAKEDOWN_REVEAL_DAILY_CAP` is the default and leads or admins change it
on the dashboard. 0 means no cap.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.domain.vocabulary import EventType
from takedown.services.errors import Forbidden, Invalid
from takedown.services.installation import installation_of
from takedown.store.models import CaseEvent
from takedown.store.oversight import OversightSetting

REVEAL_CAP = "reveal_daily_cap"
MAX_CAP = 10_000


def daily_reveal_cap(session: Session) -> int:
    row = session.get(OversightSetting, REVEAL_CAP)
    if row is not None and isinstance(row.value, int):
        return row.value
    return installation_of(session).settings.reveal_daily_cap


def set_daily_reveal_cap(session: Session, cap: int, who: str, now: datetime) -> int:
    if not 0 <= cap <= MAX_CAP:
        raise Invalid(f"the daily reveal cap is between 0 (none) and {MAX_CAP}", "invalid_cap")
    row = session.get(OversightSetting, REVEAL_CAP)
    if row is None:
        row = OversightSetting(name=REVEAL_CAP)
        session.add(row)
    row.value, row.changed_by, row.changed_at = cap, who, now
    session.flush()
    return cap


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(now.date(), time(), now.tzinfo)
    return start, start + timedelta(days=1)


def reveals_today(session: Session, reviewer: str, now: datetime) -> int:
    start, end = day_bounds(now)
    return (
        session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(
                CaseEvent.type == EventType.REVEAL.value,
                CaseEvent.actor == reviewer,
                CaseEvent.at >= start,
                CaseEvent.at < end,
            )
        )
        or 0
    )


def check_reveal_allowed(session: Session, reviewer: str, now: datetime) -> None:
    """Refuse a reveal past the cap; the reviewer can still decide on the blurred view or
    hand the case to someone else."""
    cap = daily_reveal_cap(session)
    if cap and reveals_today(session, reviewer, now) >= cap:
        raise Forbidden(
            f"you have revealed {cap} media today, the daily limit set for reviewers' "
            "wellbeing; decide on the blurred view or ask a lead to take this case",
            "reveal_limit_reached",
        )
