"""What regulators ask for: DSA statements of reasons and the transparency report (issue 14).

Both are read from the case history (events are the record of every decision and action) and
the stored case measures, over a period of whole UTC days [from, to].
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.domain.case_measures import is_human, median
from takedown.domain.statements import (
    BANK_MATCH,
    POLICY_OF_CATEGORY,
    Restriction,
    RestrictiveDecision,
    statement,
)
from takedown.domain.vocabulary import Category, EventType, Policy
from takedown.services.errors import Invalid
from takedown.store.models import Case, CaseEvent, ContentItem, Report
from takedown.store.oversight import CaseMeasure

MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Whole UTC days, both ends included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    def as_json(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def today() -> date:
    """The current UTC day, for a period given without `to` (the CLI has no injected clock)."""
    return datetime.now(UTC).date()


def parse_period(first: str | None, last: str | None, today: date) -> Period:
    """`from` and `to` as YYYY-MM-DD; missing `to` is today, missing `from` 30 days before it."""

    def day(text: str | None, name: str, default: date) -> date:
        if text is None or text == "":
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            message = f"{name} must be a date as YYYY-MM-DD, not {text!r}"
            raise Invalid(message, "invalid_period") from None

    end = day(last, "to", today)
    start = day(first, "from", end - timedelta(days=29))
    if start > end:
        raise Invalid("from must not be after to", "invalid_period")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise Invalid(f"a period is at most {MAX_PERIOD_DAYS} days", "invalid_period")
    return Period(start, end)


# -- statements of reasons --------------------------------------------------------------------


def _events(session: Session, period: Period, *types: EventType) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(
                CaseEvent.type.in_([t.value for t in types]),
                CaseEvent.at >= period.start,
                CaseEvent.at < period.end,
            )
            .order_by(CaseEvent.at, CaseEvent.case_id, CaseEvent.seq)
        )
    )


def _restriction(event: CaseEvent) -> Restriction | None:
    if event.type == EventType.RESTRICT:
        return Restriction.DISABLED
    action = (event.data or {}).get("action")
    if action == "removed":
        return Restriction.REMOVED
    if action == "suspended":
        return Restriction.ACCOUNT_SUSPENDED
    return None


def _policy(event: CaseEvent, case: Case) -> Policy:
    named = (event.data or {}).get("policy")
    if named in {p.value for p in Policy}:
        return Policy(named)
    try:
        return POLICY_OF_CATEGORY[Category(case.category)]
    except ValueError:
        return Policy.NONE


def _media_of(item: ContentItem) -> str | None:
    """The item's MIME type, or what its signals show when the upload did not say."""
    if item.media_type and item.media_type != "application/octet-stream":
        return item.media_type
    if item.kind == "text":
        return "text/plain"
    names = {s.signal for s in item.signals}
    return "video" if "vpdq" in names else "image" if "pdq" in names else None


def decision_of(session: Session, event: CaseEvent) -> RestrictiveDecision | None:
    """The restrictive decision a case event records, or None for any other event."""
    kind = _restriction(event)
    if kind is None:
        return None
    case = session.get(Case, event.case_id)
    assert case is not None
    data = event.data or {}
    if kind is Restriction.ACCOUNT_SUSPENDED:
        items = [ln.item for ln in case.links if ln.item.account_id == data.get("account_id")]
    else:
        items = [ln.item for ln in case.links if ln.item.content_id == data.get("content_id")]
    first = min(case.reports, key=lambda r: r.created_at, default=None)
    role = first.reporter_role if first else BANK_MATCH
    return RestrictiveDecision(
        puid=event.id,
        restriction=kind,
        policy=_policy(event, case),
        by_person=is_human(event.actor),
        detected_by_match=role == BANK_MATCH,
        first_reporter_role=role,
        applied_at=event.at,
        content_created_at=min((i.created_at for i in items), default=case.opened_at),
        media_types=[_media_of(i) for i in items],
    )


def restrictive_decisions(session: Session, period: Period) -> list[RestrictiveDecision]:
    found = (
        decision_of(session, e)
        for e in _events(session, period, EventType.RESTRICT, EventType.ACTION)
    )
    return [d for d in found if d is not None]


def statements(session: Session, period: Period) -> list[dict[str, Any]]:
    """One statement of reasons per restrictive decision applied in the period."""
    return [statement(d) for d in restrictive_decisions(session, period)]


# -- the transparency report ------------------------------------------------------------------

MEASURED = ("report_to_restriction_s", "report_to_decision_s", "report_to_removal_s")


def measured_cases(session: Session, period: Period) -> list[tuple[Case, CaseMeasure]]:
    """Cases whose first report (or match) falls in the period, with their measures."""
    rows = session.execute(
        select(Case, CaseMeasure)
        .join(CaseMeasure, CaseMeasure.case_id == Case.id)
        .where(
            CaseMeasure.first_report_at >= period.start, CaseMeasure.first_report_at < period.end
        )
        .order_by(CaseMeasure.first_report_at, Case.id)
    ).all()
    return [(case, m) for case, m in rows]


def _appeals(session: Session, period: Period) -> dict[str, int]:
    received = len(_events(session, period, EventType.APPEAL))
    decided = reversed_ = 0
    for event in _events(session, period, EventType.DECIDE):
        data = event.data or {}
        if data.get("stage") != "appeal":
            continue
        decided += 1
        earlier = session.scalars(
            select(CaseEvent)
            .where(
                CaseEvent.case_id == event.case_id,
                CaseEvent.type == EventType.DECIDE.value,
                CaseEvent.seq < event.seq,
            )
            .order_by(CaseEvent.seq)
        )
        finals = [e for e in earlier if (e.data or {}).get("final")]
        if finals and finals[-1].data.get("outcome") != data.get("outcome"):
            reversed_ += 1
    return {"received": received, "decided": decided, "reversed": reversed_}


def report(session: Session, period: Period) -> dict[str, Any]:
    """The transparency report: what came in, what was done, by whom, how fast."""
    cases = measured_cases(session, period)
    reports = list(
        session.scalars(
            select(Report).where(Report.created_at >= period.start, Report.created_at < period.end)
        )
    )
    decisions = restrictive_decisions(session, period)
    actions = Counter(
        str((e.data or {}).get("action"))
        for e in _events(session, period, EventType.ACTION)
        if (e.data or {}).get("action")
    )
    actions["restricted"] = len(_events(session, period, EventType.RESTRICT))
    by_priority: dict[str, dict[str, int]] = {}
    for case, m in cases:
        row = by_priority.setdefault(case.priority, {"met": 0, "missed": 0, "pending": 0})
        row["met" if m.deadline_met else "pending" if m.deadline_met is None else "missed"] += 1
    filings = Counter(
        str((e.data or {}).get("status")) for e in _events(session, period, EventType.FILE)
    )
    medians = {
        name: median([v for _, m in cases if (v := getattr(m, name)) is not None])
        for name in (*MEASURED, "filing_delay_s")
    }
    return {
        "period": period.as_json(),
        "cases": len(cases),
        "by_category": dict(sorted(Counter(c.category for c, _ in cases).items())),
        "by_source": dict(sorted(Counter(r.reporter_role for r in reports).items())),
        "by_action": dict(sorted(actions.items())),
        "by_decision_maker": {
            "automated": sum(not d.by_person for d in decisions),
            "human": sum(d.by_person for d in decisions),
        },
        "statements_of_reasons": len(decisions),
        "median_seconds": medians,
        "deadlines": dict(sorted(by_priority.items())),
        "take_it_down": {
            "met": sum(m.take_it_down_met is True for _, m in cases),
            "missed": sum(m.take_it_down_met is False for _, m in cases),
        },
        "appeals": _appeals(session, period),
        "ncmec_filings": {
            "opened": filings.get("queued", 0),
            "accepted": filings.get("accepted", 0),
            "failed": filings.get("failed", 0),
            "invalid": filings.get("invalid", 0),
        },
    }


def report_rows(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The report as (section, key, value) rows for CSV: nested objects flattened."""
    rows: list[tuple[str, str, str]] = []
    for section, value in body.items():
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, dict):
                    for k2, v2 in inner.items():
                        rows.append((section, f"{key}.{k2}", _cell(v2)))
                else:
                    rows.append((section, str(key), _cell(inner)))
        else:
            rows.append((section, "", _cell(value)))
    return rows


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
