"""The worker: takes due outbox jobs, runs their handlers, retries failures with back-off.

Several workers may run against one PostgreSQL database: a job is leased (`locked_until`) in a
short transaction, with `FOR UPDATE SKIP LOCKED` there, before its handler runs. A worker killed
mid-job leaves a lease that expires, and the job runs again: handlers are idempotent.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from takedown.clock import Clock
from takedown.outbox.deliveries import deliver_webhook
from takedown.services.case_log import WEBHOOK_DELIVERY
from takedown.services.escalation import sweep
from takedown.store.database import transaction
from takedown.store.models import OutboxJob

log = logging.getLogger("takedown.worker")

Handler = Callable[[Session, dict[str, Any], datetime], None]
# Work that runs on every sweep rather than per job: deadlines, idle claims, retention.
PeriodicTask = Callable[[Session, datetime], object]

# Longer than any handler may take (webhook timeout 10 s); a dead worker's jobs wait this long.
LEASE = timedelta(seconds=60)


def _alive(pid_text: str) -> bool:
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


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


@dataclass
class Worker:
    sessions: sessionmaker[Session]
    clock: Clock
    retry: dict[str, RetryPolicy] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    batch: int = 50
    on_job: Callable[[str, str], None] | None = None
    periodic: list[PeriodicTask] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.handlers.setdefault(
            WEBHOOK_DELIVERY, lambda s, p, now: deliver_webhook(s, p, now, self.http)
        )
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()

    def register(self, kind: str, handler: Handler, retry: RetryPolicy | None = None) -> None:
        self.handlers[kind] = handler
        if retry is not None:
            self.retry[kind] = retry

    # -- one cycle -------------------------------------------------------------------------

    def run_once(self, sweep_deadlines: bool = True) -> int:
        """Sweep deadlines and run every job due now; returns how many jobs ran."""
        if sweep_deadlines:
            for task in [sweep, *self.periodic]:
                # Each in its own transaction: one failing task does not undo the others.
                try:
                    with transaction(self.sessions) as session:
                        task(session, self.clock.now())
                except Exception:
                    log.exception("periodic task %s failed; continuing", task)
        ran = 0
        while True:
            ids = self._lease(self.clock.now())
            if not ids:
                return ran
            for job_id in ids:
                self._run(job_id)
                ran += 1

    def drain(self, max_cycles: int = 100) -> int:
        """Run cycles until nothing is due (tests and replays use this instead of sleeping)."""
        total = 0
        for _ in range(max_cycles):
            ran = self.run_once()
            total += ran
            if ran == 0:
                break
        return total

    def _lease(self, now: datetime) -> list[int]:
        with transaction(self.sessions) as session:
            query = (
                select(OutboxJob)
                .where(
                    OutboxJob.status == "pending",
                    OutboxJob.next_attempt_at <= now,
                    or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until <= now),
                )
                .order_by(OutboxJob.next_attempt_at, OutboxJob.id)
                .limit(self.batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            jobs = list(session.scalars(query))
            for job in jobs:
                job.locked_until = now + LEASE
                job.locked_by = self.worker_id
            return [job.id for job in jobs]

    def _run(self, job_id: int) -> None:
        now = self.clock.now()
        error: str | None = None
        try:
            with transaction(self.sessions) as session:
                job = session.get(OutboxJob, job_id)
                if job is None or job.status != "pending":
                    return
                handler = self.handlers.get(job.kind)
                if handler is None:
                    raise LookupError(f"no handler for job kind {job.kind!r}")
                handler(session, dict(job.payload), now)
                job.status = "done"
                job.attempts += 1
                job.done_at = now
                job.locked_until = None
                job.locked_by = None
                job.last_error = None
            if self.on_job:
                self.on_job(job.kind, "done")
            return
        except Exception as exc:  # a failed side effect is retried, never lost
            error = f"{type(exc).__name__}: {exc}"[:2000]
        with transaction(self.sessions) as session:
            job = session.get(OutboxJob, job_id)
            if job is None:
                return
            job.attempts += 1
            job.last_error = error
            job.locked_until = None
            job.locked_by = None
            policy = self.retry.get(job.kind, RetryPolicy())
            retry_at = policy.next_attempt(job.attempts, job.created_at, now)
            if retry_at is None:
                job.status = "dead"
                log.error(
                    "job %s (%s) gave up after %s attempts: %s",
                    job.id,
                    job.kind,
                    job.attempts,
                    error,
                )
            else:
                job.next_attempt_at = retry_at
                log.warning(
                    "job %s (%s) failed, retry at %s: %s", job.id, job.kind, retry_at, error
                )
            kind, status = job.kind, job.status
        if self.on_job:
            self.on_job(kind, "failed" if status == "pending" else status)

    def release_orphaned_leases(self) -> int:
        """Free leases held by dead processes on this host (a worker killed mid-job), so their
        jobs run now rather than when the lease runs out. Other hosts' leases are left alone:
        their holders may be alive."""
        host = socket.gethostname() + ":"
        return self._release(
            lambda holder: (
                holder.startswith(host) and not _alive(holder[len(host) :].split(":", 1)[0])
            )
        )

    def release_leases(self) -> int:
        """Free jobs leased by a process that died mid-job, so they run now, not at expiry."""
        return self._release(lambda holder: True)

    def _release(self, stale: Callable[[str], bool]) -> int:
        with transaction(self.sessions) as session:
            held = session.scalars(
                select(OutboxJob).where(
                    OutboxJob.status == "pending", OutboxJob.locked_until.isnot(None)
                )
            )
            freed = 0
            for job in held:
                if stale(job.locked_by or ""):
                    job.locked_until = None
                    job.locked_by = None
                    freed += 1
            return freed

    # -- running in the background -----------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run_forever(self, poll_seconds: float, sweep_seconds: float = 5.0) -> None:
        log.info("worker started")
        last_sweep = float("-inf")
        while not self._stop.is_set():
            try:
                due = time.monotonic() - last_sweep >= sweep_seconds
                if due:
                    last_sweep = time.monotonic()
                self.run_once(sweep_deadlines=due)
            except Exception:
                log.exception("worker cycle failed; continuing")
            self._wake.wait(poll_seconds)
            self._wake.clear()
        self.http.close()
        log.info("worker stopped")

    def start_thread(self, poll_seconds: float, sweep_seconds: float = 5.0) -> threading.Thread:
        thread = threading.Thread(
            target=self.run_forever,
            args=(poll_seconds, sweep_seconds),
            name="takedown-worker",
            daemon=True,
        )
        thread.start()
        return thread
