"""Bank matches as they stand now, and whether each may act (domain.match_quality).

The match index (services.match_index) only grows and is one per process; what an entry may do
changes in the shared database: retired by a reversed decision, its bank deleted or renamed,
disabled for a while through HMA, quarantined after a flood. So every match the index returns
is checked here against the database in one query, given its provenance (bank, content id,
exchange, upstream entry, the threshold applied), and filtered by suppression banks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.domain.case_state import transition
from takedown.domain.deadlines import DeadlinePolicy
from takedown.domain.match_quality import FLOOD_WINDOW, floods, vetoed
from takedown.domain.triage import Triage
from takedown.domain.vocabulary import CaseState, EventType, Priority
from takedown.exchanges.provenance import origins
from takedown.services import case_log
from takedown.services.cases import SYSTEM, link_item, open_case
from takedown.services.installation import Installation
from takedown.services.match_index import BankMatch
from takedown.signals import SIGNAL_TYPES, IndexedSignal
from takedown.store.banks import Bank, BankEntryHit, BankHash
from takedown.store.models import Case, ContentItem


@dataclass(frozen=True)
class LiveMatch(BankMatch):
    """A bank match with what a reviewer or a client needs to trust it (facebook/ThreatExchange
    #1681, #1827): the bank's current name, the entry's content id, the exchange and upstream
    entry it came from (None for entries no exchange brought), and the threshold applied."""

    bank_content_id: int = 0
    threshold: int | None = None
    quarantined: bool = False
    suppression: bool = False
    exchange: str | None = None
    upstream_id: str | None = None

    def as_json(self, case_id: str | None = None) -> dict[str, Any]:
        return {
            "bank": self.entry.bank,
            "signal": self.signal,
            **self.closeness.as_json(),
            "case_id": case_id,
            "threshold": self.threshold,
            "bank_content_id": self.bank_content_id,
            "exchange": self.exchange,
            "upstream_id": self.upstream_id,
            "quarantined": self.quarantined,
        }


@dataclass(frozen=True)
class EntryState:
    """What the database says of one bank entry now."""

    hash_id: int
    content_id: int
    bank: str
    suppression: bool
    pdq_threshold: int | None
    retired: bool
    deleted: bool
    disabled_until: datetime | None
    quarantined: bool

    def answers(self, now: datetime) -> bool:
        """Still in the bank and not disabled: it is reported as a match."""
        disabled = self.disabled_until is not None and self.disabled_until > now
        return not (self.retired or self.deleted or disabled)


def entry_states(session: Session, hash_ids: Iterable[int]) -> dict[int, EntryState]:
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            BankHash.id,
            BankHash.entry_id,
            BankHash.retired_at,
            BankHash.disabled_until,
            BankHash.quarantined_at,
            Bank.name,
            Bank.suppression,
            Bank.pdq_threshold,
            Bank.deleted_at,
        )
        .join(Bank, Bank.id == BankHash.bank_id)
        .where(BankHash.id.in_(ids))
    )
    states = {}
    for row in rows:
        states[row[0]] = EntryState(
            hash_id=row[0],
            content_id=row[1] or row[0],
            bank=row[5],
            suppression=bool(row[6]),
            pdq_threshold=row[7],
            retired=row[2] is not None,
            deleted=row[8] is not None,
            disabled_until=row[3],
            quarantined=row[4] is not None,
        )
    return states


def threshold_applied(signal: str, state: EntryState, default_pdq: int) -> int | None:
    """The distance limit the match passed: the bank's PDQ threshold (or the installation's),
    0 for exact digests; None for vPDQ, whose rule is a share of frames, not one distance."""
    if signal == "pdq":
        return default_pdq if state.pdq_threshold is None else state.pdq_threshold
    kind = SIGNAL_TYPES.get(signal)  # digests are indexed signals with threshold 0
    return kind.threshold if isinstance(kind, IndexedSignal) else None


def live(
    session: Session,
    found: list[BankMatch],
    now: datetime,
    default_pdq: int,
    banks: set[str] | None = None,
    keep_suppression: bool = False,
) -> list[LiveMatch]:
    """The matches that stand: entries still in a bank and enabled, less those vetoed by a
    suppression bank's match on the same media, limited to `banks` when given. Suppression
    matches themselves are left out unless `keep_suppression` (they never act)."""
    states = entry_states(session, [m.entry.hash_id for m in found])
    upstream = origins(session, states)
    standing: list[LiveMatch] = []
    for match in found:
        state = states.get(match.entry.hash_id)
        if state is None or not state.answers(now):
            continue
        standing.append(
            LiveMatch(
                entry=dataclasses.replace(match.entry, bank=state.bank),
                closeness=match.closeness,
                bank_content_id=state.content_id,
                threshold=threshold_applied(match.signal, state, default_pdq),
                quarantined=state.quarantined,
                suppression=state.suppression,
                exchange=upstream.get(match.entry.hash_id, (None, None))[0],
                upstream_id=upstream.get(match.entry.hash_id, (None, None))[1],
            )
        )
    suppressors = [m.signal for m in standing if m.suppression]
    out = [
        m
        for m in standing
        if (keep_suppression and m.suppression)
        or (not m.suppression and not vetoed(m.signal, suppressors))
    ]
    if banks is not None:
        out = [m for m in out if m.entry.bank in banks]
    return out


# -- flood quarantine --------------------------------------------------------------------------


def act_or_withhold(
    session: Session,
    inst: Installation,
    matches: list[LiveMatch],
    item: ContentItem,
    now: datetime,
) -> tuple[list[LiveMatch], list[LiveMatch]]:
    """Count each match against its entry's distinct items in the last hour; the entry that
    goes over the flood limit (TAKEDOWN_BANK_FLOOD_LIMIT) is quarantined and its match
    withheld, as are matches of entries already quarantined. Returns (matches that act,
    matches withheld)."""
    limit = inst.settings.bank_flood_limit
    acting: list[LiveMatch] = []
    withheld: list[LiveMatch] = []
    for match in matches:
        if match.quarantined:
            withheld.append(match)
            continue
        count = _count_hit(session, match.entry.hash_id, item.id, now)
        if floods(count, limit):
            quarantine(session, match, item, count, limit, now, inst.deadlines)
            withheld.append(dataclasses.replace(match, quarantined=True))
        else:
            acting.append(match)
    return acting, withheld


def _count_hit(session: Session, hash_id: int, item_id: str, now: datetime) -> int:
    hit = session.scalars(
        select(BankEntryHit).where(BankEntryHit.hash_id == hash_id, BankEntryHit.item_id == item_id)
    ).first()
    if hit is None:
        session.add(BankEntryHit(hash_id=hash_id, item_id=item_id, at=now))
    else:
        hit.at = now
    session.flush()
    return int(
        session.scalar(
            select(func.count())
            .select_from(BankEntryHit)
            .where(BankEntryHit.hash_id == hash_id, BankEntryHit.at > now - FLOOD_WINDOW)
        )
        or 0
    )


def quarantine(
    session: Session,
    match: LiveMatch,
    item: ContentItem,
    count: int,
    limit: int,
    now: datetime,
    deadlines: DeadlinePolicy,
) -> Case:
    """Stop the entry acting and put it before a lead: a case escalated to leads at once,
    holding the item that tipped it over, which is not hidden (the match is in doubt)."""
    row = session.get(BankHash, match.entry.hash_id)
    if row is not None:
        row.quarantined_at = now
    reason = (
        f"bank entry {match.bank_content_id} in bank {match.entry.bank} matched {count} distinct "
        f"items within an hour (limit {limit}); quarantined until a lead looks at it"
    )
    triage = Triage(Priority.P1, restrict=False, child_safety=False, reason=reason)
    case = open_case(session, triage, "other", now, deadlines)
    link_item(session, case, item, f"flood: {match.signal} {match.closeness.describe()}", now)
    case.escalated_at = now
    case.state = transition(CaseState.OPEN, CaseState.ESCALATED).value
    case_log.record(
        session,
        case,
        EventType.ESCALATE,
        SYSTEM,
        now,
        {
            "reason": "flood_quarantine",
            "raised_to": "leads",
            "bank": match.entry.bank,
            "bank_hash_id": match.entry.hash_id,
            "bank_content_id": match.bank_content_id,
            "distinct_items_in_hour": count,
            "limit": limit,
            "message": reason,
        },
    )
    return case


def quarantined_entries(session: Session, bank: Bank) -> list[BankHash]:
    return list(
        session.scalars(
            select(BankHash)
            .where(
                BankHash.bank_id == bank.id,
                BankHash.quarantined_at.isnot(None),
                BankHash.retired_at.is_(None),
            )
            .order_by(BankHash.id)
        )
    )


def release(session: Session, bank: Bank, hash_id: int) -> bool:
    """A lead found the entry sound: it acts again, its flood count starting afresh (else
    its next match would quarantine it at once). False when it was not quarantined."""
    row = session.get(BankHash, hash_id)
    if row is None or row.bank_id != bank.id or row.quarantined_at is None:
        return False
    row.quarantined_at = None
    for hit in session.scalars(select(BankEntryHit).where(BankEntryHit.hash_id == hash_id)):
        session.delete(hit)
    session.flush()
    return True
