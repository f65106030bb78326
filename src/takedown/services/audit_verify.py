"""Checking the hash chains: every case's events, and the staff audit log.

Finds the first broken link of each chain: an event edited (its hash no longer matches its
fields), deleted (a gap in the sequence, or the case's head names an event that is gone), or a
case row that is not what its events add up to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, raiseload

from takedown.domain import case_projection
from takedown.services.audit_log import HEAD_ID, entry_fields
from takedown.store.audit import AuditEntry, AuditHead
from takedown.store.models import Case, CaseEvent

BATCH = 1000


@dataclass(frozen=True)
class Break:
    """The first broken link of one chain: `chain` is a case id, or "audit_log"."""

    chain: str
    seq: int
    event_id: str | None
    problem: str

    def describe(self) -> str:
        name = f"event {self.event_id} (#{self.seq})" if self.event_id else f"event #{self.seq}"
        if self.chain == "audit_log":
            name = f"audit entry #{self.seq}"
            return f"audit log: {name}: {self.problem}"
        return f"case {self.chain}: {name}: {self.problem}"


@dataclass
class Report:
    cases: int = 0
    events: int = 0
    audit_entries: int = 0
    rebuilt: int = 0
    breaks: list[Break] | None = None

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(session: Session) -> Report:
    """Walk every chain once, in batches, and name the first broken link of each."""
    report = Report(breaks=[])
    assert report.breaks is not None
    events = _events_by_case(session)
    pending = next(events, None)
    cases = select(Case).options(raiseload("*")).order_by(Case.id)
    for case in session.scalars(cases.execution_options(yield_per=BATCH)):
        report.cases += 1
        while pending is not None and pending[0] < case.id:
            # Events of a case that is gone: the case row was deleted by hand.
            report.breaks.append(
                Break(pending[0], pending[1][0].seq, pending[1][0].id, "its case row is missing")
            )
            pending = next(events, None)
        mine: list[CaseEvent] = []
        if pending is not None and pending[0] == case.id:
            mine = pending[1]
            pending = next(events, None)
        report.events += len(mine)
        problem = check_case(case, mine)
        if problem is not None:
            report.breaks.append(problem)
        elif mine and "state" in mine[0].changes:
            report.rebuilt += 1
        session.expunge(case)
    while pending is not None:
        report.breaks.append(
            Break(pending[0], pending[1][0].seq, pending[1][0].id, "its case row is missing")
        )
        pending = next(events, None)
    audit = check_audit_log(session)
    report.audit_entries = audit[0]
    if audit[1] is not None:
        report.breaks.append(audit[1])
    return report


def _events_by_case(session: Session) -> Iterator[tuple[str, list[CaseEvent]]]:
    rows = session.scalars(
        select(CaseEvent)
        .order_by(CaseEvent.case_id, CaseEvent.seq)
        .execution_options(yield_per=BATCH)
    )
    current: str | None = None
    batch: list[CaseEvent] = []
    for event in rows:
        if event.case_id != current:
            if current is not None:
                yield current, batch
            current, batch = event.case_id, []
        batch.append(event)
    if current is not None:
        yield current, batch


def check_case(case: Case, events: list[CaseEvent]) -> Break | None:
    """The first broken link of one case's chain, or its row differing from its events."""
    prev = case_projection.GENESIS
    for expected, event in enumerate(events, start=1):
        if event.seq != expected:
            return Break(case.id, expected, None, f"is missing (deleted); next is {event.id}")
        if event.prev_hash != prev:
            return Break(case.id, event.seq, event.id, "does not link to the event before it")
        if event_digest(event) != event.hash:
            return Break(case.id, event.seq, event.id, "was altered: its hash does not match")
        prev = event.hash
    if case.event_seq != len(events):
        missing = len(events) + 1
        return Break(case.id, missing, None, "is missing (deleted): the case's newest event")
    if case.event_hash != prev:
        last = events[-1] if events else None
        return Break(
            case.id,
            len(events),
            last.id if last else None,
            "is not the head the case row names",
        )
    if events and "state" in events[0].changes:
        differs = rebuild_differences(case, events)
        if differs:
            return Break(
                case.id,
                len(events),
                events[-1].id,
                "the case row differs from what its events add up to in " + ", ".join(differs),
            )
    return None


def event_digest(event: CaseEvent) -> str:
    fields = case_projection.event_fields(
        event.id,
        event.case_id,
        event.seq,
        event.type,
        event.actor,
        event.at,
        event.data,
        event.changes,
    )
    return case_projection.link_hash(event.prev_hash, fields)


def rebuild(events: list[CaseEvent]) -> SimpleNamespace:
    """A case row built from nothing but its events."""
    row = SimpleNamespace(**{name: None for name in case_projection.FIELDS}, updated_at=None)
    for event in events:
        case_projection.apply(row, event.changes, event.at)
    return row


def rebuild_differences(case: Case, events: list[CaseEvent]) -> list[str]:
    """The case fields whose stored value is not what the events add up to."""
    rebuilt = rebuild(events)
    names = (*case_projection.FIELDS, "updated_at")
    return [name for name in names if getattr(rebuilt, name) != getattr(case, name)]


def check_audit_log(session: Session) -> tuple[int, Break | None]:
    """How many entries the audit log has, and its first broken link."""
    prev = case_projection.GENESIS
    count = 0
    first_break: Break | None = None
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=BATCH)
    )
    for entry in rows:
        count += 1
        if first_break is not None:
            continue
        if entry.seq != count:
            first_break = Break("audit_log", count, None, "is missing (deleted)")
        elif entry.prev_hash != prev:
            first_break = Break("audit_log", entry.seq, None, "does not link to the one before")
        elif _entry_digest(entry) != entry.hash:
            first_break = Break(
                "audit_log", entry.seq, None, "was altered: its hash does not match"
            )
        prev = entry.hash
    if first_break is None:
        head = session.get(AuditHead, HEAD_ID)
        head_seq, head_hash = (head.seq, head.hash) if head else (0, case_projection.GENESIS)
        if head_seq != count:
            first_break = Break("audit_log", count + 1, None, "is missing (deleted): the newest")
        elif head_hash != prev:
            first_break = Break("audit_log", count, None, "is not the head the log names")
    return count, first_break


def _entry_digest(entry: AuditEntry) -> str:
    data: dict[str, Any] = entry.data
    fields = entry_fields(entry.seq, entry.at, entry.actor, entry.action, entry.target, data)
    return case_projection.link_hash(entry.prev_hash, fields)
