"""The TAKE IT DOWN Act's removal request: what makes one valid, and its 48-hour clock.

A covered platform must remove an intimate visual depiction within 48 hours of a valid request
from the depicted person (or someone authorised to act for them), and make reasonable efforts
to remove identical copies. A valid request carries the person's own signature (physical or
electronic) and a brief statement of good faith that the depiction is not consensual. That
signature is part of the request the Act defines, not a demand for identity: it is optional on
every other report (DESIGN rule 2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from takedown.domain.vocabulary import Category, ReporterRole

# Intimate imagery of the depicted person, whatever the category the reporter chose for it.
REQUEST_CATEGORIES = frozenset(
    {
        Category.NON_CONSENSUAL_INTIMATE_IMAGERY,
        Category.CHILD_SEXUAL_EXPLOITATION,
        Category.SEXTORTION,
    }
)
# The depicted person, or a person authorised to act on their behalf (a parent for a minor).
REQUEST_ROLES = frozenset({ReporterRole.DEPICTED_PERSON, ReporterRole.PARENT_GUARDIAN})


def is_removal_request(
    category: Category, role: ReporterRole, good_faith_statement: bool, signature: str | None
) -> bool:
    """A report that starts the Act's removal clock."""
    return (
        category in REQUEST_CATEGORIES
        and role in REQUEST_ROLES
        and good_faith_statement
        and bool(signature and signature.strip())
    )


class ClockStage(StrEnum):
    RUNNING = "running"
    HALFWAY = "halfway"  # flagged to leads and admins: the Act's deadline may never pass
    BREACHED = "breached"


def clock_stage(due_at: datetime, window: timedelta, now: datetime) -> ClockStage:
    if now >= due_at:
        return ClockStage.BREACHED
    if now >= due_at - window / 2:
        return ClockStage.HALFWAY
    return ClockStage.RUNNING
