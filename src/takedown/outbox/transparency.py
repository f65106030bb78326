"""The `dsa.submit` job: statements of reasons to the EU's Transparency Database
(services.dsa_submission), retried with back-off for a week while the database refuses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from takedown.config import Settings
from takedown.outbox.worker import RetryPolicy, Worker
from takedown.services.dsa_submission import SUBMIT, submit_pending


def register_dsa_submission(worker: Worker, settings: Settings) -> None:
    def run(session: Session, _payload: dict[str, Any], now: datetime) -> None:
        submit_pending(session, now, worker.http, settings)

    worker.register(
        SUBMIT, run, RetryPolicy(cap=timedelta(hours=1), give_up_after=timedelta(days=7))
    )
