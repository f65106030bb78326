"""Jobs: every side effect declared once, beside the service that owns it.

A service declares its job at module level (`CAPTURE = Job("evidence.capture", _capture,
queue=EVIDENCE)`) and records one with `CAPTURE.enqueue(session, payload, now)` inside the
transaction whose change causes it (the transactional outbox). The worker, in-process or behind a
broker, gets the declared jobs from `declared_in(...)`, called once where the runtime is
assembled, so this module sits below the services: it knows the outbox table, never a service.

A job's queue keeps slow kinds (webhook endpoints, video hashing, retroactive scans, filings)
from holding up the others; its lane, where it has one, keeps one slow destination from taking
every slot of its queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from takedown.clock import Clock
from takedown.config import Settings
from takedown.store.models import OutboxJob

if TYPE_CHECKING:  # the services' type only: this module sits below them
    from takedown.services.installation import Installation

# Queues, each with its own workers: a job waits only behind jobs of its own queue.
WEBHOOKS = "webhooks"
VIDEO = "video"
SCANS = "scans"
FILINGS = "filings"
EVIDENCE = "evidence"
NOTICES = "notices"
EXCHANGES = "exchanges"
QUEUES = (WEBHOOKS, VIDEO, SCANS, FILINGS, EVIDENCE, NOTICES, EXCHANGES)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off from `first` doubling up to `cap`, for at least `give_up_after`."""

    first: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=72)

    def next_attempt(self, attempts: int, created_at: datetime, now: datetime) -> datetime | None:
        """When to try again after `attempts` failures, or None once the window has passed."""
        if now - created_at >= self.give_up_after:
            return None
        # The exponent is bounded so that days of retries never overflow a timedelta.
        delay = min(self.first * (2 ** min(max(0, attempts - 1), 32)), self.cap)
        return now + delay


class NotYet(Exception):
    """Raised by a handler whose job must wait for another to finish first: it runs again
    after `retry_after`, and the wait counts as no failed attempt."""

    def __init__(self, why: str, retry_after: timedelta = timedelta(milliseconds=200)):
        super().__init__(why)
        self.retry_after = retry_after


@dataclass(frozen=True)
class JobContext:
    """What a handler may use beyond its own transaction: the installation's parts."""

    sessions: sessionmaker[Session]
    settings: Settings
    clock: Clock
    http: httpx.Client
    # The settings, vault, matcher and deadline policy the handlers pass to their services.
    installation: Installation


Handler = Callable[[JobContext, Session, dict[str, Any], datetime], None]
# A retry policy fixed in code, or one read from the installation's settings.
Retry = RetryPolicy | Callable[[Settings], RetryPolicy]


@dataclass(frozen=True)
class Job:
    """One kind of side effect: its name in the outbox, how it runs, where it waits."""

    name: str
    handler: Handler = field(compare=False)
    queue: str
    retry: Retry = field(default_factory=RetryPolicy, compare=False)
    # Jobs with the same lane (one webhook endpoint, say) hold at most `lane_limit` of their
    # queue's slots at once, so one slow destination never blocks the rest.
    lane: Callable[[Mapping[str, Any]], str] | None = field(default=None, compare=False)
    lane_limit: int = 2

    def __post_init__(self) -> None:
        if self.queue not in QUEUES:
            raise ValueError(f"job {self.name!r}: unknown queue {self.queue!r}")

    def retry_policy(self, settings: Settings) -> RetryPolicy:
        return self.retry if isinstance(self.retry, RetryPolicy) else self.retry(settings)

    def enqueue(
        self,
        session: Session,
        payload: dict[str, Any],
        now: datetime,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        key_is_new: bool = False,
    ) -> OutboxJob:
        """Record this job in the caller's transaction; with a `dedupe_key`, recording the
        same job twice returns the first.

        `key_is_new`: the key names something this transaction has just created (a case
        event), so no job can hold it yet and there is nothing to look up. The lookup's
        autoflush also wrote a new case's rows early, one statement each instead of the
        commit's one (issue 15)."""
        if dedupe_key is not None and not key_is_new:
            existing = session.scalars(
                select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key)
            ).first()
            if existing is not None:
                return existing
        job = OutboxJob(
            kind=self.name,
            payload=payload,
            dedupe_key=dedupe_key,
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=not_before or now,
            queue=self.queue,
            lane=self.lane(payload) if self.lane is not None else None,
        )
        # Flushed with the rest of the transaction: a later lookup autoflushes it first.
        session.add(job)
        return job


@dataclass(frozen=True)
class Sweep:
    """Work done every few seconds rather than per job (deadlines, idle claims, exchange
    schedules), in its own transaction; on PostgreSQL one process sweeps at a time."""

    name: str
    task: Callable[[JobContext, Session, datetime], object] = field(compare=False)


def sweeps_in(*modules: ModuleType) -> list[Sweep]:
    """The sweeps declared at module level in `modules`, in the order given."""
    found: dict[str, Sweep] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Sweep):
                found.setdefault(value.name, value)
    return list(found.values())


# A queue whose jobs have lanes holds room for this many lanes at their limit: one slow
# destination takes its lane's slots, and several more still find slots free.
LANES_WITH_ROOM = 4


def slots(queue: str, concurrency: int, jobs: Mapping[str, Job]) -> int:
    """How many jobs of `queue` a worker runs at once: `concurrency`, and for a laned queue at
    least enough for LANES_WITH_ROOM lanes at their limit (with 2 slots and a lane limit of 2,
    one slow webhook endpoint held every delivery slot)."""
    limits = [job.lane_limit for job in jobs.values() if job.queue == queue and job.lane]
    return max(concurrency, LANES_WITH_ROOM * max(limits)) if limits else concurrency


def declared_in(*modules: ModuleType) -> dict[str, Job]:
    """The jobs declared at module level in `modules`, by name; a name declared twice is an
    error (two handlers would race for one kind)."""
    found: dict[str, Job] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Job):
                other = found.get(value.name)
                if other is not None and other is not value:
                    raise ValueError(f"job {value.name!r} is declared twice")
                found[value.name] = value
    return found
