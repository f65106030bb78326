"""Appending to a case's history, and announcing the steps the platform must act on.

Every change to a case goes through `record`, so the history is complete by construction
(Ozone's model: the case row is what its events add up to). A webhook delivery carries the id of
the event that caused it, so the platform can de-duplicate and we can trace every delivery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain.vocabulary import EventType, WebhookType
from takedown.outbox.queue import enqueue
from takedown.store.models import Case, CaseEvent, Webhook
from takedown.store.types import new_id

WEBHOOK_DELIVERY = "webhook.deliver"


def record(
    session: Session,
    case: Case,
    type: EventType,
    actor: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    last = session.scalar(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case.id))
    event = CaseEvent(
        id=new_id("evt"),
        case_id=case.id,
        seq=(last or 0) + 1,
        type=type.value,
        actor=actor,
        at=at,
        data=data or {},
    )
    session.add(event)
    case.updated_at = at
    session.flush()
    return event


def announce(session: Session, event: CaseEvent, type: WebhookType, data: dict[str, Any]) -> None:
    """Queue a signed delivery of `event` to every active webhook endpoint."""
    body = {
        "id": event.id,
        "type": type.value,
        "created_at": rfc3339(event.at),
        "data": data,
    }
    for hook in session.scalars(select(Webhook).where(Webhook.active.is_(True))):
        enqueue(
            session,
            WEBHOOK_DELIVERY,
            {"webhook_id": hook.id, "body": body},
            event.at,
            dedupe_key=f"webhook:{hook.id}:{event.id}",
        )


def history(session: Session, case_id: str) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
        )
    )
