"""Decision deadlines and escalation (DESIGN rule 4: nothing waits in silence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from takedown.domain.vocabulary import Priority


def _default_windows() -> dict[Priority, timedelta]:
    return {
        Priority.P0: timedelta(hours=1),
        Priority.P1: timedelta(hours=4),
        Priority.P2: timedelta(hours=24),
        Priority.P3: timedelta(hours=72),
    }


@dataclass(frozen=True)
class DeadlinePolicy:
    windows: dict[Priority, timedelta] = field(default_factory=_default_windows)
    # TAKE IT DOWN Act: valid depicted-person NCII requests are removed within 48 hours.
    take_it_down_window: timedelta = timedelta(hours=48)

    def deadline(self, priority: Priority, start: datetime) -> datetime:
        return start + self.windows[priority]


class EscalationStage(StrEnum):
    NONE = "none"
    HALFWAY = "halfway"  # flagged to leads
    BREACHED = "breached"  # raised to admins


def escalation_stage(start: datetime, deadline: datetime, now: datetime) -> EscalationStage:
    """Where an undecided case stands against its deadline."""
    if now >= deadline:
        return EscalationStage.BREACHED
    if now >= start + (deadline - start) / 2:
        return EscalationStage.HALFWAY
    return EscalationStage.NONE


def next_escalation(
    awaiting_decision: bool,
    start: datetime,
    deadline: datetime,
    escalated_at: datetime | None,
    breached_at: datetime | None,
) -> datetime | None:
    """When the sweep next has a step to take on a case: halfway, then the deadline, then never.

    The same cut-offs as `escalation_stage`, so a sweep of the cases due by this time finds
    exactly the ones a full scan would have acted on.
    """
    if not awaiting_decision or breached_at is not None:
        return None
    if escalated_at is None:
        return start + (deadline - start) / 2
    return deadline


def tightened_deadline(
    current_start: datetime,
    current_deadline: datetime,
    new_priority: Priority,
    now: datetime,
    policy: DeadlinePolicy,
) -> tuple[datetime, datetime]:
    """When a case's priority rises, its deadline can only come sooner, never later."""
    candidate = policy.deadline(new_priority, now)
    if candidate < current_deadline:
        return now, candidate
    return current_start, current_deadline
