"""Each case's measures, kept up to date as its events are recorded (issue 14).

`case_log.record` calls `refresh` after every event, so `case_measures` always says what the
history says (`domain.case_measures` computes it); the platform's view counts
(`PATCH /v1/content/{id}`, store.exposure) refresh the cases their item belongs to. Nothing
here is a second source of truth: `rebuild` recomputes any case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from takedown.domain.case_measures import (
    EARLIEST_ONLY,
    EVERY_EVENT,
    CaseClock,
    Measures,
    Step,
    ViewSeries,
    measure,
)
from takedown.services import fresh_cases
from takedown.store.exposure import ViewCount
from takedown.store.models import Case, CaseEvent, CaseItem, ContentItem
from takedown.store.new_rows import new_row
from takedown.store.oversight import CaseMeasure

EMPTY = Measures(None, None, None, None, None, None, None, None, False)


def compute(session: Session, case: Case, now: datetime) -> Measures:
    held = fresh_cases.events(session, case)
    if held is not None:
        steps = [Step(e.type, e.actor, e.at, dict(e.data or {})) for e in held]
    else:
        steps = _measured_steps(session, case.id)
    clock = CaseClock(case.deadline_at, case.removal_due_at, case.removal_closed_at)
    return measure(steps, clock, now, _view_series(session, case))


def _measured_steps(session: Session, case_id: str) -> list[Step]:
    """The part of the case's history the measures read (domain.case_measures): refreshed on
    every event, reading the whole history made each report on a viral case cost O(n) in the
    reports before it (issue 15)."""
    columns = (CaseEvent.seq, CaseEvent.type, CaseEvent.actor, CaseEvent.at, CaseEvent.data)
    every = select(*columns).where(
        CaseEvent.case_id == case_id, CaseEvent.type.in_([t.value for t in EVERY_EVENT])
    )
    earliest = (
        select(*columns)
        .where(CaseEvent.case_id == case_id, CaseEvent.type.in_([t.value for t in EARLIEST_ONLY]))
        .order_by(CaseEvent.at, CaseEvent.seq)
        .limit(1)
    )
    rows = [*session.execute(every), *session.execute(earliest)]
    rows.sort(key=lambda row: row.seq)
    return [Step(row.type, row.actor, row.at, dict(row.data or {})) for row in rows]


def _view_series(session: Session, case: Case) -> list[ViewSeries]:
    items: Iterable[ContentItem]
    if fresh_cases.opened_here(session, case) or "links" not in inspect(case).unloaded:
        # A case opened here holds every link it has (services.fresh_cases); one read in this
        # transaction holds them as read, and those it has linked since.
        items = [link.item for link in case.links]
    else:
        items = session.scalars(
            select(ContentItem)
            .join(CaseItem, CaseItem.item_id == ContentItem.id)
            .where(CaseItem.case_id == case.id)
        )
    out = []
    for item in items:
        counts = session.execute(
            select(ViewCount.observed_at, ViewCount.views)
            .where(ViewCount.item_id == item.id)
            .order_by(ViewCount.observed_at, ViewCount.id)
        ).all()
        out.append(ViewSeries(item.created_at, [(at, views) for at, views in counts]))
    return out


def refresh(session: Session, case: Case, now: datetime) -> CaseMeasure:
    """Recompute and store the case's measures."""
    m = compute(session, case, now)
    known, row = fresh_cases.measures_row(session, case)
    if not known:
        row = session.get(CaseMeasure, case.id)
    values = {
        "first_report_at": m.first_report_at,
        "report_to_restriction_s": m.report_to_restriction_s,
        "report_to_decision_s": m.report_to_decision_s,
        "report_to_removal_s": m.report_to_removal_s,
        "filing_delay_s": m.filing_delay_s,
        "deadline_met": m.deadline_met,
        "take_it_down_met": m.take_it_down_met,
        "views_after_first_report": m.views_after_first_report,
        "automated": m.automated,
        "updated_at": now,
    }
    if row is None:
        row = new_row(CaseMeasure, case_id=case.id, **values)
        session.add(row)
        fresh_cases.keep_measures_row(session, case, row)
        return row
    for key, value in values.items():
        setattr(row, key, value)
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


def refresh_item_cases(session: Session, item: ContentItem, now: datetime) -> None:
    """Refresh the measures of every case holding `item`: its view count has changed."""
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
