"""Appeals: asking for a decision to be looked at again (DESIGN rule 5).

A reporter appeals a dismissal ("not violating") with one click from the status page; the
uploader appeals a removal through the platform. Either way the case goes back to review with a
new deadline, and only a lead who has not decided the case before may decide it
(`services.review.why_cannot_decide`), so the appeal is never judged by the person appealed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain.case_projection import CaseFields
from takedown.domain.case_state import transition
from takedown.domain.deadlines import DeadlinePolicy
from takedown.domain.vocabulary import CaseState, EventType, Outcome, Priority
from takedown.services import case_log
from takedown.services.errors import Conflict, NotFound
from takedown.services.reports import report_for_token
from takedown.services.review import last_final_decision
from takedown.store.models import Case, CaseItem, ContentItem
from takedown.store.review import Appeal, Decision
from takedown.store.types import new_id

REPORTER = "reporter"
UPLOADER = "uploader"


def appeal_by_reporter(
    session: Session, token: str, statement: str | None, now: datetime, deadlines: DeadlinePolicy
) -> Appeal:
    """The reporter's appeal against a final "not violating" decision on their case."""
    report = report_for_token(session, token)
    if report is None:
        raise NotFound("no report with this status link", "status_not_found")
    case = report.case
    last = last_final_decision(session, case.id)
    if (
        case.state not in (CaseState.DECIDED, CaseState.CLOSED)
        or last is None
        or last.outcome != Outcome.NOT_VIOLATING
    ):
        raise Conflict(
            "only a final 'not violating' decision can be appealed; this case has none now",
            "appeal_not_allowed",
        )
    return _open(
        session, case, last, REPORTER, REPORTER, statement, now, deadlines, report_id=report.id
    )


def appeal_by_uploader(
    session: Session,
    content_id: str,
    statement: str | None,
    platform: str,
    now: datetime,
    deadlines: DeadlinePolicy,
) -> Appeal:
    """The uploader's appeal against a removal, relayed by the platform (`platform` = its key)."""
    item = session.scalars(select(ContentItem).where(ContentItem.content_id == content_id)).first()
    if item is None:
        raise NotFound(f"no content with id {content_id!r}", "content_not_found")
    cases = session.scalars(
        select(Case)
        .join(CaseItem, CaseItem.case_id == Case.id)
        .where(CaseItem.item_id == item.id)
        .order_by(Case.opened_at.desc())
    )
    for case in cases:
        last = last_final_decision(session, case.id)
        if (
            case.state in (CaseState.DECIDED, CaseState.CLOSED)
            and last is not None
            and last.outcome == Outcome.VIOLATING
        ):
            return _open(
                session, case, last, UPLOADER, platform, statement, now, deadlines, content_id
            )
    raise Conflict(
        "only content removed by a final 'violating' decision can be appealed",
        "appeal_not_allowed",
    )


def _open(
    session: Session,
    case: Case,
    against: Decision,
    by: str,
    actor: str,
    statement: str | None,
    now: datetime,
    deadlines: DeadlinePolicy,
    content_id: str | None = None,
    report_id: str | None = None,
) -> Appeal:
    statement = (statement or "").strip() or None
    appeal = Appeal(
        id=new_id("appeal"),
        case_id=case.id,
        by=by,
        report_id=report_id,
        content_id=content_id,
        statement=statement,
        against_decision_id=against.id,
        created_at=now,
    )
    session.add(appeal)
    # A new decision deadline from now: the appeal is a new piece of work with its own clock.
    due = deadlines.deadline(Priority(case.priority), now)
    reopened: CaseFields = {
        "state": transition(CaseState(case.state), CaseState.APPEALED).value,
        "deadline_started_at": now,
        "deadline_at": due,
        "escalated_at": None,
        "breached_at": None,
    }
    session.flush()
    case_log.record(
        session,
        case,
        EventType.APPEAL,
        actor,
        now,
        {
            "appeal_id": appeal.id,
            "by": by,
            "against_decision_id": against.id,
            "against_outcome": against.outcome,
            "decided_by": against.decided_by,
            "statement": statement,
            "content_id": content_id,
            "deadline_at": rfc3339(due),
        },
        reopened,
    )
    return appeal
