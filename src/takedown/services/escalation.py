"""The deadline sweep: cases near or past their deadline escalate on their own (rule 4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain.case_projection import CaseFields
from takedown.domain.case_state import AWAITING_DECISION, transition
from takedown.domain.deadlines import EscalationStage, escalation_stage
from takedown.domain.vocabulary import CaseState, EventType
from takedown.jobs import JobContext, Sweep
from takedown.services import case_log
from takedown.services.take_it_down import sweep_removal_clocks
from takedown.store.models import Case

SWEEPER = "system:deadline-sweep"
SWEEP_BATCH = 500


def sweep(session: Session, now: datetime) -> int:
    """Escalate every undecided case at half its deadline, mark it breached at the deadline.

    Idempotent: each step is recorded once per deadline, however often the sweep runs.
    """
    changed = 0
    # Only the cases with a step due, by an indexed column, a bounded batch a pass: the rest
    # wait for the next pass (every few seconds) rather than one pass loading every open case.
    due = (
        select(Case)
        .where(Case.next_escalation_at <= now)
        .order_by(Case.next_escalation_at)
        .limit(SWEEP_BATCH)
    )
    for case in session.scalars(due):
        if CaseState(case.state) not in AWAITING_DECISION:
            continue
        stage = escalation_stage(case.deadline_started_at, case.deadline_at, now)
        if stage is EscalationStage.NONE:
            continue
        if case.escalated_at is None:
            _escalate(session, case, now, "halfway", "leads")
            changed += 1
        if stage is EscalationStage.BREACHED:
            event = case_log.record(
                session,
                case,
                EventType.BREACH,
                SWEEPER,
                now,
                {"deadline_at": rfc3339(case.deadline_at), "raised_to": "admins"},
                changes={"breached_at": now},
            )
            deadline = rfc3339(case.deadline_at)
            case_log.announce_escalation(session, event, case, "breached", deadline)
            changed += 1
    # The TAKE IT DOWN Act's removal clock is escalated on its own (services.take_it_down).
    changed += sweep_removal_clocks(session, now)
    return changed


def _escalate(session: Session, case: Case, now: datetime, why: str, to: str) -> None:
    changes: CaseFields = {"escalated_at": now}
    if case.state == CaseState.OPEN:
        changes["state"] = transition(CaseState.OPEN, CaseState.ESCALATED).value
    event = case_log.record(
        session,
        case,
        EventType.ESCALATE,
        SWEEPER,
        now,
        {"reason": why, "raised_to": to, "deadline_at": rfc3339(case.deadline_at)},
        changes,
    )
    case_log.announce_escalation(session, event, case, why, rfc3339(case.deadline_at))


def _run_sweep(_ctx: JobContext, session: Session, now: datetime) -> int:
    return sweep(session, now)


DEADLINE_SWEEP = Sweep("deadlines", _run_sweep)
