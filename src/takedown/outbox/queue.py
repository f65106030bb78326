"""Recording jobs in the outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.store.models import OutboxJob


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxJob:
    """Record a job; with a `dedupe_key`, recording the same job twice returns the first."""
    if dedupe_key is not None:
        existing = session.scalars(
            select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key)
        ).first()
        if existing is not None:
            return existing
    job = OutboxJob(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=not_before or now,
    )
    session.add(job)
    session.flush()
    return job
