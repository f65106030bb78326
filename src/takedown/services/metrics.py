"""Prometheus metrics, on a registry of their own per process (tests build many)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.domain.case_state import AWAITING_DECISION
from takedown.services.oversight_metrics import OversightCollector
from takedown.store.filings import Filing
from takedown.store.models import Case, OutboxJob


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reports = Counter(
            "takedown_reports_total",
            "Reports received",
            ["category", "priority"],
            registry=self.registry,
        )
        self.content = Counter(
            "takedown_content_registered_total",
            "Uploads registered",
            ["verdict"],
            registry=self.registry,
        )
        self.jobs = Counter(
            "takedown_outbox_jobs_total",
            "Outbox jobs finished",
            ["kind", "result"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "takedown_request_seconds",
            "Time to answer API requests",
            ["route"],
            registry=self.registry,
        )
        self.cases_open = Gauge(
            "takedown_cases_awaiting_decision",
            "Cases waiting for a decision",
            ["priority"],
            registry=self.registry,
        )
        self.cases_breached = Gauge(
            "takedown_cases_breached", "Undecided cases past their deadline", registry=self.registry
        )
        # A `filing.send` job that stops is not a filing made: only one NCMEC accepted and
        # finished counts as `accepted`; the others by their status (pending, invalid, ...).
        self.filings = Gauge(
            "takedown_cybertipline_filings",
            "CyberTipline filings by status; accepted = NCMEC accepted and finished the report",
            ["status"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "takedown_outbox_pending", "Side effects not yet acknowledged", registry=self.registry
        )
        # Case measures, deadlines, backlog, failures, matches, reveals (issue 14).
        self.oversight = OversightCollector()
        self.registry.register(self.oversight)
        # Hash exchanges (issue 11, item 2): one series per exchange.
        self.exchange_last_fetch = Gauge(
            "takedown_exchange_last_fetch_timestamp_seconds",
            "When the exchange's last fetch finished",
            ["exchange"],
            registry=self.registry,
        )
        self.exchange_success = Gauge(
            "takedown_exchange_last_fetch_succeeded",
            "1 when the exchange's last fetch succeeded, 0 when it failed",
            ["exchange"],
            registry=self.registry,
        )
        self.exchange_items = Gauge(
            "takedown_exchange_items",
            "Hashes the exchange holds in its bank",
            ["exchange"],
            registry=self.registry,
        )
        self.exchange_lag = Gauge(
            "takedown_exchange_lag_seconds",
            "How far the exchange's checkpoint trails now",
            ["exchange"],
            registry=self.registry,
        )

    def job_finished(self, kind: str, result: str) -> None:
        self.jobs.labels(kind=kind, result=result).inc()

    def render(self, session: Session, now: datetime | None = None) -> bytes:
        """Refresh the gauges that are read from the database, then render the text format."""
        self.oversight.read(session, now or datetime.now(UTC))
        awaiting = [s.value for s in AWAITING_DECISION]
        counts = dict(
            session.execute(
                select(Case.priority, func.count())
                .where(Case.state.in_(awaiting))
                .group_by(Case.priority)
            ).all()
        )
        for priority in ("P0", "P1", "P2", "P3"):
            self.cases_open.labels(priority=priority).set(counts.get(priority, 0))
        self.cases_breached.set(
            session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.state.in_(awaiting), Case.breached_at.isnot(None))
            )
            or 0
        )
        done = Filing.status == "accepted"
        finished = Filing.finished_at.isnot(None)
        by_status = dict(
            session.execute(
                select(Filing.status, func.count())
                .where(~(done & ~finished))
                .group_by(Filing.status)
            ).all()
        )
        for status in ("pending", "submitted", "accepted", "invalid", "failed"):
            self.filings.labels(status=status).set(by_status.get(status, 0))
        self.outbox_pending.set(
            session.scalar(
                select(func.count()).select_from(OutboxJob).where(OutboxJob.status == "pending")
            )
            or 0
        )
        self._exchanges(session)
        return generate_latest(self.registry)

    def _exchanges(self, session: Session) -> None:
        from takedown.exchanges.health import all_health

        now = datetime.now(UTC)
        for h in all_health(session):
            if h.last_finished_at is not None:
                self.exchange_last_fetch.labels(exchange=h.name).set(h.last_finished_at.timestamp())
            if h.last_succeeded is not None:
                self.exchange_success.labels(exchange=h.name).set(1 if h.last_succeeded else 0)
            self.exchange_items.labels(exchange=h.name).set(h.items)
            lag = h.lag_seconds(now)
            if lag is not None:
                self.exchange_lag.labels(exchange=h.name).set(lag)
