"""Triage: which priority a report or a bank match gets, and whether it hides content at once.

The table is DESIGN.md's "Priorities and deadlines". It answers the case behind this project:
a child's own report of his sexual videos was treated like any other complaint for nine days.
"""

from __future__ import annotations

from dataclasses import dataclass

from takedown.domain.vocabulary import (
    CHILD_SAFETY_CATEGORIES,
    RESTRICT_FIRST_ROLES,
    Category,
    Priority,
    ReporterRole,
)

# The third distinct reporter raises a case one level (DESIGN.md).
REPORTERS_FOR_RAISE = 3


@dataclass(frozen=True)
class Triage:
    priority: Priority
    restrict: bool
    child_safety: bool
    reason: str


# Sexual material, as triage counts it: a minor in any of it is child sexual exploitation.
SEXUAL_IMAGERY = frozenset(
    {
        Category.CHILD_SEXUAL_EXPLOITATION,
        Category.NON_CONSENSUAL_INTIMATE_IMAGERY,
        Category.SEXTORTION,
    }
)


def is_child_safety(category: Category, depicts_minor: bool) -> bool:
    """Whether a report is about a child's safety; who reported it does not change that."""
    return category in CHILD_SAFETY_CATEGORIES or (category in SEXUAL_IMAGERY and depicts_minor)


def triage_report(category: Category, role: ReporterRole, depicts_minor: bool) -> Triage:
    """Priority and immediate effect of one report, from what the reporter told us.

    A minor in intimate imagery is child sexual exploitation whatever box was ticked, so NCII and
    sextortion reports that say a minor is depicted are triaged as child safety.
    """
    sexual = category in SEXUAL_IMAGERY
    minor_indicated = depicts_minor or category is Category.CHILD_SEXUAL_EXPLOITATION
    child_safety = is_child_safety(category, depicts_minor)

    if sexual and minor_indicated and role in RESTRICT_FIRST_ROLES:
        return Triage(Priority.P0, True, True, "minor in sexual content, reported by " + role)
    # Grooming is always about a child; a message grooming one, reported by the child, a
    # parent or a vetted reporter, is hidden at once like sexual content (issue 13: sextortion
    # and grooming happen in messages).
    if category is Category.GROOMING and role in RESTRICT_FIRST_ROLES:
        return Triage(Priority.P0, True, True, "grooming of a child, reported by " + role)
    if child_safety:
        return Triage(Priority.P1, False, True, "child-safety report by " + role)
    if (
        category in (Category.NON_CONSENSUAL_INTIMATE_IMAGERY, Category.SEXTORTION)
        and role is ReporterRole.DEPICTED_PERSON
    ):
        restrict = category is Category.NON_CONSENSUAL_INTIMATE_IMAGERY
        return Triage(Priority.P1, restrict, False, f"{category} reported by the depicted person")
    if category in (Category.SPAM, Category.OTHER):
        return Triage(Priority.P3, False, False, f"{category} report")
    return Triage(Priority.P2, False, False, f"{category} report")


def triage_bank_match(child_safety_bank: bool) -> Triage:
    """A match in a child-safety bank is P0 and hides the content before anyone looks."""
    if child_safety_bank:
        return Triage(Priority.P0, True, True, "match in a child-safety bank")
    return Triage(Priority.P2, False, False, "match in a bank")


def case_priority(report_priorities: list[Priority], distinct_reporters: int) -> Priority:
    """The case's priority: its most urgent report, one level higher from the third reporter.

    Distinct reporters, not reports: one person reporting five times is still one voice.
    """
    if not report_priorities:
        raise ValueError("a case has at least one report or match")
    base = Priority.most_urgent(*report_priorities)
    if distinct_reporters >= REPORTERS_FOR_RAISE:
        return base.raised()
    return base
