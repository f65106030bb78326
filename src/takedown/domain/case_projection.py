"""The case row as a projection of its events, and the hash chain that makes the log evident.

Bluesky Ozone's model: the event log is the source of truth and the case row is what its events
add up to. Each event carries `changes`, a typed payload of the case fields it set; `apply` is
the one function that writes them to a case row, when the event is recorded and when a case is
rebuilt from its history. No I/O here: the service layer (services.case_log) stores events.

Each event's hash covers a canonical encoding of all its fields and the previous event's hash,
so editing or deleting a stored event breaks the chain at that event (`takedown audit verify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypedDict

from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.deadlines import next_escalation
from takedown.domain.vocabulary import CaseState

# The first link of every chain points at this.
GENESIS = ""


class CaseFields(TypedDict, total=False):
    """The case columns an event may set: the typed payload of `changes`."""

    priority: str
    state: str
    category: str
    child_safety: bool
    restrict_required: bool
    opened_at: datetime
    deadline_started_at: datetime
    deadline_at: datetime
    escalated_at: datetime | None
    breached_at: datetime | None
    decided_at: datetime | None
    removal_due_at: datetime | None
    removal_escalated_at: datetime | None
    removal_breached_at: datetime | None
    removal_closed_at: datetime | None


FIELDS: tuple[str, ...] = tuple(CaseFields.__annotations__)
TIME_FIELDS = frozenset(
    name for name, kind in CaseFields.__annotations__.items() if "datetime" in str(kind)
)


class CaseRow(Protocol):
    """What `apply` writes to: the stored case, or a blank one being rebuilt."""

    updated_at: datetime
    state: str
    deadline_started_at: datetime
    deadline_at: datetime
    escalated_at: datetime | None
    breached_at: datetime | None
    next_escalation_at: datetime | None


def snapshot(case: object) -> CaseFields:
    """The projected fields of a case row as they are now."""
    return CaseFields(**{name: getattr(case, name) for name in FIELDS})  # type: ignore[typeddict-item]


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> CaseFields:
    """The fields whose value differs between two snapshots, with their new values."""
    changed = {
        name: after[name] for name in FIELDS if name in after and before.get(name) != after[name]
    }
    return CaseFields(**changed)  # type: ignore[typeddict-item]


def encode(changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` as stored in JSON: times as ISO 8601 with microseconds, in UTC."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in FIELDS:
            raise ValueError(f"{name!r} is not a projected case field")
        out[name] = _time(value) if isinstance(value, datetime) else value
    return out


def decode(stored: Mapping[str, Any]) -> CaseFields:
    out: dict[str, Any] = {}
    for name, value in stored.items():
        out[name] = (
            datetime.fromisoformat(value) if name in TIME_FIELDS and value is not None else value
        )
    return CaseFields(**out)  # type: ignore[typeddict-item]


def apply(case: CaseRow, changes: Mapping[str, Any], at: datetime) -> None:
    """Apply one event to a case row: the only code that writes projected case fields."""
    for name, value in decode(changes).items():
        setattr(case, name, value)
    case.updated_at = at
    # Derived from the fields above, not an event's payload: the sweep reads due cases by it.
    case.next_escalation_at = next_escalation(
        CaseState(case.state) in AWAITING_DECISION,
        case.deadline_started_at,
        case.deadline_at,
        case.escalated_at,
        case.breached_at,
    )


def canonical(fields: Mapping[str, Any]) -> bytes:
    """One byte string per content: sorted keys, no spaces, UTF-8, times in ISO 8601 UTC."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_time
    ).encode()


def _time(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not part of an event")


def link_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of one link: SHA-256 over the previous link's hash and this one's fields."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(fields)).hexdigest()


def event_fields(
    id: str,
    case_id: str,
    seq: int,
    type: str,
    actor: str,
    at: datetime,
    data: Mapping[str, Any],
    changes: Mapping[str, Any],
) -> dict[str, Any]:
    """The fields of a case event that its hash covers."""
    return {
        "id": id,
        "case_id": case_id,
        "seq": seq,
        "type": type,
        "actor": actor,
        "at": at,
        "data": data,
        "changes": changes,
    }
