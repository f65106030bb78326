"""The oversight figures in Prometheus form, read from the database at each scrape.

Reading at scrape time (rather than counting in memory) keeps the figures the same whichever
process answers /metrics, and equal to what the dashboard and the transparency report show:
all three read the stored case measures and the case history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.vocabulary import EventType, Priority
from takedown.services import wellness
from takedown.store.filings import Filing
from takedown.store.models import Case, CaseEvent, OutboxJob
from takedown.store.oversight import CaseMeasure

# Seconds: a minute, five, a quarter hour, the P0 hour, P1's four, a day, P3's three, a week.
BUCKETS = (60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0)
MEASURES = {
    "report_to_restriction_s": "takedown_case_report_to_restriction_seconds",
    "report_to_decision_s": "takedown_case_report_to_decision_seconds",
    "report_to_removal_s": "takedown_case_report_to_removal_seconds",
    "filing_delay_s": "takedown_case_filing_delay_seconds",
}


def histogram(name: str, doc: str, values: Sequence[float]) -> HistogramMetricFamily:
    buckets = [(f"{le:g}", float(sum(v <= le for v in values))) for le in BUCKETS]
    buckets.append(("+Inf", float(len(values))))
    return HistogramMetricFamily(name, doc, buckets=buckets, sum_value=float(sum(values)))


class OversightCollector(Collector):
    """Holds the families read by the last `read`; the registry renders them."""

    def __init__(self) -> None:
        self._families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        yield from self._families

    def describe(self) -> list[Metric]:
        return []  # read at scrape time: nothing to check at registration

    def read(self, session: Session, now: datetime) -> None:
        self._families = list(families(session, now))


def families(session: Session, now: datetime) -> Iterator[Metric]:
    rows = session.execute(
        select(Case.priority, CaseMeasure).join(CaseMeasure, CaseMeasure.case_id == Case.id)
    ).all()
    for field, name in MEASURES.items():
        values = [v for _, m in rows if (v := getattr(m, field)) is not None]
        yield histogram(name, f"Cases by {field.removesuffix('_s').replace('_', ' ')}", values)

    deadlines = GaugeMetricFamily(
        "takedown_case_deadlines",
        "Cases by priority and whether the decision deadline was met",
        labels=["priority", "result"],
    )
    counted = Counter(
        (p, "met" if m.deadline_met else "missed") for p, m in rows if m.deadline_met is not None
    )
    for priority in Priority:
        for result in ("met", "missed"):
            deadlines.add_metric([priority.value, result], counted[(priority.value, result)])
    yield deadlines
    tid = GaugeMetricFamily(
        "takedown_take_it_down_deadlines",
        "TAKE IT DOWN Act removal requests by whether the 48 hours were kept",
        labels=["result"],
    )
    tid.add_metric(["met"], sum(m.take_it_down_met is True for _, m in rows))
    tid.add_metric(["missed"], sum(m.take_it_down_met is False for _, m in rows))
    yield tid

    oldest = GaugeMetricFamily(
        "takedown_oldest_open_case_age_seconds",
        "Age of the oldest case waiting for a decision, per priority (0 when none waits)",
        labels=["priority"],
    )
    opened = dict(
        session.execute(
            select(Case.priority, func.min(Case.opened_at))
            .where(Case.state.in_([s.value for s in AWAITING_DECISION]))
            .group_by(Case.priority)
        ).all()
    )
    for priority in Priority:
        at = opened.get(priority.value)
        oldest.add_metric([priority.value], (now - at).total_seconds() if at else 0.0)
    yield oldest

    backlog = GaugeMetricFamily(
        "takedown_outbox_backlog", "Side effects not yet done, by job kind", labels=["kind"]
    )
    failing = GaugeMetricFamily(
        "takedown_outbox_failing",
        "Jobs whose last attempt failed (webhooks, filings, exchange fetches, ...), by kind "
        "and status: pending (being retried) or dead (given up)",
        labels=["kind", "status"],
    )
    for kind, status, failed, n in session.execute(
        select(
            OutboxJob.kind,
            OutboxJob.status,
            OutboxJob.last_error.isnot(None),
            func.count(),
        )
        .where(OutboxJob.status != "done")
        .group_by(OutboxJob.kind, OutboxJob.status, OutboxJob.last_error.isnot(None))
    ).all():
        if status == "pending":
            backlog.add_metric([kind], n)
        if failed or status == "dead":
            failing.add_metric([kind, status], n)
    yield backlog
    yield failing

    filings = GaugeMetricFamily(
        "takedown_filings", "CyberTipline filings by status", labels=["status"]
    )
    for status, n in session.execute(
        select(Filing.status, func.count()).group_by(Filing.status)
    ).all():
        filings.add_metric([status], n)
    yield filings

    matches = GaugeMetricFamily(
        "takedown_bank_matches", "Bank matches recorded on cases, by bank", labels=["bank"]
    )
    banks = Counter(
        str((data or {}).get("bank"))
        for data in session.scalars(
            select(CaseEvent.data).where(CaseEvent.type == EventType.MATCH.value)
        )
    )
    for bank, n in sorted(banks.items()):
        matches.add_metric([bank], n)
    yield matches

    reveals = GaugeMetricFamily(
        "takedown_reveals", "Media reveals recorded, by reviewer", labels=["reviewer"]
    )
    today = GaugeMetricFamily(
        "takedown_reveals_today",
        "Media reveals today (UTC), by reviewer, against the daily wellness cap",
        labels=["reviewer"],
    )
    start, end = wellness.day_bounds(now)
    for actor, n, n_today in session.execute(
        select(
            CaseEvent.actor,
            func.count(),
            func.count(CaseEvent.id).filter(CaseEvent.at >= start, CaseEvent.at < end),
        )
        .where(CaseEvent.type == EventType.REVEAL.value)
        .group_by(CaseEvent.actor)
    ).all():
        reveals.add_metric([actor], n)
        today.add_metric([actor], n_today)
    yield reveals
    yield today
    cap = GaugeMetricFamily(
        "takedown_reveal_daily_cap", "Most reveals per reviewer per day (0: no cap)"
    )
    cap.add_metric([], wellness.daily_reveal_cap(session))
    yield cap
