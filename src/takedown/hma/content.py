"""HMA bank content: the bank entries added together in one call, under one content id.

They share `entry_id`, which is the `bank_content_id` HMA clients see; a Takedown entry added
on its own is content of its own, its id its row id. Deleting retires the entries (the match
index only grows; events name them). HMA's `disable_until_ts` is kept per entry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from takedown.hma.banks import bank_config
from takedown.hma.errors import HmaError
from takedown.hma.signals import HmaSignal, hma_of_takedown, hma_signal, to_hma, to_takedown
from takedown.services import banks as takedown_banks
from takedown.store.banks import Bank, BankHash

NOTE_MAX = 255
METADATA_FIELDS = ("content_id", "content_uri", "json")
# HMA's disable_until_ts has two magic values: 1 is enabled, 0 disabled for good.
ENABLED_TS = 1
DISABLED_TS = 0
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


def validate_note(note: object) -> str | None:
    if not note:
        return None
    if not isinstance(note, str):
        raise HmaError(400, "note should be a string", "invalid_note")
    if len(note) > NOTE_MAX:
        raise HmaError(400, f"note must be at most {NOTE_MAX} characters", "invalid_note")
    return note


def validate_metadata(raw: object) -> dict[str, Any] | None:
    """HMA's content metadata: `content_id`, `content_uri` (text) and `json` (an object);
    anything else is refused, as HMA's model forbids extra fields."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise HmaError(400, "metadata should be a json object", "invalid_metadata")
    raw = {k: v for k, v in raw.items() if k != "collab"}
    extra = sorted(set(raw) - set(METADATA_FIELDS))
    if extra:
        raise HmaError(
            400,
            f"Invalid metadata: extra fields not permitted: {', '.join(extra)}",
            "invalid_metadata",
        )
    for key in ("content_id", "content_uri"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise HmaError(400, f"Invalid metadata: {key} should be a string", "invalid_metadata")
    if raw.get("json") is not None and not isinstance(raw["json"], dict):
        raise HmaError(400, "Invalid metadata: json should be an object", "invalid_metadata")
    kept = {k: v for k, v in raw.items() if v is not None}
    return kept or None


def parse_signals(raw: dict[str, Any]) -> list[tuple[HmaSignal, str]]:
    """HMA's `{signal type: value}` as (signal, canonical Takedown value), or HMA's 400."""
    if not raw:
        raise HmaError(400, "No signals given", "no_signals")
    out = []
    for name, value in raw.items():
        signal = hma_signal(name)
        if signal is None:
            raise HmaError(400, f"No such signal type {name}", "invalid_signal_type")
        try:
            out.append((signal, to_takedown(signal, value)))
        except ValueError as exc:
            raise HmaError(400, f"Invalid {name} signal: {exc}", "invalid_signal") from None
    return out


def add_content(
    session: Session,
    bank: Bank,
    signals: list[tuple[HmaSignal, str]],
    metadata: dict[str, Any] | None,
    note: str | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Bank the signals as one content and queue the retroactive scan, as any bank entry does;
    the same hash banked again in the same bank answers its existing content id."""
    entries = [takedown_banks.HashEntry(s.takedown, value, note) for s, value in signals]
    result = takedown_banks.add_hashes(session, bank, entries, actor, now)
    digests = [(e.signal, takedown_banks.digest(e.value)) for e in entries]
    rows = {
        (r.signal, r.digest): r
        for r in session.scalars(
            select(BankHash).where(
                BankHash.bank_id == bank.id, BankHash.digest.in_([d for _, d in digests])
            )
        )
    }
    if result.hash_ids:
        content_id = min(result.hash_ids)
        for hid in result.hash_ids:
            row = session.get(BankHash, hid)
            if row is not None:
                row.entry_id = content_id
                row.entry_metadata = metadata
    else:
        first = rows[digests[0]]
        content_id = first.entry_id or first.id
    session.flush()
    return {
        "id": content_id,
        "signals": {s.name: to_hma(s.takedown, value) for s, value in signals},
    }


def content_rows(session: Session, bank: Bank, content_id: int) -> list[BankHash]:
    return list(
        session.scalars(
            select(BankHash)
            .where(
                BankHash.bank_id == bank.id,
                BankHash.retired_at.is_(None),
                or_(
                    BankHash.entry_id == content_id,
                    and_(BankHash.entry_id.is_(None), BankHash.id == content_id),
                ),
            )
            .order_by(BankHash.id)
        )
    )


def require_content(session: Session, bank: Bank, content_id: int) -> list[BankHash]:
    rows = content_rows(session, bank, content_id)
    if not rows:
        raise HmaError(404, f"content '{content_id}' not found", "content_not_found")
    return rows


def disable_until_ts(rows: list[BankHash]) -> int:
    until = rows[0].disabled_until
    if until is None:
        return ENABLED_TS
    if until >= FOREVER:
        return DISABLED_TS
    return int(until.timestamp())


def content_json(
    bank: Bank, rows: list[BankHash], include_signals: bool, include_metadata: bool
) -> dict[str, Any]:
    """HMA's BankContentResponse; `signals`, `metadata` and `note` only when there are some."""
    out: dict[str, Any] = {
        "id": rows[0].entry_id or rows[0].id,
        "disable_until_ts": disable_until_ts(rows),
        "original_media_uri": None,
        "bank": bank_config(bank),
    }
    if include_signals:
        signals = {}
        for row in rows:
            name = hma_of_takedown(row.signal)
            if name is not None:
                signals[name] = to_hma(row.signal, row.value)
        out["signals"] = signals
    metadata = rows[0].entry_metadata
    if include_metadata and metadata:
        out["metadata"] = {
            "content_id": metadata.get("content_id"),
            "content_uri": metadata.get("content_uri"),
            "json": metadata.get("json"),
            "collab": None,
        }
    if rows[0].note is not None:
        out["note"] = rows[0].note
    return out


def update_content(
    session: Session, bank: Bank, content_id: int, data: object, now: datetime
) -> dict[str, Any]:
    """HMA's content update: `disable_until_ts` (unix seconds; 1 enables, 0 disables for good)
    and `note`. Answers the content as HMA's storage dataclass serialises it."""
    rows = require_content(session, bank, content_id)
    if not isinstance(data, dict):
        raise HmaError(400, "this endpoint expects a json object payload", "invalid_request")
    if "disable_until_ts" in data:
        raw = data["disable_until_ts"]
        try:
            ts = int(raw)
        except (TypeError, ValueError):
            raise HmaError(400, f"Invalid int: '{raw}'", "invalid_request") from None
        if ts < 0:
            raise HmaError(
                400, "disable_until_ts must be a non-negative integer", "invalid_request"
            )
        if ts > int((now + timedelta(days=365 * 5)).timestamp()):
            raise HmaError(
                400, "disable_until_ts must be less than 5 years in the future", "invalid_request"
            )
        until = (
            None
            if ts == ENABLED_TS
            else FOREVER
            if ts == DISABLED_TS
            else (datetime.fromtimestamp(ts, UTC))
        )
        for row in rows:
            row.disabled_until = until
    if "note" in data:
        note = validate_note(data["note"])
        for row in rows:
            row.note = note
    session.flush()
    return {
        "bank": bank_config(bank),
        "collab_metadata": {},
        "disable_until_ts": disable_until_ts(rows),
        "id": content_id,
        "note": rows[0].note,
        "original_media_uri": None,
        "user_metadata": rows[0].entry_metadata,
    }


def delete_content(session: Session, bank: Bank, content_id: int, now: datetime) -> int:
    """Retire the content's entries; answers how many contents were deleted (0 or 1)."""
    rows = content_rows(session, bank, content_id)
    for row in rows:
        row.retired_at = now
    session.flush()
    return 1 if rows else 0
