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
from functools import cache

from sqlalchemy import Select, String, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain.report_abuse import (
    BurstPolicy,
    ReporterSighting,
    new_reporters_in_burst,
    restriction_after_report,
)
from takedown.domain.take_it_down import is_removal_request
from takedown.domain.triage import triage_report
from takedown.domain.vocabulary import Category, EventType, Priority, ReporterRole
from takedown.services import (
    account_cases,
    case_log,
    case_reports,
    corroboration,
    evidence,
    matching,
    take_it_down,
    thumbnails,
)
from takedown.services.cases import (
    case_for_item,
    cases_waiting_for,
    link_item,
    open_case,
    reopen_if_settled,
    reprioritise,
    waiting_cases_query,
)
from takedown.services.installation import Installation
from takedown.services.restriction import restrict_case
from takedown.store.database import one_row
from takedown.store.models import Case, CaseEvent, ContentItem, Report
from takedown.store.new_rows import new_row
from takedown.store.turns import take_item_turn
from takedown.store.types import new_id

BURSTS = BurstPolicy()


@dataclass(frozen=True)
class ReportInput:
    category: Category
    reporter_role: ReporterRole
    content_id: str | None = None
    url: str | None = None
    # A report about an account rather than one item (services.account_cases).
    account_id: str | None = None
    depicts_minor: bool = False
    statement: str | None = None
    contact_email: str | None = None
    reporter_account_id: str | None = None
    # A TAKE IT DOWN Act request (services.take_it_down); optional on every report.
    good_faith_statement: bool = False
    signature: str | None = None
    # The platform key that forwarded the report; None for a key-less (public) report.
    forwarded_by: str | None = None
    # Accepted past its rate-limit budget (domain.report_budget): its own word hides nothing.
    held_for_review: bool = False


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
    """Who reported, as a keyed hash, so that one reporter counts once (DESIGN rule 12).

    A key-less report counts as its client address, whatever account or email it claims: the
    claim is kept on the report but is no person (three invented account ids from one address
    hid an item, issue 10). Only the platform, forwarding with its key, vouches for an account;
    a forwarded report that names none counts as the platform itself.
    """
    if data.forwarded_by is None:
        basis = "client:" + client
    elif data.reporter_account_id:
        basis = "account:" + data.reporter_account_id
    else:
        basis = "platform:" + data.forwarded_by
    return _keyed(secret, basis)


def claim_key(secret: str, data: ReportInput) -> str | None:
    """The reporter's account or email, as a keyed hash, for the per-reporter rate limit.

    A claim does not make a second reporter, but one claimed name sending from many addresses
    is still one sender to slow down.
    """
    if data.reporter_account_id:
        return _keyed(secret, "account:" + data.reporter_account_id)
    if data.contact_email:
        return _keyed(secret, "email:" + data.contact_email.strip().lower())
    return None


def _keyed(secret: str, basis: str) -> str:
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


def first_look(session: Session, content_id: str | None, url: str | None) -> tuple[bool, bool]:
    """Whether the reported item is registered, and whether other reports wait for it, in
    one statement: most reports name neither, and two lookups were two round trips (issue
    15). Either "yes" is then read whole."""
    if not content_id and not url:
        return False, False
    statement = _first_look_statement(bool(content_id), bool(url))
    row = one_row(session, statement, {"content_id": content_id, "url": url})
    return bool(row[0]), bool(row[1])


@cache
def _first_look_statement(by_id: bool, by_url: bool) -> Select[bool, bool]:
    """Built once per shape with bound parameters: building the expression on every report
    cost more than running it (issue 15)."""
    content_id = bindparam("content_id", type_=String) if by_id else None
    url = bindparam("url", type_=String) if by_url else None
    item = [ContentItem.content_id == content_id] if content_id is not None else []
    item += [ContentItem.url == url] if url is not None else []
    waiting = waiting_cases_query(content_id, url)
    assert waiting is not None
    return select(exists().where(or_(*item)), waiting.exists())


def file_report(
    session: Session,
    inst: Installation,
    now: datetime,
    data: ReportInput,
    reporter: str,
) -> ReportReceipt:
    """Store one report and apply its immediate effect. `reporter` comes from `reporter_key`."""
    triage = triage_report(data.category, data.reporter_role, data.depicts_minor)
    item_known, reports_waiting = first_look(session, data.content_id, data.url)
    item = None
    if item_known:
        # Reports of one item take turns from here, so two at once find one case, not none
        # each (store.turns). A new item's first report has no one to wait for.
        item = find_item(session, data.content_id, data.url)
        if item is not None:
            take_item_turn(session, item.content_id)

    case = case_for_item(session, item) if item else None
    if case is None and item is not None:
        case = matching.case_for_copies(session, inst, item)  # copies of one media are one case
    if case is None and reports_waiting:
        waiting = cases_waiting_for(session, data.content_id, data.url)
        case = waiting[0] if waiting else None
    about_account = data.account_id is not None and not (data.content_id or data.url)
    if case is None and about_account:
        case = account_cases.open_case_about(session, str(data.account_id))
    if case is None:
        case = open_case(session, triage, data.category.value, now, inst.deadlines)
        if about_account:
            case.subject_account_id = data.account_id
    else:
        reopen_if_settled(session, case, now, inst.deadlines)
    if triage.child_safety and not case.child_safety:
        case.child_safety = True

    token = secrets.token_urlsafe(24)
    report = new_row(
        Report,
        id=new_id("rep"),
        case_id=case.id,
        content_id=data.content_id or (item.content_id if item else None),
        url=data.url,
        account_id=data.account_id,
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
        good_faith_statement=data.good_faith_statement,
        signature=data.signature,
        forwarded_by=data.forwarded_by,
    )
    report.case = case  # through the ORM: the case's reports follow
    session.add(report)  # flushed with the report's event (case_log.record)
    removal_request = is_removal_request(
        data.category, data.reporter_role, data.good_faith_statement, data.signature
    )
    removal_due = take_it_down.start_clock(case, now, inst.deadlines) if removal_request else None
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
            **({"forwarded": True} if data.forwarded_by else {}),
            **({"held_for_review": True} if data.held_for_review else {}),
            **({"account_id": data.account_id} if about_account else {}),
            **(
                {"take_it_down": True, "removal_due_at": rfc3339(removal_due)}
                if removal_due
                else {}
            ),
        },
    )
    if item is not None:
        link_item(session, case, item, "reported", now)
        matching.join_copies(session, inst, case, item, now)
    thumbnails.forget_if_sexual(session, case, data.category.value)
    counted = reprioritise(session, case, now, inst.deadlines)
    # A case raised to P0 by distinct reporters of child sexual content is hidden like any P0,
    # unless those reporters are a burst of newcomers (domain.report_abuse): then a reviewer
    # looks at the case and its reporters first.
    raised_to_p0 = (
        case.priority == Priority.P0
        and case.child_safety
        # By the count: a report that is P0 on its own (one held past its budget) is not.
        and Priority.P0 not in counted.priorities
    )
    burst = check_for_burst(session, case, now)
    restrict_by_report = triage.restrict and not data.held_for_review
    # A bystander's child-safety report hides at once when an independent signal agrees
    # (domain.corroboration); a burst of new reporters withholds agreement by their number.
    agreed = corroboration.bystander_report_corroborated(session, case, triage)
    if agreed is not None and agreed.by_reporters and burst:
        agreed = None
    call = restriction_after_report(
        restrict_by_report or agreed is not None, case.restrict_required, raised_to_p0, burst
    )
    if call.restrict:
        reason = agreed.reason if agreed and not restrict_by_report else triage.reason
        restrict_case(session, case, "system", reason, now)
    evidence.capture_if_urgent(session, case, now)
    return ReportReceipt(report=report, case=case, item=item, status_token=token)


def check_for_burst(
    session: Session, case: Case, now: datetime, policy: BurstPolicy = BURSTS
) -> bool:
    """Whether the case's recent reporters are a burst of newcomers; flags the case once."""
    # Only anonymous reports can make a burst, and of each reporter only the earliest in the
    # window matters (domain.report_abuse): a bounded read, however many reports there are.
    recent = case_reports.recent_anonymous_reporters(session, case, now - policy.window, now)
    if len(recent) < policy.threshold:
        return False
    rows = session.execute(
        select(Report.reporter_key, func.min(Report.created_at))
        .where(Report.reporter_key.in_(recent))
        .group_by(Report.reporter_key)
    )
    first_seen: dict[str, datetime] = {key: at for key, at in rows}
    sightings = [
        ReporterSighting(
            reporter_key=key,
            reported_at=at,
            first_seen_at=first_seen.get(key, at),
            anonymous=True,
        )
        for key, at in recent.items()
    ]
    count = new_reporters_in_burst(sightings, now, policy)
    if count < policy.threshold:
        return False
    already = session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id,
            CaseEvent.type == EventType.REPORTERS_FLAGGED.value,
            CaseEvent.at >= now - policy.window,
        )
    ).first()
    if already is None:
        case_log.record(
            session,
            case,
            EventType.REPORTERS_FLAGGED,
            "system",
            now,
            {
                "new_reporters": count,
                "window_minutes": int(policy.window.total_seconds() // 60),
                "reason": "many new reporters of this item within minutes; review the "
                "reporters before acting on their number",
            },
        )
    return True


def report_for_token(session: Session, token: str) -> Report | None:
    return session.scalars(
        select(Report).where(Report.status_token_hash == hash_token(token))
    ).first()
