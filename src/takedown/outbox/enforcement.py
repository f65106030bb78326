"""The jobs behind enforcement: evidence capture and purge, and CyberTipline filings.

Registered on the worker by Runtime.build. A filing is retried with back-off for the whole
TAKEDOWN_NCMEC_RETRY_DAYS window (30 days); the filing service itself decides when that window
has run out (it escalates to legal and stops), so the worker's own limit sits a day beyond it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from takedown.config import Settings
from takedown.fetching import Fetcher, FetchPolicy
from takedown.outbox.worker import RetryPolicy, Worker
from takedown.services import evidence, filing


def register_enforcement(
    worker: Worker, sessions: sessionmaker[Session], settings: Settings
) -> None:
    allow = FetchPolicy.parse(settings.fetch_allow)
    worker.register(
        evidence.CAPTURE,
        lambda s, p, now: evidence.capture(s, p, now, Fetcher(worker.http, allow)),
    )
    worker.register(evidence.PURGE, evidence.purge)
    worker.register(
        filing.SEND,
        # The filing commits each step in its own transaction (resume where it stopped), so it
        # takes the session factory rather than the job's session.
        lambda s, p, now: filing.send_filing(sessions, p, now, worker.http),
        RetryPolicy(
            first=timedelta(seconds=30),
            cap=timedelta(hours=6),
            give_up_after=timedelta(days=settings.ncmec_retry_days + 1),
        ),
    )
