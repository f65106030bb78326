"""Carrying out final decisions on content and accounts (DESIGN rules 6 and 7).

`apply_final_decision` is the one entry point the review service calls once a decision is
final. Every action is idempotent: applying the same decision twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from takedown.domain.vocabulary import (
    AccountState,
    ContentState,
    EventType,
    Outcome,
    Policy,
    WebhookType,
)
from takedown.services import case_log
from takedown.store.models import Account, Case, ContentItem


def apply_final_decision(
    session: Session, case: Case, outcome: Outcome, policy: Policy, actor: str, now: datetime
) -> None:
    if outcome is Outcome.VIOLATING:
        for link in case.links:
            remove_item(session, case, link.item, actor, policy, now)
        if policy is Policy.CSAM:
            for account_id in sorted({link.item.account_id for link in case.links}):
                suspend_account(session, case, account_id, actor, policy, now)
    else:
        for link in case.links:
            restore_item(session, case, link.item, actor, now)


def remove_item(
    session: Session, case: Case, item: ContentItem, actor: str, policy: Policy, now: datetime
) -> bool:
    if item.state == ContentState.REMOVED:
        return False
    item.state = ContentState.REMOVED.value
    item.updated_at = now
    data = {"action": "removed", "content_id": item.content_id, "account_id": item.account_id}
    event = case_log.record(session, case, EventType.ACTION, actor, now, {**data, "policy": policy})
    case_log.announce(
        session,
        event,
        WebhookType.CONTENT_REMOVED,
        {
            "content_id": item.content_id,
            "account_id": item.account_id,
            "case_id": case.id,
            "reason": f"violates policy {policy.value}",
        },
    )
    return True


def restore_item(
    session: Session, case: Case, item: ContentItem, actor: str, now: datetime
) -> bool:
    if item.state != ContentState.RESTRICTED:
        return False
    item.state = ContentState.VISIBLE.value
    item.updated_at = now
    data = {"action": "restored", "content_id": item.content_id, "account_id": item.account_id}
    event = case_log.record(session, case, EventType.ACTION, actor, now, data)
    case_log.announce(
        session,
        event,
        WebhookType.CONTENT_RESTORED,
        {
            "content_id": item.content_id,
            "account_id": item.account_id,
            "case_id": case.id,
            "reason": "no violation found on review",
        },
    )
    return True


def suspend_account(
    session: Session, case: Case, account_id: str, actor: str, policy: Policy, now: datetime
) -> bool:
    account = session.get(Account, account_id)
    if account is None or account.state == AccountState.SUSPENDED:
        return False
    account.state = AccountState.SUSPENDED.value
    account.suspended_at = now
    data = {"action": "suspended", "account_id": account_id, "policy": policy.value}
    event = case_log.record(session, case, EventType.ACTION, actor, now, data)
    case_log.announce(
        session,
        event,
        WebhookType.ACCOUNT_SUSPENDED,
        {
            "account_id": account_id,
            "case_id": case.id,
            "reason": f"violates policy {policy.value}",
            "content_id": None,
        },
    )
    return True
