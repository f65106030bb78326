"""Registering uploads: the platform asks before it publishes, and gets a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, String, bindparam, exists, select
from sqlalchemy.orm import Session

from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.vocabulary import AccountState, ContentState, EventType
from takedown.jobs import JobContext, Sweep
from takedown.services import case_log, evidence, matching, measures
from takedown.services.cases import cases_waiting_for, link_item, waiting_cases_query
from takedown.services.errors import Conflict, NotFound
from takedown.services.installation import Installation
from takedown.services.restriction import restrict_item
from takedown.store.database import one_row
from takedown.store.exposure import ViewCount
from takedown.store.models import Account, Case, CaseItem, ContentItem, ContentSignal, Report
from takedown.store.new_rows import new_row
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
        account = new_account(account_id, now)
        session.add(account)
        session.flush()
    return account


def new_account(account_id: str, now: datetime) -> Account:
    return new_row(
        Account, account_id=account_id, state=AccountState.ACTIVE.value, strikes=0, created_at=now
    )


@dataclass(frozen=True)
class FirstLook:
    item_known: bool
    account_known: bool
    reports_waiting: bool


def first_look(session: Session, content_id: str, account_id: str, url: str | None) -> FirstLook:
    """What a registration needs to know before it writes, asked in one statement: three
    lookups one after the other were three round trips a registration (issue 15). Each
    answer that says "there is one" is then read whole, which is the rare case."""
    row = one_row(
        session,
        _first_look_statement(bool(url)),
        {"content_id": content_id, "account_id": account_id, "url": url},
    )
    return FirstLook(bool(row[0]), bool(row[1]), bool(row[2]))


@cache
def _first_look_statement(by_url: bool) -> Select[bool, bool, bool]:
    """Built once per shape with bound parameters: building the expression on every
    registration cost more than running it (issue 15)."""
    content_id = bindparam("content_id", type_=String)
    url = bindparam("url", type_=String) if by_url else None
    waiting = waiting_cases_query(content_id, url)
    assert waiting is not None  # a content id is always given
    return select(
        exists().where(ContentItem.content_id == content_id),
        exists().where(Account.account_id == bindparam("account_id", type_=String)),
        waiting.exists(),
    )


def verdict_for(item: ContentItem) -> str:
    """What the platform should do with the upload now."""
    if item.state == ContentState.REMOVED:
        return "block"
    if item.state == ContentState.RESTRICTED:
        return "hold"
    return "allow"


def register_content(
    session: Session,
    inst: Installation,
    now: datetime,
    content_id: str,
    account_id: str,
    url: str | None,
    signals: list[SignalValue],
    media_type: str | None = None,
    hold_for_hashing: bool = False,
    kind: str | None = None,
    text: str | None = None,
    title: str | None = None,
) -> Registration:
    """Record an upload and its signals; attach reports that were waiting for it; match it
    against the banks and the stored items (services.matching) and answer the verdict.

    Registering the same `content_id` again is idempotent: the stored item and its current
    verdict come back unchanged. A different account for the same id is a conflict.
    `hold_for_hashing`: a video whose hashing follows in a job; it is held (hidden) until then.
    An item without media (`kind` text, link, profile, other) carries its `text` instead and
    is allowed unless a report waiting for it says otherwise.
    """
    look = first_look(session, content_id, account_id, url)
    existing = None
    if look.item_known:
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
            matches=matching.matches_of(session, inst, existing, now),
        )

    # The index catches up before this transaction writes (services.match_index.Matcher).
    matching.refreshed(session, inst)
    if not look.account_known:
        session.add(new_account(account_id, now))  # flushed with the item, no read first
    item = new_row(
        ContentItem,
        id=new_id("item"),
        content_id=content_id,
        account_id=account_id,
        url=url,
        state=ContentState.VISIBLE.value,
        media_type=media_type,
        kind=kind,
        text=text,
        title=title,
        created_at=now,
        updated_at=now,
    )
    item.signals = [
        new_row(ContentSignal, signal=s.signal, value=s.value, quality=s.quality) for s in signals
    ]
    session.add(item)
    session.flush()
    if look.reports_waiting:
        attach_waiting_reports(session, item, now)
    screening = matching.screen_upload(session, inst, item, now)
    if hold_for_hashing and item.state == ContentState.VISIBLE:
        item.state = ContentState.RESTRICTED.value
    return Registration(
        item=item, verdict=verdict_for(item), created=True, matches=screening.matches
    )


def attach_waiting_reports(session: Session, item: ContentItem, now: datetime) -> None:
    """Reports that arrived before the upload was registered join it now, restriction too."""
    for case in cases_waiting_for(session, item.content_id, item.url):
        _attach(session, case, item, "reported before registration", now)


def _attach(session: Session, case: Case, item: ContentItem, reason: str, now: datetime) -> bool:
    """Join `item` to `case`, hiding it when the case requires it; False if already joined."""
    if not link_item(session, case, item, reason, now):
        return False
    if case.restrict_required:
        restrict_item(session, case, item, "system", reason, now)
    evidence.capture_if_urgent(session, case, now)
    return True


# Longer than any transaction lasts: a report and a registration that overlapped both
# committed within it.
CROSSED_WINDOW = timedelta(minutes=10)


def join_crossed_reports(session: Session, now: datetime) -> int:
    """Join the cases of recent reports to the items they name where neither saw the other.

    A report and the registration of the item it names, committed at the same moment, each
    read the other as not there yet: the report opened a case waiting for an item, the
    registration found no report waiting, and the item stayed up. This finds such pairs
    among the reports of the last `CROSSED_WINDOW` (indexed by time) and does what the later
    of the two would have done. Returns how many cases it joined.
    """
    since = now - CROSSED_WINDOW
    awaiting = [state.value for state in AWAITING_DECISION]
    joined = 0
    for named in (Report.content_id, Report.url):
        pairs = (
            select(Report.case_id, ContentItem.id)
            .join(ContentItem, getattr(ContentItem, named.key) == named)
            .join(Case, Case.id == Report.case_id)
            .where(
                Report.created_at >= since,
                named.isnot(None),
                Case.state.in_(awaiting),
                ~exists().where(
                    CaseItem.case_id == Report.case_id, CaseItem.item_id == ContentItem.id
                ),
            )
            .distinct()
        )
        for case_id, item_id in session.execute(pairs).all():
            case, item = session.get(Case, case_id), session.get(ContentItem, item_id)
            # A pair named by both its content id and its url is joined by the first pass.
            if case is not None and item is not None:
                joined += _attach(session, case, item, "reported as it was registered", now)
    return joined


def _join_crossed(_ctx: JobContext, session: Session, now: datetime) -> object:
    return join_crossed_reports(session, now)


CROSSED_REPORTS_SWEEP = Sweep("reports.crossed", _join_crossed)


def update_content(
    session: Session,
    now: datetime,
    content_id: str,
    views: int | None = None,
    text: str | None = None,
) -> ContentItem:
    """What the platform tells Takedown about an item after registering it: its latest view
    count (kept as a series, store.exposure, so exposure after a report can be measured) and
    its edited text (review and evidence see what the public sees now)."""
    item = session.scalars(select(ContentItem).where(ContentItem.content_id == content_id)).first()
    if item is None:
        raise NotFound(f"no content registered with id {content_id!r}", "content_not_found")
    if views is not None:
        item.views = views
        item.views_at = now
        session.add(ViewCount(item_id=item.id, views=views, observed_at=now))
    if text is not None and text != item.text:
        # An abuser may edit a reported message into something harmless: each case it is in
        # records the edit, and evidence already preserved keeps the text as it was reported.
        for case in cases_of_item(session, item):
            case_log.record(
                session,
                case,
                EventType.CONTENT_EDITED,
                "platform",
                now,
                {
                    "content_id": item.content_id,
                    "previous_chars": len(item.text or ""),
                    "chars": len(text),
                    "evidence_kept": evidence.record_for_item(session, item.id) is not None,
                },
            )
        item.text = text
    item.updated_at = now
    session.flush()
    if views is not None:
        measures.refresh_item_cases(session, item, now)  # exposure after the first report
    return item


def cases_of_item(session: Session, item: ContentItem) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .join(CaseItem, CaseItem.case_id == Case.id)
            .where(CaseItem.item_id == item.id)
            .order_by(Case.opened_at)
        )
    )
