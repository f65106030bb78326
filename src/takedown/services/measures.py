"""Each case's measures, kept up to date as its events are recorded (issue 14).

`case_log.record` calls `refresh` after every event, so `case_measures` always says what the
history says (`domain.case_measures` computes it); the platform's view counts refresh the cases
their item belongs to. Nothing here is a second source of truth: `rebuild` recomputes any case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.domain.case_measures import CaseClock, Measures, Step, ViewSeries, measure
from takedown.services.errors import Invalid
from takedown.store.models import Case, CaseEvent, CaseItem, ContentItem
from takedown.store.oversight import CaseMeasure, ViewCount

EMPTY = Measures(None, None, None, None, None, None, None, None, False)


def compute(session: Session, case: Case, now: datetime) -> Measures:
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    )
    steps = [Step(e.type, e.actor, e.at, dict(e.data or {})) for e in events]
    clock = CaseClock(case.deadline_at, case.removal_due_at, case.removal_closed_at)
    return measure(steps, clock, now, _view_series(session, case.id))


def _view_series(session: Session, case_id: str) -> list[ViewSeries]:
    items = session.scalars(
        select(ContentItem)
        .join(CaseItem, CaseItem.item_id == ContentItem.id)
        .where(CaseItem.case_id == case_id)
    )
    out = []
    for item in items:
        counts = session.execute(
            select(ViewCount.at, ViewCount.views)
            .where(ViewCount.item_id == item.id)
            .order_by(ViewCount.at, ViewCount.id)
        ).all()
        out.append(ViewSeries(item.created_at, [(at, views) for at, views in counts]))
    return out


def refresh(session: Session, case: Case, now: datetime) -> CaseMeasure:
    """Recompute and store the case's measures."""
    m = compute(session, case, now)
    row = session.get(CaseMeasure, case.id)
    if row is None:
        row = CaseMeasure(case_id=case.id)
        session.add(row)
    row.first_report_at = m.first_report_at
    row.report_to_restriction_s = m.report_to_restriction_s
    row.report_to_decision_s = m.report_to_decision_s
    row.report_to_removal_s = m.report_to_removal_s
    row.filing_delay_s = m.filing_delay_s
    row.deadline_met = m.deadline_met
    row.take_it_down_met = m.take_it_down_met
    row.views_after_first_report = m.views_after_first_report
    row.automated = m.automated
    row.updated_at = now
    return row


def measures_json(session: Session, case: Case) -> dict[str, Any]:
    """The stored measures as GET /v1/cases/{id} shows them (all null before any event)."""
    row = session.get(CaseMeasure, case.id)
    if row is None:
        return EMPTY.as_json()
    return {
        "report_to_restriction_s": row.report_to_restriction_s,
        "report_to_decision_s": row.report_to_decision_s,
        "report_to_removal_s": row.report_to_removal_s,
        "filing_delay_s": row.filing_delay_s,
        "deadline_met": row.deadline_met,
        "take_it_down_met": row.take_it_down_met,
        "views_after_first_report": row.views_after_first_report,
    }


def record_views(session: Session, item: ContentItem, views: int, now: datetime) -> None:
    """Keep a view count the platform sent (`PATCH /v1/content/{id}` {"views": N}) and refresh
    the measures of every case the item is in. Counts only grow: a smaller one is refused."""
    if isinstance(views, bool) or not isinstance(views, int) or views < 0:
        raise Invalid("views is a whole number of views, 0 or more", "invalid_views")
    last = session.scalar(
        select(ViewCount.views)
        .where(ViewCount.item_id == item.id)
        .order_by(ViewCount.at.desc(), ViewCount.id.desc())
        .limit(1)
    )
    if last is not None and views < last:
        raise Invalid(f"views only grow: {views} is below the last count {last}", "views_decreased")
    session.add(ViewCount(item_id=item.id, views=views, at=now))
    session.flush()
    for case in session.scalars(
        select(Case).join(CaseItem, CaseItem.case_id == Case.id).where(CaseItem.item_id == item.id)
    ):
        refresh(session, case, now)


def rebuild(session: Session, now: datetime) -> int:
    """Recompute every case's measures (after a migration, or to check the projection)."""
    cases = list(session.scalars(select(Case)))
    for case in cases:
        refresh(session, case, now)
    return len(cases)
