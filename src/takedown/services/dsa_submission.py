"""Submitting statements of reasons to the EU's DSA Transparency Database (Art. 24(5)).

Optional: only when TAKEDOWN_DSA_API_URL is set. Each restrictive decision is queued in the
same transaction that records it (`queue_statement`, called by `case_log.record`), and the
`dsa.submit` job sends what is pending in batches of at most 100 (the database's limit for
`POST /api/v1/statements`) with the platform's bearer token. A refused or failed batch is
retried with back-off by the outbox; nothing is marked submitted before the database says 201.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.config import Settings
from takedown.domain.statements import statement
from takedown.jobs import FILINGS, Job, JobContext, RetryPolicy
from takedown.services import transparency
from takedown.services.installation import installation_of
from takedown.store.models import CaseEvent
from takedown.store.oversight import DsaSubmission

SUBMIT = "dsa.submit"
BATCH = 100  # StatementMultipleAPIController: 'statements' => 'required|array|between:1,100'
PATH = "/api/v1/statements"


class SubmissionRefused(Exception):
    """The database answered something other than 201; the job is retried."""


def queue_statement(session: Session, event: CaseEvent) -> bool:
    """Queue the statement for `event` when it records a restrictive decision and submission
    is configured. Idempotent: one submission per event."""
    if (
        not installation_of(session).settings.dsa_api_url
        or transparency.decision_of(session, event) is None
    ):
        return False
    if session.get(DsaSubmission, event.id) is not None:
        return False
    session.add(
        DsaSubmission(puid=event.id, case_id=event.case_id, status="pending", created_at=event.at)
    )
    SUBMIT_JOB.enqueue(
        session, {"puid": event.id}, event.at, dedupe_key=f"{SUBMIT}:{event.id}", key_is_new=True
    )
    return True


def submit_pending(session: Session, now: datetime, http: httpx.Client, settings: Settings) -> int:
    """Send up to one batch of pending statements; returns how many the database accepted.
    A job finds its own statement already sent by an earlier batch and does nothing."""
    pending = list(
        session.scalars(
            select(DsaSubmission)
            .join(CaseEvent, CaseEvent.id == DsaSubmission.puid)
            .where(DsaSubmission.status == "pending")
            .order_by(DsaSubmission.created_at, CaseEvent.case_id, CaseEvent.seq)
            .limit(BATCH)
        )
    )
    if not pending:
        return 0
    statements = []
    for row in pending:
        event = session.get(CaseEvent, row.puid)
        decision = transparency.decision_of(session, event) if event is not None else None
        if decision is None:  # cannot happen for a queued event; never send an empty shell
            raise SubmissionRefused(f"statement {row.puid} has no restrictive decision")
        statements.append(statement(decision))
    response = http.post(
        settings.dsa_api_url.rstrip("/") + PATH,
        json={"statements": statements},
        headers={
            "Authorization": f"Bearer {settings.dsa_api_token}",
            "Accept": "application/json",
        },
    )
    if response.status_code != 201:
        error = f"{response.status_code}: {response.text[:1000]}"
        for row in pending:
            row.last_error = error
        raise SubmissionRefused(f"the Transparency Database refused a batch: {error}")
    for row in pending:
        row.status, row.submitted_at, row.last_error = "submitted", now, None
    return len(pending)


def _run_submit(ctx: JobContext, session: Session, _payload: dict[str, Any], now: datetime) -> None:
    submit_pending(session, now, ctx.http, ctx.settings)


# Retried with back-off for a week while the Transparency Database refuses.
SUBMIT_JOB = Job(
    SUBMIT,
    _run_submit,
    queue=FILINGS,
    retry=RetryPolicy(cap=timedelta(hours=1), give_up_after=timedelta(days=7)),
)
