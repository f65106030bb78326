"""Hiding content: restrict first, review second (DESIGN rule 3); and removing it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from takedown.domain.case_projection import CaseFields
from takedown.domain.vocabulary import ContentState, EventType, Policy, WebhookType
from takedown.services import case_log, evidence, statement_of_reasons, thumbnails
from takedown.store.models import Case, ContentItem


def restrict_item(
    session: Session,
    case: Case,
    item: ContentItem,
    actor: str,
    reason: str,
    now: datetime,
    changes: CaseFields | None = None,
) -> bool:
    """Hide one visible item and tell the platform; does nothing to hidden or removed items."""
    if item.state != ContentState.VISIBLE:
        return False
    item.state = ContentState.RESTRICTED.value
    item.updated_at = now
    # Hidden content is preserved as evidence (DESIGN rule 7): from the upload if this is its
    # upload request, else fetched from its url by a job.
    evidence.request_capture(session, case, item, now)
    event = case_log.record(
        session,
        case,
        EventType.RESTRICT,
        actor,
        now,
        {"content_id": item.content_id, "account_id": item.account_id, "reason": reason},
        changes,
    )
    case_log.announce(
        session,
        event,
        WebhookType.CONTENT_RESTRICTED,
        {
            "content_id": item.content_id,
            "account_id": item.account_id,
            "case_id": case.id,
            "reason": reason,
            "statement_of_reasons": statement_of_reasons.statement(
                case, "restricted", actor, now, item.content_id, item.account_id, None, reason
            ),
        },
    )
    return True


def require_restriction(
    session: Session, case: Case, actor: str, reason: str, now: datetime
) -> None:
    """Mark the case's content as to be hidden wherever it is visible, once, as an event."""
    if case.restrict_required:
        return
    case_log.record(
        session,
        case,
        EventType.RESTRICT_REQUIRED,
        actor,
        now,
        {"reason": reason},
        changes={"restrict_required": True},
    )


def restrict_case(session: Session, case: Case, actor: str, reason: str, now: datetime) -> int:
    """Hide every item linked to the case, copies included, in the same step."""
    # The first restriction carries the case's new rule; with nothing to hide, its own event.
    flag: CaseFields | None = None if case.restrict_required else {"restrict_required": True}
    hidden = 0
    for link in case.links:
        if restrict_item(
            session, case, link.item, actor, reason, now, flag if not hidden else None
        ):
            hidden += 1
    if not hidden:
        require_restriction(session, case, actor, reason, now)
    return hidden


def remove_item(
    session: Session,
    case: Case,
    item: ContentItem,
    actor: str,
    reason: str,
    now: datetime,
    details: dict[str, Any],
) -> bool:
    """Remove one item for good and tell the platform why; does nothing to a removed item.

    `details` completes the case event (the bank match's reason, or the decision's policy).
    """
    if item.state == ContentState.REMOVED:
        return False
    item.state = ContentState.REMOVED.value
    item.updated_at = now
    thumbnails.forget(session, [item])  # nothing of a removed item is shown to anyone
    data = {"action": "removed", "content_id": item.content_id, "account_id": item.account_id}
    event = case_log.record(session, case, EventType.ACTION, actor, now, {**data, **details})
    policy = details.get("policy")
    case_log.announce(
        session,
        event,
        WebhookType.CONTENT_REMOVED,
        {
            "content_id": item.content_id,
            "account_id": item.account_id,
            "case_id": case.id,
            "reason": reason,
            # What the platform can show the uploader (DSA Art. 17).
            "statement_of_reasons": statement_of_reasons.statement(
                case,
                "removed",
                actor,
                now,
                item.content_id,
                item.account_id,
                Policy(policy) if policy else None,
                str(details.get("facts") or reason),
            ),
        },
    )
    return True
