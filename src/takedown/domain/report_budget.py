"""Which budget a report is charged to, and what happens to one that arrives past it.

Rate limits protect the queue, but no limit may silence a child (DESIGN rule 13): teens report
from school networks and carrier NAT, where one address is hundreds of people, and a burst of
spam from that address must not use up what a child-safety report needs. So child-safety
reports have a budget of their own; and a child-safety report from the person depicted or
their guardian is accepted even past it. Past its budget such a report no longer hides content
on its own word (a flood of invented "victim" reports would otherwise hide anything): it is
kept at its priority for a reviewer, who looks within the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from takedown.domain.triage import Triage
from takedown.domain.vocabulary import ReporterRole

# Those whose child-safety report always gets through (DESIGN rule 13).
NEVER_SILENCED = frozenset({ReporterRole.DEPICTED_PERSON, ReporterRole.PARENT_GUARDIAN})


class Budget(StrEnum):
    # The names are the rate-limit scopes; "public" is the one every public route had before.
    GENERAL = "public"
    CHILD_SAFETY = "child_safety"


def budget_for(triage: Triage) -> Budget:
    return Budget.CHILD_SAFETY if triage.child_safety else Budget.GENERAL


@dataclass(frozen=True)
class Admission:
    admitted: bool
    # Accepted past its budget: stored and triaged as usual, but its own word does not hide
    # content before a reviewer looks.
    held_for_review: bool


def admission(within_budget: bool, triage: Triage, role: ReporterRole) -> Admission:
    if within_budget:
        return Admission(admitted=True, held_for_review=False)
    if triage.child_safety and role in NEVER_SILENCED:
        return Admission(admitted=True, held_for_review=True)
    return Admission(admitted=False, held_for_review=False)
