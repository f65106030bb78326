"""Opening cases, gathering reports and copies into them, and reading the queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BindParameter, Select, or_, select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain.case_projection import CaseFields
from takedown.domain.case_state import AWAITING_DECISION, transition
from takedown.domain.deadlines import DeadlinePolicy, tightened_deadline
from takedown.domain.reported_preview import is_sexual
from takedown.domain.triage import Triage, case_priority
from takedown.domain.vocabulary import CaseState, ContentState, EventType, Priority
from takedown.services import case_log, case_reports, fresh_cases, thumbnails
from takedown.services.errors import NotFound
from takedown.store.models import Case, CaseItem, ContentItem, Report
from takedown.store.new_rows import new_row
from takedown.store.types import new_id

SYSTEM = "system"


def open_case(
    session: Session, triage: Triage, category: str, now: datetime, policy: DeadlinePolicy
) -> Case:
    case = new_row(
        Case,
        id=new_id("case"),
        priority=triage.priority.value,
        state=CaseState.OPEN.value,
        category=category,
        child_safety=triage.child_safety,
        restrict_required=False,
        opened_at=now,
        deadline_started_at=now,
        deadline_at=policy.deadline(triage.priority, now),
        updated_at=now,
    )
    # Nothing can have joined a case that is only now being created: its collections start
    # empty here instead of being read back (services.fresh_cases).
    case.reports = []
    case.links = []
    session.add(case)
    fresh_cases.mark_opened(session, case)
    # Not flushed here: the first event's flush inserts the row with its chain head and
    # projection already set, one statement instead of an insert and an update.
    return case


def case_for_item(session: Session, item: ContentItem) -> Case | None:
    """The case an item already belongs to: the most recent one."""
    return session.scalars(
        select(Case)
        .join(CaseItem, CaseItem.case_id == Case.id)
        .where(CaseItem.item_id == item.id)
        .order_by(Case.opened_at.desc())
        .options(case_reports.not_loaded())
    ).first()


def cases_waiting_for(session: Session, content_id: str | None, url: str | None) -> list[Case]:
    """Undecided cases whose reports name an item by id or url, most recent first.

    Reports may arrive before the platform registers the item; these cases wait for it.
    """
    query = waiting_cases_query(content_id, url)
    if query is None:
        return []
    return list(
        session.scalars(
            query.order_by(Case.opened_at.desc()).distinct().options(case_reports.not_loaded())
        )
    )


def waiting_cases_query(
    content_id: str | BindParameter[str] | None, url: str | BindParameter[str] | None
) -> Select[Case] | None:
    """The cases `cases_waiting_for` finds, as a query to run or to ask `exists()` of; the
    id and url may be bound parameters, for a statement built once (reports.first_look)."""
    conditions = []
    if _given(content_id):
        conditions.append(Report.content_id == content_id)
    if _given(url):
        conditions.append(Report.url == url)
    if not conditions:
        return None
    return (
        select(Case)
        .join(Report, Report.case_id == Case.id)
        # Equalities, not IN: an IN list is expanded into the SQL on every execution, a cost
        # the report path paid on each report (issue 15).
        .where(or_(*conditions), or_(*(Case.state == s.value for s in AWAITING_DECISION)))
    )


def _given(value: str | BindParameter[str] | None) -> bool:
    return isinstance(value, BindParameter) or bool(value)


def link_item(session: Session, case: Case, item: ContentItem, reason: str, now: datetime) -> bool:
    """Join an item to a case once; copies found later join with the reason they matched."""
    if any(link.item_id == item.id for link in case.links):
        return False
    link = CaseItem(case_id=case.id, item_id=item.id, linked_at=now, reason=reason, item=item)
    session.add(link)
    case.links.append(link)
    if is_sexual(case.category) or case.child_safety:
        thumbnails.forget(session, [item])  # a copy joining a sexual case keeps no preview
    case_log.record(
        session,
        case,
        EventType.CONTENT_LINKED,
        SYSTEM,
        now,
        {"content_id": item.content_id, "account_id": item.account_id, "reason": reason},
    )
    return True


def reopen_if_settled(session: Session, case: Case, now: datetime, policy: DeadlinePolicy) -> None:
    """A new report on content still up after a decision puts the case back before a reviewer."""
    if case.state not in (CaseState.DECIDED, CaseState.CLOSED):
        return
    if all(link.item.state == ContentState.REMOVED for link in case.links) and case.links:
        return
    reopened: CaseFields = {
        "state": transition(CaseState(case.state), CaseState.OPEN).value,
        "deadline_started_at": now,
        "deadline_at": policy.deadline(Priority(case.priority), now),
        "escalated_at": None,
        "breached_at": None,
    }
    case_log.record(session, case, EventType.PRIORITY, SYSTEM, now, {"reopened": True}, reopened)


def reprioritise(
    session: Session, case: Case, now: datetime, policy: DeadlinePolicy
) -> case_reports.Tally:
    """Recompute the case's priority from its reports; a rise can only bring the deadline in.
    Returns what it was computed from."""
    counted = case_reports.tally(session, case)
    distinct = counted.distinct_reporters
    new = case_priority(sorted(counted.priorities), distinct)
    old = Priority(case.priority)
    if new.rank >= old.rank:
        return counted
    started, due = tightened_deadline(case.deadline_started_at, case.deadline_at, new, now, policy)
    case_log.record(
        session,
        case,
        EventType.PRIORITY,
        SYSTEM,
        now,
        {
            "from": old.value,
            "to": new.value,
            "distinct_reporters": distinct,
            "deadline_at": rfc3339(due),
        },
        {"priority": new.value, "deadline_started_at": started, "deadline_at": due},
    )
    return counted


def get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id!r}", "case_not_found")
    return case


def queue(
    session: Session,
    state: str | None = None,
    priority: str | None = None,
    category: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Case]:
    """Cases most urgent first: priority, then the nearest deadline."""
    query = select(Case)
    if state:
        query = query.where(Case.state == state)
    if priority:
        query = query.where(Case.priority == priority)
    if category:
        query = query.where(Case.category == category)
    query = query.order_by(Case.priority, Case.deadline_at, Case.id).limit(limit).offset(offset)
    return list(session.scalars(query))
