"""The TAKE IT DOWN Act's 48-hour removal clock, tracked apart from the decision deadline.

A valid request from the depicted person (domain.take_it_down) starts the clock on its case;
it stops when every item of the case is removed, or when the case is finally decided not
violating. The deadline sweep escalates it at half time to leads and admins and marks it
breached at 48 hours: the Act's deadline may never be exceeded, so it is raised early and
reported on its own (`clock: take_it_down` in the events).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain.case_projection import CaseFields
from takedown.domain.case_state import transition
from takedown.domain.deadlines import DeadlinePolicy
from takedown.domain.take_it_down import ClockStage, clock_stage
from takedown.domain.vocabulary import CaseState, ContentState, EventType
from takedown.services import case_log
from takedown.store.models import Case

SWEEPER = "system:take-it-down-clock"
WINDOW = DeadlinePolicy().take_it_down_window


def start_clock(case: Case, now: datetime, policy: DeadlinePolicy) -> datetime:
    """Start the clock once; a later request on the same case never moves it out."""
    due = now + policy.take_it_down_window
    if case.removal_due_at is None or due < case.removal_due_at:
        case.removal_due_at = due
    if case.removal_closed_at is not None:
        # Content still up after an earlier stop (a new request after a restore): run again.
        case.removal_closed_at = None
        case.removal_escalated_at = None
        case.removal_breached_at = None
        case.removal_due_at = due
    return case.removal_due_at


def stop_clock(session: Session, case: Case, actor: str, now: datetime, reason: str) -> bool:
    if case.removal_due_at is None or case.removal_closed_at is not None:
        return False
    case_log.record(
        session,
        case,
        EventType.CLOCK_STOPPED,
        actor,
        now,
        {"stopped": "take_it_down", "reason": reason},
        changes={"removal_closed_at": now},
    )
    return True


def sweep_removal_clocks(session: Session, now: datetime) -> int:
    """Escalate and breach running clocks. Idempotent: each step is recorded once per clock."""
    changed = 0
    running = select(Case).where(
        Case.removal_due_at.is_not(None),
        Case.removal_closed_at.is_(None),
        Case.removal_breached_at.is_(None),
    )
    for case in session.scalars(running):
        due = case.removal_due_at
        assert due is not None
        if case.links and all(link.item.state == ContentState.REMOVED for link in case.links):
            stop_clock(session, case, SWEEPER, now, "content removed")
            continue
        stage = clock_stage(due, WINDOW, now)
        if stage is ClockStage.RUNNING:
            continue
        if case.removal_escalated_at is None:
            escalated: CaseFields = {"removal_escalated_at": now}
            if case.state == CaseState.OPEN:
                escalated["state"] = transition(CaseState.OPEN, CaseState.ESCALATED).value
            why, to = "take_it_down_halfway", "leads, admins"
            _raise(session, case, now, EventType.ESCALATE, why, to, escalated)
            changed += 1
        if stage is ClockStage.BREACHED:
            breached: CaseFields = {"removal_breached_at": now}
            _raise(
                session, case, now, EventType.BREACH, "take_it_down_breached", "admins", breached
            )
            changed += 1
    return changed


def _raise(
    session: Session,
    case: Case,
    now: datetime,
    type: EventType,
    reason: str,
    to: str,
    changes: CaseFields,
) -> None:
    due = rfc3339(case.removal_due_at) if case.removal_due_at else None
    event = case_log.record(
        session,
        case,
        type,
        SWEEPER,
        now,
        {"clock": "take_it_down", "reason": reason, "raised_to": to, "removal_due_at": due},
        changes,
    )
    case_log.announce_escalation(session, event, case, reason, due)


def clock_json(case: Case) -> dict[str, str | None] | None:
    if case.removal_due_at is None:
        return None

    def at(value: datetime | None) -> str | None:
        return rfc3339(value) if value else None

    return {
        "removal_due_at": at(case.removal_due_at),
        "escalated_at": at(case.removal_escalated_at),
        "breached_at": at(case.removal_breached_at),
        "stopped_at": at(case.removal_closed_at),
    }
