"""How long preserved evidence is kept (DESIGN rule 7).

The REPORT Act requires a provider to preserve the contents of a CyberTipline report for one
year after filing; nothing here can shorten that. Evidence of a case still waiting for a
decision, or of a filing not yet accepted, is kept without an end date. A legal hold (checked
by the caller) outlives every date computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MINIMUM_AFTER_FILING = timedelta(days=365)


@dataclass(frozen=True)
class RetentionPolicy:
    after_decision: timedelta = timedelta(days=90)
    after_filing: timedelta = MINIMUM_AFTER_FILING

    def __post_init__(self) -> None:
        if self.after_filing < MINIMUM_AFTER_FILING:
            # The law's minimum is not a setting.
            object.__setattr__(self, "after_filing", MINIMUM_AFTER_FILING)


@dataclass(frozen=True)
class CaseStanding:
    """What retention needs to know about one case an item belongs to."""

    decided_at: datetime | None
    filing_required: bool
    filed_at: datetime | None


def retain_until(cases: list[CaseStanding], policy: RetentionPolicy) -> datetime | None:
    """The end of retention for an item's evidence, or None while it must be kept open-ended."""
    ends: list[datetime] = []
    for case in cases:
        if case.decided_at is None:
            return None
        if case.filing_required:
            if case.filed_at is None:
                return None
            ends.append(case.filed_at + policy.after_filing)
        else:
            ends.append(case.decided_at + policy.after_decision)
    return max(ends) if ends else None
