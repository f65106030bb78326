"""What a lead sees on /staff/dashboard: the queue now, deadlines met, time to action, every
breach with its timeline, and each reviewer's workload and exposure (issue 14).

Read-only; the figures for a period come from the stored case measures, the same ones the
transparency report and /metrics use, so the three never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.domain.case_measures import percentile
from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.vocabulary import EventType, Priority
from takedown.services import wellness
from takedown.services.transparency import MEASURED, Period, measured_cases
from takedown.store.models import Case, CaseEvent

PERCENTILES = (50, 90, 99)
PRIORITIES = tuple(p.value for p in Priority)


@dataclass(frozen=True)
class QueueRow:
    priority: str
    waiting: int
    escalated: int
    breached: int
    oldest_age_s: float | None


def queue_health(session: Session, now: datetime) -> list[QueueRow]:
    """Undecided cases per priority: how many, how many escalated or breached, the oldest."""
    awaiting = [s.value for s in AWAITING_DECISION]
    rows = session.execute(
        select(
            Case.priority,
            func.count(),
            func.count(Case.escalated_at),
            func.count(Case.breached_at),
            func.min(Case.opened_at),
        )
        .where(Case.state.in_(awaiting))
        .group_by(Case.priority)
    ).all()
    found = {r[0]: r for r in rows}
    out = []
    for p in PRIORITIES:
        r = found.get(p)
        oldest = (now - r[4]).total_seconds() if r is not None and r[4] is not None else None
        out.append(QueueRow(p, r[1] if r else 0, r[2] if r else 0, r[3] if r else 0, oldest))
    return out


@dataclass
class DeadlineRow:
    priority: str
    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def share_met(self) -> float | None:
        done = self.met + self.missed
        return self.met / done if done else None


def deadlines(session: Session, period: Period) -> list[DeadlineRow]:
    rows = {p: DeadlineRow(p) for p in PRIORITIES}
    for case, m in measured_cases(session, period):
        row = rows.setdefault(case.priority, DeadlineRow(case.priority))
        if m.deadline_met is True:
            row.met += 1
        elif m.deadline_met is False:
            row.missed += 1
        else:
            row.pending += 1
    return list(rows.values())


@dataclass(frozen=True)
class Percentiles:
    measure: str
    count: int
    values: dict[int, float | None]


def time_to_action(session: Session, period: Period) -> list[Percentiles]:
    """p50, p90 and p99 (nearest rank) of each time-to-action measure over the cases first
    reported in the period."""
    cases = measured_cases(session, period)
    out = []
    for name in MEASURED:
        values = [v for _, m in cases if (v := getattr(m, name)) is not None]
        out.append(Percentiles(name, len(values), {p: percentile(values, p) for p in PERCENTILES}))
    return out


@dataclass(frozen=True)
class Breach:
    case: Case
    events: list[CaseEvent]


def breaches(session: Session, period: Period, limit: int = 200) -> list[Breach]:
    """Every case that passed its decision deadline (or the TAKE IT DOWN Act's) in the period,
    newest first, with its whole history."""
    cases = session.scalars(
        select(Case)
        .where(
            ((Case.breached_at >= period.start) & (Case.breached_at < period.end))
            | ((Case.removal_breached_at >= period.start) & (Case.removal_breached_at < period.end))
        )
        .order_by(Case.deadline_at.desc(), Case.id)
        .limit(limit)
    )
    out = []
    for case in cases:
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        )
        out.append(Breach(case, list(events)))
    return out


@dataclass
class ReviewerRow:
    name: str
    decisions: int = 0
    reveals_by_day: dict[str, int] = field(default_factory=dict)
    reveals_today: int = 0

    @property
    def reveals(self) -> int:
        return sum(self.reveals_by_day.values())

    @property
    def busiest_day(self) -> int:
        return max(self.reveals_by_day.values(), default=0)


def reviewers(session: Session, period: Period, now: datetime) -> list[ReviewerRow]:
    """Decisions and reveals per reviewer in the period; reveals per day show exposure."""
    rows: dict[str, ReviewerRow] = {}
    events = session.scalars(
        select(CaseEvent).where(
            CaseEvent.type.in_([EventType.REVEAL.value, EventType.DECIDE.value]),
            CaseEvent.at >= period.start,
            CaseEvent.at < period.end,
        )
    )
    by_day: dict[str, defaultdict[str, int]] = {}
    for e in events:
        row = rows.setdefault(e.actor, ReviewerRow(e.actor))
        if e.type == EventType.DECIDE:
            row.decisions += 1
        else:
            by_day.setdefault(e.actor, defaultdict(int))[e.at.date().isoformat()] += 1
    for name, days in by_day.items():
        rows[name].reveals_by_day = dict(sorted(days.items()))
    for row in rows.values():
        row.reveals_today = wellness.reveals_today(session, row.name, now)
    return sorted(rows.values(), key=lambda r: (-r.reveals, r.name))


def figures(session: Session, period: Period, now: datetime) -> dict[str, Any]:
    """Everything the dashboard shows, in one read."""
    return {
        "period": period,
        "queue": queue_health(session, now),
        "deadlines": deadlines(session, period),
        "time_to_action": time_to_action(session, period),
        "breaches": breaches(session, period),
        "reviewers": reviewers(session, period, now),
        "reveal_cap": wellness.daily_reveal_cap(session),
    }
