"""Banks: creating them, adding hashes (JSON or CSV), exporting and listing them.

A batch of hashes is checked whole before anything is stored: one bad row refuses the batch
with every bad row named, so an analyst fixes the file once and nothing half-imported has to
be found and cleaned up. Adding hashes queues a retroactive scan of stored content
(services.matching), so the request returns at once and the scan runs in the worker.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain.banks import BankAction
from takedown.services.errors import Conflict, Invalid, NotFound
from takedown.services.installation import installation_of
from takedown.services.matching import BANK_SCAN_JOB
from takedown.signals import SIGNAL_TYPES, signal_type
from takedown.store.banks import Bank, BankHash
from takedown.store.models import ContentItem
from takedown.store.types import new_id

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_BATCH = 100_000
MAX_ERRORS_SHOWN = 20
CSV_COLUMNS = ("signal", "value", "note")


@dataclass(frozen=True)
class HashEntry:
    """One validated hash: the signal, its canonical value and an optional note."""

    signal: str
    value: str
    note: str | None = None
    case_id: str | None = None


@dataclass(frozen=True)
class AddResult:
    added: int
    duplicates: int
    hash_ids: list[int]


def create_bank(
    session: Session,
    name: str,
    action: str,
    child_safety: bool,
    description: str | None,
    actor: str,
    now: datetime,
    pdq_threshold: int | None = None,
    suppression: bool = False,
) -> Bank:
    if not NAME.fullmatch(name):
        raise Invalid(
            "a bank name is 1 to 100 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            "invalid_bank_name",
        )
    try:
        BankAction(action)
    except ValueError:
        raise Invalid("action must be one of block, hold, review", "invalid_action") from None
    if pdq_threshold is not None and not 0 <= pdq_threshold <= 128:
        raise Invalid("pdq_threshold must be from 0 to 128", "invalid_threshold")
    if session.scalars(select(Bank).where(Bank.name == name)).first() is not None:
        raise Conflict(f"a bank named {name!r} already exists", "bank_exists")
    bank = Bank(
        id=new_id("bank"),
        name=name,
        action=action,
        child_safety=child_safety,
        description=description,
        pdq_threshold=pdq_threshold,
        suppression=suppression,
        enabled_ratio=1.0,
        created_at=now,
        created_by=actor,
    )
    session.add(bank)
    session.flush()
    return bank


def get_bank(session: Session, name: str) -> Bank:
    bank = session.scalars(select(Bank).where(Bank.name == name, Bank.deleted_at.is_(None))).first()
    if bank is None:
        raise NotFound(f"no bank named {name!r}", "bank_not_found")
    return bank


def list_banks(session: Session) -> list[tuple[Bank, int]]:
    rows = session.execute(select(BankHash.bank_id, func.count()).group_by(BankHash.bank_id))
    counts = {bank_id: count for bank_id, count in rows}
    banks = session.scalars(select(Bank).where(Bank.deleted_at.is_(None)).order_by(Bank.name))
    return [(bank, counts.get(bank.id, 0)) for bank in banks]


def quarantined_counts(session: Session) -> dict[str, int]:
    """Per bank id, how many entries flood quarantine has stopped (services.match_policy)."""
    rows = session.execute(
        select(BankHash.bank_id, func.count())
        .where(BankHash.quarantined_at.isnot(None), BankHash.retired_at.is_(None))
        .group_by(BankHash.bank_id)
    )
    return {bank_id: count for bank_id, count in rows}


# -- reading batches ------------------------------------------------------------------------


def canonical(signal: object, value: object) -> tuple[str, str]:
    """The signal's name and the value's canonical text; ValueError says what is wrong."""
    if not isinstance(signal, str) or signal.strip().lower() not in SIGNAL_TYPES:
        raise ValueError(f"signal must be one of {', '.join(SIGNAL_TYPES)}")
    name = signal.strip().lower()
    return name, signal_type(name).validate(value)


def _refuse(errors: list[str], total: int) -> Invalid:
    shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
    more = f" (and {len(errors) - MAX_ERRORS_SHOWN} more)" if len(errors) > MAX_ERRORS_SHOWN else ""
    return Invalid(
        f"{len(errors)} of {total} rows are invalid and nothing was stored: {shown}{more}",
        "invalid_hashes",
    )


def parse_json_hashes(body: object) -> list[HashEntry]:
    """`{"hashes": [{"signal", "value", "note"?}, ...]}` as entries, or Invalid naming rows."""
    rows = body.get("hashes") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        raise Invalid('send {"hashes": [{"signal": ..., "value": ...}, ...]}', "invalid_hashes")
    return _entries([(f"hashes[{i}]", row) for i, row in enumerate(rows)])


def parse_csv_hashes(text: str) -> list[HashEntry]:
    """CSV `signal,value[,note]`, with or without a header row; vPDQ values are JSON text."""
    rows = list(csv.reader(io.StringIO(text)))
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if numbered and [c.strip().lower() for c in numbered[0][1][:2]] == ["signal", "value"]:
        numbered = numbered[1:]
    if not numbered:
        raise Invalid("the CSV has no rows; columns are signal,value[,note]", "invalid_hashes")
    items: list[tuple[str, object]] = []
    for n, row in numbered:
        if len(row) not in (2, 3):
            items.append((f"line {n}", None))
            continue
        note = row[2] if len(row) == 3 else None
        items.append((f"line {n}", {"signal": row[0], "value": row[1].strip(), "note": note}))
    return _entries(items)


def _entries(rows: list[tuple[str, object]]) -> list[HashEntry]:
    if len(rows) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} hashes per request", "too_many_hashes")
    errors: list[str] = []
    out: list[HashEntry] = []
    for where, row in rows:
        if not isinstance(row, dict):
            errors.append(f"{where}: expected signal,value[,note]")
            continue
        note = row.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 2000):
            errors.append(f"{where}: note must be text of at most 2000 characters")
            continue
        try:
            signal, value = canonical(row.get("signal"), row.get("value"))
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            continue
        out.append(HashEntry(signal, value, (note or None) if isinstance(note, str) else None))
    if errors:
        raise _refuse(errors, len(rows))
    return out


# -- storing --------------------------------------------------------------------------------


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def add_hashes(
    session: Session, bank: Bank, entries: list[HashEntry], actor: str, now: datetime
) -> AddResult:
    """Store the entries not already in the bank and queue the retroactive scan for them.

    An entry that was retired (its decision reversed) and is banked again acts again.
    """
    wanted = {(e.signal, digest(e.value)): e for e in entries}
    existing = {
        (row.signal, row.digest): row
        for row in session.scalars(
            select(BankHash).where(
                BankHash.bank_id == bank.id,
                BankHash.digest.in_(sorted({d for _, d in wanted})),
            )
        )
    }
    for key, row in existing.items():
        if row.retired_at is not None and key in wanted:
            row.retired_at = None
            row.case_id = wanted[key].case_id
            row.note = wanted[key].note
    rows = [
        BankHash(
            bank_id=bank.id,
            signal=e.signal,
            value=e.value,
            digest=key[1],
            note=e.note,
            added_at=now,
            added_by=actor,
            case_id=e.case_id,
        )
        for key, e in wanted.items()
        if key not in existing
    ]
    session.add_all(rows)
    session.flush()
    ids = [r.id for r in rows]
    if ids:
        BANK_SCAN_JOB.enqueue(session, {"bank": bank.name, "hash_ids": ids}, now)
    return AddResult(added=len(rows), duplicates=len(entries) - len(rows), hash_ids=ids)


def retire_case_hashes(session: Session, bank: Bank, case_id: str, now: datetime) -> int:
    """Stop acting on the hashes a case put in this bank (its decision was reversed)."""
    rows = list(
        session.scalars(
            select(BankHash).where(
                BankHash.bank_id == bank.id,
                BankHash.case_id == case_id,
                BankHash.retired_at.is_(None),
            )
        )
    )
    for row in rows:
        row.retired_at = now
    return len(rows)


def retired_hash_ids(session: Session, hash_ids: list[int]) -> set[int]:
    """Which of these bank entries no longer act. Every process's index keeps retired rows,
    so matches are checked here, against the database that all of them share."""
    if not hash_ids:
        return set()
    return set(
        session.scalars(
            select(BankHash.id).where(BankHash.id.in_(hash_ids), BankHash.retired_at.isnot(None))
        )
    )


def ensure_bank(
    session: Session,
    name: str,
    action: str,
    child_safety: bool,
    description: str,
    actor: str,
    now: datetime,
) -> Bank:
    """The bank called `name`, created with these settings if it does not exist yet."""
    found = session.scalars(select(Bank).where(Bank.name == name)).first()
    return found or create_bank(session, name, action, child_safety, description, actor, now)


def bank_items(
    session: Session,
    bank: Bank,
    items: list[ContentItem],
    note: str,
    actor: str,
    now: datetime,
    case_id: str | None = None,
    video_parts: dict[str, str] | None = None,
) -> AddResult:
    """Add the stored signals of these items to the bank (a confirmed case's media, so new
    uploads of it are refused: DESIGN rule 6). Low-quality PDQ hashes are left out.

    `video_parts` gives, by item id, the vPDQ value to bank in place of the item's whole
    video: the part of a compilation that matched, not its other footage.
    """
    entries = []
    parts = video_parts or {}
    quality_min = installation_of(session).settings.pdq_quality_min
    for item in items:
        for s in item.signals:
            kind = SIGNAL_TYPES.get(s.signal)  # index-only rows (pdq_dihedral) are not banked
            if kind is None or not kind.acts_alone(s.quality, quality_min):
                continue
            if s.signal == "vpdq" and item.id in parts:
                note_part = f"{note} ({item.content_id}, the matched part)"
                entries.append(HashEntry("vpdq", parts[item.id], note_part, case_id))
                continue
            entries.append(HashEntry(s.signal, s.value, f"{note} ({item.content_id})", case_id))
    if not entries:
        return AddResult(0, 0, [])
    return add_hashes(session, bank, entries, actor, now)


def export_csv(session: Session, bank: Bank) -> str:
    """The bank as CSV `signal,value,note`, oldest first, readable by `parse_csv_hashes`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = session.scalars(
        select(BankHash).where(BankHash.bank_id == bank.id).order_by(BankHash.id)
    )
    for row in rows:
        writer.writerow([row.signal, row.value, row.note or ""])
    return out.getvalue()


def bank_json(
    bank: Bank, hash_count: int | None = None, quarantined: int | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": bank.name,
        "action": bank.action,
        "child_safety": bank.child_safety,
        "description": bank.description,
        "pdq_threshold": bank.pdq_threshold,
        "created_at": rfc3339(bank.created_at),
        "created_by": bank.created_by,
        "suppression": bank.suppression,
        "enabled_ratio": bank.enabled_ratio,
    }
    if hash_count is not None:
        out["hash_count"] = hash_count
    if quarantined is not None:
        out["quarantined_count"] = quarantined
    return out
