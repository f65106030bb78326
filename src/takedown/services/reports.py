"""Taking a report: triage, join or open the case, hide content first when the rules say so.

No identity is ever demanded (DESIGN rule 2); contact details are optional. The report is
flushed in the caller's transaction, which commits before the HTTP response is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.domain.deadlines import DeadlinePolicy
from takedown.domain.triage import triage_report
from takedown.domain.vocabulary import Category, EventType, Priority, ReporterRole
from takedown.services import case_log
from takedown.services.cases import (
    case_for_item,
    cases_waiting_for,
    link_item,
    open_case,
    reopen_if_settled,
    reprioritise,
)
from takedown.services.restriction import restrict_case
from takedown.store.models import Case, ContentItem, Report
from takedown.store.types import new_id


@dataclass(frozen=True)
class ReportInput:
    category: Category
    reporter_role: ReporterRole
    content_id: str | None = None
    url: str | None = None
    depicts_minor: bool = False
    statement: str | None = None
    contact_email: str | None = None
    reporter_account_id: str | None = None


@dataclass(frozen=True)
class ReportReceipt:
    report: Report
    case: Case
    item: ContentItem | None
    status_token: str


def hash_token(token: str) -> str:
    """Status tokens are stored hashed: a database leak must not reveal reporters' links."""
    return hashlib.sha256(token.encode()).hexdigest()


def reporter_key(secret: str, data: ReportInput, client: str) -> str:
    """Who reported, as a keyed hash, so repeated reports by one person count once.

    Falls back to the client address for anonymous reports; the key is never reversible.
    """
    if data.reporter_account_id:
        basis = "account:" + data.reporter_account_id
    elif data.contact_email:
        basis = "email:" + data.contact_email.strip().lower()
    else:
        basis = "client:" + client
    return hmac.new(secret.encode(), basis.encode(), hashlib.sha256).hexdigest()


def find_item(session: Session, content_id: str | None, url: str | None) -> ContentItem | None:
    if content_id:
        item = session.scalars(
            select(ContentItem).where(ContentItem.content_id == content_id)
        ).first()
        if item is not None:
            return item
    if url:
        return session.scalars(select(ContentItem).where(ContentItem.url == url)).first()
    return None


def file_report(
    session: Session,
    now: datetime,
    data: ReportInput,
    reporter: str,
    policy: DeadlinePolicy,
) -> ReportReceipt:
    """Store one report and apply its immediate effect. `reporter` comes from `reporter_key`."""
    triage = triage_report(data.category, data.reporter_role, data.depicts_minor)
    item = find_item(session, data.content_id, data.url)

    case = case_for_item(session, item) if item else None
    if case is None:
        waiting = cases_waiting_for(session, data.content_id, data.url)
        case = waiting[0] if waiting else None
    if case is None:
        case = open_case(session, triage, data.category.value, now, policy)
    else:
        reopen_if_settled(session, case, now, policy)
    if triage.child_safety and not case.child_safety:
        case.child_safety = True

    token = secrets.token_urlsafe(24)
    report = Report(
        id=new_id("rep"),
        case_id=case.id,
        content_id=data.content_id or (item.content_id if item else None),
        url=data.url,
        category=data.category.value,
        reporter_role=data.reporter_role.value,
        depicts_minor=data.depicts_minor,
        statement=data.statement,
        contact_email=data.contact_email,
        reporter_account_id=data.reporter_account_id,
        reporter_key=reporter,
        priority=triage.priority.value,
        status_token_hash=hash_token(token),
        source="report",
        created_at=now,
        case=case,
    )
    session.add(report)
    session.flush()
    case_log.record(
        session,
        case,
        EventType.REPORT,
        f"reporter:{data.reporter_role.value}",
        now,
        {
            "report_id": report.id,
            "category": data.category.value,
            "reporter_role": data.reporter_role.value,
            "depicts_minor": data.depicts_minor,
            "priority": triage.priority.value,
            "triage": triage.reason,
        },
    )
    if item is not None:
        link_item(session, case, item, "reported", now)
    reprioritise(session, case, now, policy)
    # A case raised to P0 by distinct reporters of child sexual content is hidden like any P0.
    raised_to_p0 = case.priority == Priority.P0 and case.child_safety
    if triage.restrict or case.restrict_required or raised_to_p0:
        restrict_case(session, case, "system", triage.reason, now)
    return ReportReceipt(report=report, case=case, item=item, status_token=token)


def report_for_token(session: Session, token: str) -> Report | None:
    return session.scalars(
        select(Report).where(Report.status_token_hash == hash_token(token))
    ).first()
