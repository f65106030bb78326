"""Everything a running Takedown process shares: settings, database, clock, worker, metrics.

Built once by the CLI (or a test) and handed to the API; nothing here is a module-level global,
so several instances can live in one test process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from takedown.clock import Clock, SystemClock
from takedown.config import Settings
from takedown.domain.deadlines import DeadlinePolicy
from takedown.exchanges import fetch as exchange_fetch
from takedown.exchanges import opinions as exchange_opinions
from takedown.jobs import Job, Sweep, declared_in, sweeps_in
from takedown.outbox.worker import Worker
from takedown.services import (
    content,
    dsa_submission,
    escalation,
    evidence,
    filing,
    installation,
    matching,
    notifications,
    review,
    webhooks,
)
from takedown.services.installation import Installation
from takedown.services.match_index import Matcher
from takedown.services.metrics import Metrics
from takedown.store.database import make_engine, make_sessionmaker, transaction, upgrade


def declared_jobs() -> dict[str, Job]:
    """Every job this installation runs, from the modules that declare them."""
    return declared_in(
        evidence,
        filing,
        dsa_submission,
        matching,
        notifications,
        webhooks,
        exchange_fetch,
        exchange_opinions,
    )


def declared_sweeps() -> list[Sweep]:
    return sweeps_in(escalation, review, exchange_fetch, content)


log = logging.getLogger("takedown.runtime")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    worker: Worker
    metrics: Metrics
    installation: Installation
    _thread: threading.Thread | None = None

    @property
    def deadlines(self) -> DeadlinePolicy:
        return self.installation.deadlines

    @property
    def matcher(self) -> Matcher:
        return self.installation.matcher

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None, migrate: bool = True) -> Runtime:
        settings = settings.resolved()
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Evidence, keys and held uploads live here: this user's only (issue 10.9).
        settings.data_dir.chmod(0o700)
        engine = make_engine(settings.database_url)
        if migrate:
            upgrade(engine)
        sessions = make_sessionmaker(engine)
        # This process's settings, vault, deadline policy and replica of the match index
        # (filled below, then following the database), passed explicitly by the adapters.
        inst = Installation.of(settings)
        # The path rules deep inside a unit of work still take (services.installation).
        installation.attach(sessions, inst)
        clock = clock or SystemClock()
        metrics = Metrics()
        worker = Worker(
            sessions=sessions,
            clock=clock,
            settings=settings,
            jobs=declared_jobs(),
            installation=inst,
            sweeps=declared_sweeps(),
            on_job=metrics.job_finished,
        )
        worker.http.timeout = settings.webhook_timeout_seconds
        with transaction(sessions) as session:
            inst.matcher.refresh(session)
        return cls(settings, engine, sessions, clock, worker, metrics, inst)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work that commits before the caller answers anyone."""
        with transaction(self.sessions) as session:
            yield session
        # Side effects were recorded in the outbox; let an in-process worker start on them now.
        self.worker.wake()

    def start_worker(self) -> None:
        if self.settings.broker_url:
            log.info(
                "TAKEDOWN_BROKER_URL is set: jobs wait for `takedown worker` processes to relay"
                " and run them; this process runs none"
            )
            return
        if self._thread is None:
            if self.engine.dialect.name == "sqlite":
                # An embedded database has one process: leases left by a killed run are stale.
                self.worker.release_leases()
            else:
                self.worker.release_orphaned_leases()
            self._thread = self.worker.start_thread(
                self.settings.worker_poll_seconds,
                self.settings.sweep_interval_seconds,
                self.settings.worker_concurrency,
            )

    def close(self) -> None:
        self.worker.stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        self.worker.http.close()
        self.engine.dispose()
