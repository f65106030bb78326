"""The case state machine. A transition not listed here is a bug or a race, and is refused."""

from __future__ import annotations

from takedown.domain.errors import InvalidTransition
from takedown.domain.vocabulary import CaseState

_ALLOWED: dict[CaseState, frozenset[CaseState]] = {
    CaseState.OPEN: frozenset(
        {CaseState.ESCALATED, CaseState.PENDING_SECOND_REVIEW, CaseState.DECIDED}
    ),
    CaseState.ESCALATED: frozenset({CaseState.PENDING_SECOND_REVIEW, CaseState.DECIDED}),
    CaseState.PENDING_SECOND_REVIEW: frozenset(
        {CaseState.DECIDED, CaseState.OPEN, CaseState.ESCALATED}
    ),
    CaseState.DECIDED: frozenset({CaseState.APPEALED, CaseState.CLOSED, CaseState.OPEN}),
    CaseState.APPEALED: frozenset(
        {CaseState.DECIDED, CaseState.PENDING_SECOND_REVIEW, CaseState.ESCALATED}
    ),
    CaseState.CLOSED: frozenset({CaseState.APPEALED, CaseState.OPEN}),
}

# Cases still waiting for a human decision: the deadline sweep watches these.
AWAITING_DECISION = frozenset(
    {CaseState.OPEN, CaseState.ESCALATED, CaseState.PENDING_SECOND_REVIEW, CaseState.APPEALED}
)


def transition(current: CaseState, target: CaseState) -> CaseState:
    if target == current:
        return current
    if target not in _ALLOWED[current]:
        raise InvalidTransition(f"a case cannot go from {current} to {target}")
    return target
