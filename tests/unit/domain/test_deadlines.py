"""Deadlines per priority and the escalation steps at half time and at the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from takedown.domain.case_state import transition
from takedown.domain.deadlines import (
    DeadlinePolicy,
    EscalationStage,
    escalation_stage,
    tightened_deadline,
)
from takedown.domain.errors import InvalidTransition
from takedown.domain.vocabulary import CaseState, Priority

T0 = datetime(2026, 1, 21, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("priority", "hours"),
    [(Priority.P0, 1), (Priority.P1, 4), (Priority.P2, 24), (Priority.P3, 72)],
)
def test_default_deadlines(priority: Priority, hours: int) -> None:
    assert DeadlinePolicy().deadline(priority, T0) == T0 + timedelta(hours=hours)


def test_p0_escalates_at_30_minutes_and_breaches_at_60() -> None:
    deadline = DeadlinePolicy().deadline(Priority.P0, T0)
    at = lambda minutes: escalation_stage(T0, deadline, T0 + timedelta(minutes=minutes))  # noqa: E731
    assert at(29) is EscalationStage.NONE
    assert at(30) is EscalationStage.HALFWAY
    assert at(59) is EscalationStage.HALFWAY
    assert at(60) is EscalationStage.BREACHED


def test_a_rise_in_priority_only_ever_brings_the_deadline_in() -> None:
    policy = DeadlinePolicy()
    p2_deadline = policy.deadline(Priority.P2, T0)
    later = T0 + timedelta(hours=2)
    assert tightened_deadline(T0, p2_deadline, Priority.P1, later, policy) == (
        later,
        later + timedelta(hours=4),
    )
    # A P1 deadline from 23 h in would be later than the P2 one: the old deadline stands.
    late = T0 + timedelta(hours=23)
    assert tightened_deadline(T0, p2_deadline, Priority.P1, late, policy) == (T0, p2_deadline)


def test_configured_windows_replace_the_defaults() -> None:
    policy = DeadlinePolicy(
        windows={**DeadlinePolicy().windows, Priority.P0: timedelta(minutes=20)}
    )
    assert policy.deadline(Priority.P0, T0) == T0 + timedelta(minutes=20)


def test_state_machine_refuses_skipping_review() -> None:
    assert transition(CaseState.OPEN, CaseState.ESCALATED) is CaseState.ESCALATED
    assert transition(CaseState.DECIDED, CaseState.APPEALED) is CaseState.APPEALED
    with pytest.raises(InvalidTransition):
        transition(CaseState.OPEN, CaseState.APPEALED)
    with pytest.raises(InvalidTransition):
        transition(CaseState.CLOSED, CaseState.PENDING_SECOND_REVIEW)


def test_next_escalation_is_halfway_then_the_deadline_then_none() -> None:
    from datetime import UTC, datetime, timedelta

    from takedown.domain.deadlines import next_escalation

    start = datetime(2026, 1, 1, tzinfo=UTC)
    deadline = start + timedelta(hours=1)
    assert next_escalation(True, start, deadline, None, None) == start + timedelta(minutes=30)
    assert next_escalation(True, start, deadline, start, None) == deadline
    assert next_escalation(True, start, deadline, start, deadline) is None
    assert next_escalation(False, start, deadline, None, None) is None
