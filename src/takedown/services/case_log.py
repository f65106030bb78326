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
from takedown.domain import on_call
from takedown.domain.vocabulary import EventType, WebhookType
from takedown.outbox.queue import enqueue
from takedown.services import dsa_submission, measures
from takedown.store.models import Case, CaseEvent, Webhook
from takedown.store.types import new_id

WEBHOOK_DELIVERY = "webhook.deliver"
# One email per (report, event) to a reporter who gave an address (outbox.notifications).
NOTIFY_EMAIL = "notify.email"
# The kinds of event the reporter's status page can show; the email says the same words
# (services.status.update_message), so only these are worth queuing.
REPORTER_VISIBLE = frozenset(
    {
        EventType.REPORT,
        EventType.RESTRICT,
        EventType.PRIORITY,
        EventType.ESCALATE,
        EventType.BREACH,
        EventType.DECIDE,
        EventType.APPEAL,
        EventType.ACTION,
        EventType.FILE,
    }
)


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
    if type in REPORTER_VISIBLE:
        _queue_update_emails(session, case, event)
    # The case's measures are a projection of its events too (issue 14), and a restrictive
    # decision owes a statement of reasons to the EU's database when that is configured.
    measures.refresh(session, case, at)
    dsa_submission.queue_statement(session, event)
    return event


def _queue_update_emails(session: Session, case: Case, event: CaseEvent) -> None:
    """Reporters who gave an address hear of each step as it is recorded (DESIGN rule 8)."""
    for report in case.reports:
        if report.contact_email:
            enqueue(
                session,
                NOTIFY_EMAIL,
                {"report_id": report.id, "event_id": event.id},
                event.at,
                dedupe_key=f"email:{report.id}:{event.id}",
            )


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


def announce_escalation(
    session: Session, event: CaseEvent, case: Case, reason: str, deadline_at: str | None
) -> None:
    """Queue the `case.escalated` webhook for `event`: the case, the deadline it is escalated
    against (RFC 3339, or None) and its first item, so the platform can find what is at stake;
    the roles that must act (the event's `raised_to`), the action needed, and the reviewer
    holding the case, so an on-call system can page the right person."""
    first = case.links[0].item if case.links else None
    announce(
        session,
        event,
        WebhookType.CASE_ESCALATED,
        {
            "case_id": case.id,
            "priority": case.priority,
            "deadline_at": deadline_at,
            "reason": reason,
            "content_id": first.content_id if first else None,
            "account_id": first.account_id if first else None,
            # On call (issue 14): who must act, what they must do, and who holds the case.
            "raised_to": on_call.roles_to_act((event.data or {}).get("raised_to")),
            "action_needed": on_call.action_needed(reason, case.priority, deadline_at),
            "assigned_to": _holder(session, case.id),
        },
    )


def _holder(session: Session, case_id: str) -> str | None:
    """The reviewer who claimed the case last and has not released it, from the history."""
    holder = None
    for event in history(session, case_id):
        if event.type == EventType.ASSIGN:
            holder = event.actor
        elif event.type in (EventType.RELEASE, EventType.DECIDE):
            holder = None
    return holder


def announce_item(session: Session, type: WebhookType, data: dict[str, Any], at: datetime) -> str:
    """Queue a notification about an item that belongs to no case (a held video released
    once its hashes matched nothing). Returns the delivery's event id."""
    event = CaseEvent(id=new_id("evt"), at=at)  # not stored: there is no case to append to
    announce(session, event, type, data)
    return event.id


def history(session: Session, case_id: str) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
        )
    )
