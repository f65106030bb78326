"""Cases about an account rather than one item.

The bystander in the case behind this project reported an account, not a video. A report
naming only an account opens (or joins) a case whose subject is that account: the reviewer
sees every item the platform registered for it and every case its items are in, and a lead
can suspend it. Its items are listed, not linked: nothing the account posted is hidden or
removed because the account was reported (DESIGN rule 11); a reviewer acts on what they see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.vocabulary import AccountState, Policy
from takedown.services import case_reports
from takedown.services.enforcement import suspend_account
from takedown.services.errors import Conflict
from takedown.store.models import Account, Case, CaseItem, ContentItem

# Enough for a reviewer to see what the account does; the rest is on the platform.
LISTED_ITEMS = 200


def open_case_about(session: Session, account_id: str) -> Case | None:
    """The undecided case already about this account, if any: reports on it gather there."""
    return session.scalars(
        select(Case)
        .where(
            Case.subject_account_id == account_id,
            Case.state.in_([s.value for s in AWAITING_DECISION]),
        )
        .order_by(Case.opened_at.desc())
        .options(case_reports.not_loaded())
    ).first()


def items_of(session: Session, account_id: str) -> list[ContentItem]:
    """The account's registered items, newest first (later uploads appear as they come)."""
    return list(
        session.scalars(
            select(ContentItem)
            .where(ContentItem.account_id == account_id)
            .order_by(ContentItem.created_at.desc(), ContentItem.id)
            .limit(LISTED_ITEMS)
        )
    )


def cases_of(session: Session, account_id: str) -> list[Case]:
    """Every case about the account or about one of its items, newest first."""
    return list(
        session.scalars(
            select(Case)
            .outerjoin(CaseItem, CaseItem.case_id == Case.id)
            .outerjoin(ContentItem, ContentItem.id == CaseItem.item_id)
            .where(or_(Case.subject_account_id == account_id, ContentItem.account_id == account_id))
            .order_by(Case.opened_at.desc())
            .distinct()
        )
    )


@dataclass(frozen=True)
class AccountSubject:
    """What a case about an account shows: the account, its items, and its other cases."""

    account_id: str
    state: str | None  # None until the platform registers the account
    items: list[ContentItem]
    other_cases: list[Case]


def subject_of(session: Session, case: Case) -> AccountSubject | None:
    """The account the case is about, or None for a case about items."""
    if not case.subject_account_id:
        return None
    account = session.get(Account, case.subject_account_id)
    return AccountSubject(
        account_id=case.subject_account_id,
        state=account.state if account else None,
        items=items_of(session, case.subject_account_id),
        other_cases=[c for c in cases_of(session, case.subject_account_id) if c.id != case.id],
    )


def suspend_subject(
    session: Session, case: Case, actor: str, policy: Policy, reason: str, now: datetime
) -> Account:
    """A lead suspends the account a case is about; the platform is told by webhook, and a
    reversal on appeal restores it like any suspension the case made."""
    if not case.subject_account_id:
        raise Conflict("this case is not about an account", "not_an_account_case")
    account = session.get(Account, case.subject_account_id)
    if account is None:
        raise Conflict(
            "the platform has not registered this account yet: nothing to suspend",
            "account_not_registered",
        )
    if account.state == AccountState.SUSPENDED:
        raise Conflict("the account is already suspended", "already_suspended")
    suspend_account(session, case, account.account_id, actor, policy, now, reason)
    return account
