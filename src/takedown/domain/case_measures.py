"""How long a case took at each step, from its history alone (issue 14).

The case behind this project took nine days and nobody inside noticed. These measures make
that time visible: from the first report (or bank match) to the content being hidden, to the
first human decision, to removal, to NCMEC accepting the CyberTipline report; whether the
decision deadline and the TAKE IT DOWN Act's 48 hours were met; and how many people saw the
content after someone first said it was abuse. Pure functions: events and time come in as
arguments, so a replay at accelerated time measures exactly what production would.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from takedown.domain.vocabulary import EventType

# Actors that are rules, not people (the deadline sweep, bank matching, filing, ...).
SYSTEM_PREFIX = "system"


@dataclass(frozen=True)
class Step:
    """One event of a case's history, as the measures need it."""

    type: str
    actor: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class CaseClock:
    """The case row's deadlines at the time of measuring."""

    deadline_at: datetime
    removal_due_at: datetime | None = None
    removal_closed_at: datetime | None = None


@dataclass(frozen=True)
class ViewSeries:
    """One item's view counts as the platform reported them, oldest first."""

    created_at: datetime
    counts: Sequence[tuple[datetime, int]]


@dataclass(frozen=True)
class Measures:
    first_report_at: datetime | None
    report_to_restriction_s: float | None
    report_to_decision_s: float | None
    report_to_removal_s: float | None
    filing_delay_s: float | None
    deadline_met: bool | None
    take_it_down_met: bool | None
    views_after_first_report: int | None
    automated: bool

    def as_json(self) -> dict[str, Any]:
        """The `measures` object of GET /v1/cases/{id} (API.md)."""
        return {
            "report_to_restriction_s": self.report_to_restriction_s,
            "report_to_decision_s": self.report_to_decision_s,
            "report_to_removal_s": self.report_to_removal_s,
            "filing_delay_s": self.filing_delay_s,
            "deadline_met": self.deadline_met,
            "take_it_down_met": self.take_it_down_met,
            "views_after_first_report": self.views_after_first_report,
        }


# What `measure` reads of a history: of these types every event (a case has few of each),
# of the first-report types only the earliest (a viral case has one per report). A history cut
# down to these, in order, measures the same as the whole one.
EVERY_EVENT = frozenset(
    {EventType.RESTRICT, EventType.ACTION, EventType.DECIDE, EventType.FILE, EventType.BREACH}
)
EARLIEST_ONLY = frozenset({EventType.REPORT, EventType.MATCH})


def _first(steps: Iterable[Step], *types: EventType, **data: Any) -> Step | None:
    wanted = {t.value for t in types}
    for step in steps:
        if step.type in wanted and all(step.data.get(k) == v for k, v in data.items()):
            return step
    return None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end; an end before the start (hidden at upload, then reported)
    counts as zero: the content was already out of sight when the report came."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def is_human(actor: str) -> bool:
    return not (actor.startswith(SYSTEM_PREFIX) or actor.startswith("reporter:"))


def measure(
    steps: Sequence[Step],
    clock: CaseClock,
    now: datetime,
    views: Sequence[ViewSeries] = (),
) -> Measures:
    """The measures of one case from its history (`steps` in order) at time `now`.

    - first report: the first `report` or `match` event;
    - restriction: the first `restrict` event or removal, whichever came first;
    - decision: the first `decide` event (a person's, first stage or not);
    - removal: the first `action` that removed an item;
    - filing delay: first report to the CyberTipline report accepted by NCMEC (the law asks
      for it "as soon as reasonably possible" after actual knowledge, which the report gives);
    - deadline met: decided by the deadline; False once undecided past it; None while open;
    - TAKE IT DOWN met: only where the Act's clock runs: removed (or the request closed) by
      the due time; False once past it without removal.
    """
    ordered = sorted(steps, key=lambda s: s.at)
    first = _first(ordered, EventType.REPORT, EventType.MATCH)
    start = first.at if first else None
    removal = _first(ordered, EventType.ACTION, action="removed")
    restriction = _first(ordered, EventType.RESTRICT)
    hidden_at = min((s.at for s in (restriction, removal) if s is not None), default=None)
    decision = _first(ordered, EventType.DECIDE)
    accepted = _first(ordered, EventType.FILE, status="accepted")

    final = _first(ordered, EventType.DECIDE, final=True)
    decided_at = final.at if final else None
    if decided_at is not None:
        deadline_met: bool | None = decided_at <= clock.deadline_at
    elif removal is not None and decision is None:
        # Acted on by rule alone (a block-action bank match): the removal is the decision.
        deadline_met = removal.at <= clock.deadline_at
    elif now > clock.deadline_at or _first(ordered, EventType.BREACH) is not None:
        deadline_met = False
    else:
        deadline_met = None

    return Measures(
        first_report_at=start,
        report_to_restriction_s=_seconds(start, hidden_at),
        report_to_decision_s=_seconds(start, decision.at if decision else None),
        report_to_removal_s=_seconds(start, removal.at if removal else None),
        filing_delay_s=_seconds(start, accepted.at if accepted else None),
        deadline_met=deadline_met,
        take_it_down_met=_take_it_down_met(clock, removal, now),
        views_after_first_report=views_after(views, start),
        automated=decision is None and removal is not None and not is_human(removal.actor),
    )


def _take_it_down_met(clock: CaseClock, removal: Step | None, now: datetime) -> bool | None:
    due = clock.removal_due_at
    if due is None:
        return None
    if removal is not None:
        return removal.at <= due
    if clock.removal_closed_at is not None:
        return clock.removal_closed_at <= due
    return False if now > due else None


def views_after(series: Sequence[ViewSeries], since: datetime | None) -> int | None:
    """Views served after `since`, summed over the case's items; None when the platform sent
    no counts. An item's baseline is its last count at or before `since` (zero for an item
    uploaded after it); without one, its first count, so the figure is a lower bound."""
    if since is None:
        return None
    total: int | None = None
    for item in series:
        counts = sorted(item.counts)
        if not counts:
            continue
        if item.created_at >= since:
            baseline = 0
        else:
            before = [n for at, n in counts if at <= since]
            baseline = before[-1] if before else counts[0][1]
        total = (total or 0) + max(0, counts[-1][1] - baseline)
    return total


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile (the smallest value with at least p% of values at or below
    it): always one of the measured values, so a reported p99 is a case that happened."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError("a percentile is in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def median(values: Sequence[float]) -> float | None:
    """The ordinary median (mean of the two middle values for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2
