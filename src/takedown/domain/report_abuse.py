"""Abuse of reporting: a brigade must not be able to keep benign content hidden.

Restrict-first (DESIGN rule 3) trusts one report from the depicted person, a guardian or a
vetted organisation. Counting reporters is weaker evidence: the third distinct reporter raises a
case one level, and a child-safety case raised to P0 that way would be hidden at once. Many
reporters who never reported anything before, all arriving within minutes, look like a
coordinated campaign rather than independent witnesses. Such a burst still brings the decision
forward (a reviewer looks sooner), but the restriction it alone would cause is withheld until a
human has reviewed the case and its reporters, and the case is flagged for that review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from takedown.domain.triage import REPORTERS_FOR_RAISE


@dataclass(frozen=True)
class BurstPolicy:
    """What counts as a burst of new reporters on one item."""

    # Reports arriving within this window of the newest one are counted together.
    window: timedelta = timedelta(minutes=15)
    # A reporter is "new" when their first report anywhere is this recent.
    new_reporter_age: timedelta = timedelta(days=1)
    # As many as it takes to raise a case by counting reporters: below this, no count-based
    # effect exists for a brigade to exploit.
    threshold: int = REPORTERS_FOR_RAISE


@dataclass(frozen=True)
class ReporterSighting:
    """One report on the item, with what we know of its reporter (no identity, only a key)."""

    reporter_key: str
    reported_at: datetime
    # The reporter's first report on any item.
    first_seen_at: datetime
    # No platform account vouches for the reporter (an email address proves nothing).
    anonymous: bool


def new_reporters_in_burst(
    sightings: Iterable[ReporterSighting], now: datetime, policy: BurstPolicy
) -> int:
    """How many distinct new, anonymous reporters reported within the window before `now`."""
    keys = {
        s.reporter_key
        for s in sightings
        if s.anonymous
        and timedelta(0) <= now - s.reported_at <= policy.window
        and s.reported_at - s.first_seen_at <= policy.new_reporter_age
    }
    return len(keys)


def is_burst(sightings: Iterable[ReporterSighting], now: datetime, policy: BurstPolicy) -> bool:
    return new_reporters_in_burst(sightings, now, policy) >= policy.threshold


@dataclass(frozen=True)
class RestrictionCall:
    restrict: bool
    # True when a count-based restriction was withheld because the count is a burst.
    withheld: bool


def restriction_after_report(
    restrict_by_triage: bool,
    restriction_required: bool,
    raised_to_p0_by_count: bool,
    burst: bool,
) -> RestrictionCall:
    """Whether to hide the case's content after a report, and whether a burst held it back.

    A single report that restricts on its own (a depicted person, guardian, trusted flagger or
    law enforcement saying a minor is in sexual content) and a case already required hidden
    are never affected by the burst rule: that would let a brigade block a real victim.
    """
    if restrict_by_triage or restriction_required:
        return RestrictionCall(restrict=True, withheld=False)
    if raised_to_p0_by_count:
        return RestrictionCall(restrict=not burst, withheld=burst)
    return RestrictionCall(restrict=False, withheld=False)
