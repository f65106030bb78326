"""Registering uploads: the platform asks before it publishes, and gets a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.domain.vocabulary import AccountState, ContentState
from takedown.services import matching
from takedown.services.cases import cases_waiting_for, link_item
from takedown.services.errors import Conflict
from takedown.services.restriction import restrict_item
from takedown.store.models import Account, ContentItem, ContentSignal
from takedown.store.types import new_id


@dataclass(frozen=True)
class SignalValue:
    signal: str
    value: str
    quality: int | None = None


@dataclass
class Registration:
    item: ContentItem
    verdict: str
    created: bool
    matches: list[dict[str, object]] = field(default_factory=list)


def ensure_account(session: Session, account_id: str, now: datetime) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        account = Account(
            account_id=account_id, state=AccountState.ACTIVE.value, strikes=0, created_at=now
        )
        session.add(account)
        session.flush()
    return account


def verdict_for(item: ContentItem) -> str:
    """What the platform should do with the upload now."""
    if item.state == ContentState.REMOVED:
        return "block"
    if item.state == ContentState.RESTRICTED:
        return "hold"
    return "allow"


def register_content(
    session: Session,
    now: datetime,
    content_id: str,
    account_id: str,
    url: str | None,
    signals: list[SignalValue],
    media_type: str | None = None,
    hold_for_hashing: bool = False,
) -> Registration:
    """Record an upload and its signals; attach reports that were waiting for it; match it
    against the banks and the stored items (services.matching) and answer the verdict.

    Registering the same `content_id` again is idempotent: the stored item and its current
    verdict come back unchanged. A different account for the same id is a conflict.
    `hold_for_hashing`: a video whose hashing follows in a job; it is held (hidden) until then.
    """
    existing = session.scalars(
        select(ContentItem).where(ContentItem.content_id == content_id)
    ).first()
    if existing is not None:
        if existing.account_id != account_id:
            raise Conflict(
                f"content {content_id!r} is already registered to another account",
                "content_account_mismatch",
            )
        return Registration(
            item=existing,
            verdict=verdict_for(existing),
            created=False,
            matches=matching.matches_of(session, existing, now),
        )

    # The index catches up before this transaction writes (services.match_index.Matcher).
    matching.refreshed(session)
    ensure_account(session, account_id, now)
    item = ContentItem(
        id=new_id("item"),
        content_id=content_id,
        account_id=account_id,
        url=url,
        state=ContentState.VISIBLE.value,
        media_type=media_type,
        created_at=now,
        updated_at=now,
    )
    item.signals = [
        ContentSignal(signal=s.signal, value=s.value, quality=s.quality) for s in signals
    ]
    session.add(item)
    session.flush()
    attach_waiting_reports(session, item, now)
    screening = matching.screen_upload(session, item, now)
    if hold_for_hashing and item.state == ContentState.VISIBLE:
        item.state = ContentState.RESTRICTED.value
    return Registration(
        item=item, verdict=verdict_for(item), created=True, matches=screening.matches
    )


def attach_waiting_reports(session: Session, item: ContentItem, now: datetime) -> None:
    """Reports that arrived before the upload was registered join it now, restriction too."""
    cases = cases_waiting_for(session, item.content_id, item.url)
    for case in cases:
        link_item(session, case, item, "reported before registration", now)
        if case.restrict_required:
            restrict_item(session, case, item, "system", "reported before registration", now)
