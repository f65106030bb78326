"""The worker: takes due outbox jobs, runs their handlers, retries failures with back-off.

Jobs are declared beside their services (takedown.jobs); the worker is given them. Each queue
has its own slots, so a job waits only behind its own kind: a webhook endpoint that takes 10 s
to answer holds the webhook slots, never the video hashing's. Jobs sharing a lane (one endpoint)
hold at most their job's `lane_limit` slots, so one slow endpoint does not hold all of them.

Taking a job is two steps, so the same code serves the in-process threads and a broker's
workers (outbox.broker): a dispatcher *leases* due jobs (`locked_until`, in a short transaction,
`FOR UPDATE SKIP LOCKED` on PostgreSQL), then a runner *claims* one (an atomic UPDATE that only
one runner can win) and runs its handler in one transaction with the job's state change. A
worker killed mid-job leaves a claim that a live worker on the same host frees (the holder's
pid is dead) or that expires; the job runs again, and handlers are idempotent.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from takedown.clock import Clock
from takedown.config import Settings
from takedown.jobs import QUEUES, Job, JobContext, NotYet, RetryPolicy, Sweep, slots
from takedown.store.database import transaction
from takedown.store.models import OutboxJob

if TYPE_CHECKING:
    from takedown.services.installation import Installation

log = logging.getLogger("takedown.worker")

# Longer than any handler may take (webhook timeout 10 s); a dead worker's jobs wait this long
# when no live worker on its host can tell that it died.
LEASE = timedelta(seconds=60)
# A job handed to a broker and not claimed in this long is handed over again (a message lost
# with a broker that kept nothing, say); a duplicate finds the job claimed or done.
DISPATCH_LEASE = timedelta(minutes=5)
QUEUED = "queued:"
# How long a broker's runner goes on with the jobs due in its lane (Worker.run_handed) before
# it lets the lane's next job go through the broker again, so other lanes get its thread.
LANE_RUN = 50
LANE_RUN_SECONDS = 2.0
# One sweeper at a time across every process of a PostgreSQL database.
_SWEEP_LOCK = 0x7A6B_0001


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
class Leased:
    id: int
    queue: str


@dataclass
class Worker:
    sessions: sessionmaker[Session]
    clock: Clock
    settings: Settings
    jobs: Mapping[str, Job] = field(default_factory=dict)
    installation: Installation | None = None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    batch: int = 50
    on_job: Callable[[str, str], None] | None = None
    sweeps: list[Sweep] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._running: dict[str, int] = defaultdict(int)
        self._running_lock = threading.Lock()
        self._background = False

    @property
    def context(self) -> JobContext:
        # Built on each use: tests and replays swap `http` and `settings` on a live worker.
        if self.installation is None:
            raise RuntimeError("this worker was built without an installation")
        return JobContext(self.sessions, self.settings, self.clock, self.http, self.installation)

    # -- one cycle, in the caller's thread (tests, replays, `drain`) ------------------------

    def run_once(self, sweep_deadlines: bool = True) -> int:
        """Sweep deadlines and run every job due now, one at a time; returns how many ran."""
        if sweep_deadlines:
            self.sweep()
        ran = 0
        while True:
            leased = self._lease(self.clock.now())
            if not leased:
                return ran
            for job in leased:
                self.run_job(job.id, leased=True)
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

    def sweep(self) -> None:
        """The periodic tasks, each in its own transaction: one failing does not undo the
        others. On PostgreSQL one process sweeps at a time; the others skip the pass."""
        for task in self.sweeps:
            try:
                with transaction(self.sessions) as session:
                    if not _sweep_lock(session):
                        return
                    task.task(self.context, session, self.clock.now())
            except Exception:
                log.exception("sweep %s failed; continuing", task.name)

    # -- leasing -------------------------------------------------------------------------

    def _lease(
        self,
        now: datetime,
        room: Mapping[str, int] | None = None,
        holder: str | None = None,
        hand_on: Callable[[list[Leased]], None] | None = None,
        lane: str | None = None,
    ) -> list[Leased]:
        """Lease due jobs: up to `room[queue]` of each queue named there, or up to `batch`
        of any queue, only of `lane` if one is named. Lanes already holding their limit of
        live leases are passed over.

        `hand_on` (a broker's send) runs before the leases commit: a job is marked handed on
        only once it was, and one that could not be stays due."""
        holder = holder or self.worker_id
        handed = holder.startswith(QUEUED)
        chosen: dict[int, str] = {}  # job id: its queue
        with transaction(self.sessions) as session:
            held = self._lane_counts(session, now)
            wanted: dict[str | None, int] = {None: self.batch}
            if room is not None:
                wanted = {queue: limit for queue, limit in room.items()}
            for queue, limit in wanted.items():
                if limit <= 0:
                    continue
                query = (
                    select(OutboxJob.id, OutboxJob.kind, OutboxJob.queue, OutboxJob.lane)
                    .where(
                        OutboxJob.status == "pending", OutboxJob.next_attempt_at <= now, _free(now)
                    )
                    .order_by(OutboxJob.next_attempt_at, OutboxJob.id)
                    # Lanes at their limit make some rows unusable: look a little further.
                    .limit(limit * 4)
                )
                if queue is not None:
                    query = query.where(OutboxJob.queue == queue)
                if lane is not None:
                    query = query.where(OutboxJob.lane == lane)
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                taken = 0
                for job_id, kind, job_queue, job_lane in session.execute(query):
                    if taken >= limit:
                        break
                    if job_lane is not None:
                        declared = self.jobs.get(kind)
                        cap = declared.lane_limit if declared is not None else 1
                        if held[job_lane] >= cap:
                            continue
                        held[job_lane] += 1
                    chosen[job_id] = job_queue or _queue_of(self.jobs, kind)
                    taken += 1
            if not chosen:
                return []
            # Taken only if still free: SQLite has no row locks, and two leasers (a relay and
            # a runner going on with its lane) could both have read a job as due.
            won = session.scalars(
                update(OutboxJob)
                .where(OutboxJob.id.in_(chosen), OutboxJob.status == "pending", _free(now))
                .values(locked_until=now + (DISPATCH_LEASE if handed else LEASE), locked_by=holder)
                .returning(OutboxJob.id)
                .execution_options(synchronize_session=False)
            )
            won_ids = set(won)
            leased = [
                Leased(job_id, queue) for job_id, queue in chosen.items() if job_id in won_ids
            ]
            if hand_on is not None and leased:
                hand_on(leased)
        return leased

    @staticmethod
    def _lane_counts(session: Session, now: datetime) -> defaultdict[str, int]:
        rows = session.execute(
            select(OutboxJob.lane, func.count())
            .where(
                OutboxJob.status == "pending",
                OutboxJob.lane.isnot(None),
                OutboxJob.locked_until > now,
            )
            .group_by(OutboxJob.lane)
        )
        counts: defaultdict[str, int] = defaultdict(int)
        for lane, count in rows:
            counts[str(lane)] = int(count)
        return counts

    # -- running one job -------------------------------------------------------------------

    def claim(self, job_id: int, now: datetime) -> bool:
        """Take the job for this runner; False when another live runner has it or it is done."""
        with transaction(self.sessions) as session:
            claimed = session.execute(
                update(OutboxJob)
                .where(
                    OutboxJob.id == job_id,
                    OutboxJob.status == "pending",
                    or_(
                        OutboxJob.locked_until.is_(None),
                        OutboxJob.locked_until <= now,
                        OutboxJob.locked_by == self.worker_id,
                        OutboxJob.locked_by.startswith(QUEUED),
                    ),
                )
                .values(locked_until=now + LEASE, locked_by=self.worker_id)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(claimed, "rowcount", 0))

    def run_job(self, job_id: int, leased: bool = False) -> str | None:
        """Claim the job and run its handler; a failure is recorded and retried, never lost.
        Returns the job's lane if it ran and is done (None for a job without one).

        `leased`: this worker leased it a moment ago and holds it, so no claim is needed (a
        transaction a job saved); a job from a broker is always claimed first."""
        now = self.clock.now()
        if not leased and not self.claim(job_id, now):
            return None
        error: str | None = None
        try:
            with transaction(self.sessions) as session:
                job = session.get(OutboxJob, job_id)
                if job is None or job.status != "pending":
                    return None
                declared = self.jobs.get(job.kind)
                if declared is None:
                    raise LookupError(f"no handler for job kind {job.kind!r}")
                declared.handler(self.context, session, dict(job.payload), now)
                job.status = "done"
                job.attempts += 1
                job.done_at = now
                job.locked_until = None
                job.locked_by = None
                job.last_error = None
                lane = job.lane
            if self.on_job:
                self.on_job(job.kind, "done")
            return lane
        except NotYet as wait:
            # Run one at a time (drain, tests on a fixed clock), the job is due again at once
            # and goes after the jobs already leased: the one it waits for among them.
            self._defer(job_id, now + wait.retry_after if self._background else now)
            return None
        except Exception as exc:  # a failed side effect is retried, never lost
            error = f"{type(exc).__name__}: {exc}"[:2000]
        with transaction(self.sessions) as session:
            job = session.get(OutboxJob, job_id)
            if job is None:
                return None
            job.attempts += 1
            job.last_error = error
            job.locked_until = None
            job.locked_by = None
            declared = self.jobs.get(job.kind)
            policy = declared.retry_policy(self.settings) if declared else RetryPolicy()
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
        return None

    def run_handed(self, job_id: int, queue: str) -> int:
        """Run a job a broker handed over, then the jobs due after it in its lane, in this
        thread, while they succeed (up to LANE_RUN jobs or LANE_RUN_SECONDS); returns how many
        ran here.

        A lane holds at most its limit of jobs handed on at once, and each went relay, broker,
        claim: about 100 ms a job, so a busy endpoint got some 15 deliveries a second however
        fast it answered, and a burst of P0 reports queued for seconds (issue 15). Leasing the
        next job of the lane here keeps the lane's limit and skips the hop. A failure ends the
        run: a failing endpoint is retried with back-off, not hammered."""
        lane = self.run_job(job_id)
        ran = 1
        started = time.monotonic()
        while lane is not None and ran < LANE_RUN and time.monotonic() - started < LANE_RUN_SECONDS:
            following = self._lease(self.clock.now(), room={queue: 1}, lane=lane)
            if not following:
                break
            lane = self.run_job(following[0].id, leased=True)
            ran += 1
        return ran

    def _defer(self, job_id: int, at: datetime) -> None:
        with transaction(self.sessions) as session:
            job = session.get(OutboxJob, job_id)
            if job is not None and job.status == "pending":
                job.next_attempt_at = at
                job.locked_until = None
                job.locked_by = None
        self._wake.set()

    # -- leases of dead workers ------------------------------------------------------------

    def release_orphaned_leases(self) -> int:
        """Free leases held by dead processes on this host (a worker killed mid-job), so their
        jobs run now rather than when the lease runs out. Other hosts' leases are left alone:
        their holders may be alive. Jobs handed to a broker are the broker's to deliver."""
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

    # -- running in the background ---------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run_forever(
        self,
        poll_seconds: float,
        sweep_seconds: float = 5.0,
        concurrency: int = 2,
        dispatch: Callable[[list[Leased]], None] | None = None,
    ) -> None:
        """Lease due jobs and run them on `concurrency` threads per queue, or, with
        `dispatch`, hand them on (to a broker) and let other processes run them."""
        log.info("worker %s started", self.worker_id)
        self._background = True
        sweeper = threading.Thread(
            target=self._sweep_forever, args=(sweep_seconds,), name="takedown-sweep", daemon=True
        )
        sweeper.start()
        if dispatch is None:
            room_of = {queue: slots(queue, concurrency, self.jobs) for queue in QUEUES}
            self._pools = {
                queue: ThreadPoolExecutor(room_of[queue], thread_name_prefix=f"takedown-{queue}")
                for queue in QUEUES
            }
        while not self._stop.is_set():
            try:
                now = self.clock.now()
                if dispatch is None:
                    room = {q: room_of[q] - self._busy(q) for q in QUEUES}
                    for job in self._lease(now, room):
                        self._start(job)
                else:
                    self._lease(now, holder=QUEUED + self.worker_id, hand_on=dispatch)
            except Exception:
                log.exception("worker cycle failed; continuing")
            self._wake.wait(poll_seconds)
            self._wake.clear()
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        sweeper.join(timeout=15)
        log.info("worker stopped")

    def _busy(self, queue: str) -> int:
        with self._running_lock:
            return self._running[queue]

    def _start(self, job: Leased) -> None:
        with self._running_lock:
            self._running[job.queue] += 1

        def run() -> None:
            try:
                self.run_job(job.id, leased=True)
            except Exception:
                log.exception("job %s failed outside its handler", job.id)
            finally:
                with self._running_lock:
                    self._running[job.queue] -= 1
                self._wake.set()  # a slot is free: lease the next job now

        self._pools[job.queue].submit(run)

    def _sweep_forever(self, sweep_seconds: float) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.sweep()
                self.release_orphaned_leases()
            except Exception:
                log.exception("sweep failed; continuing")
            self._stop.wait(max(0.0, sweep_seconds - (time.monotonic() - started)))

    def start_thread(
        self, poll_seconds: float, sweep_seconds: float = 5.0, concurrency: int = 2
    ) -> threading.Thread:
        thread = threading.Thread(
            target=self.run_forever,
            args=(poll_seconds, sweep_seconds, concurrency),
            name="takedown-worker",
            daemon=True,
        )
        thread.start()
        return thread


def _free(now: datetime) -> Any:
    """No live lease on the job."""
    return or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until <= now)


def _queue_of(jobs: Mapping[str, Job], kind: str) -> str:
    declared = jobs.get(kind)
    return declared.queue if declared is not None else QUEUES[0]


def _sweep_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # an embedded database has one process
    got: Any = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _SWEEP_LOCK})
    return bool(got.scalar())
