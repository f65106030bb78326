"""Recording what staff and keys did that is not a step in a case, in a chain of hashes.

Call `record_staff_action` in the same transaction as the change it describes, so the log and
the change commit together. Writers take turns on the `audit_head` row's lock.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from takedown.domain import case_projection
from takedown.store.audit import AuditEntry, AuditHead

HEAD_ID = 1


class StaffAction(StrEnum):
    """What the audit log records."""

    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    USER_CREATED = "user.created"
    USER_CHANGED = "user.changed"
    ROLE_CHANGED = "user.role_changed"
    SETTINGS_CHANGED = "settings.changed"
    LOGIN = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    REVEAL = "media.revealed"


def entry_fields(
    seq: int, at: datetime, actor: str, action: str, target: str, data: dict[str, Any]
) -> dict[str, Any]:
    """The fields of an audit entry that its hash covers."""
    return {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "target": target,
        "data": data,
    }


def record_staff_action(
    session: Session,
    action: StaffAction,
    actor: str,
    target: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one staff action to the audit log. Never put a secret (password, key) in `data`.

    `actor` is who acted (a staff name, `key:<name>`, `cli`, or for a failed log-in the name
    typed); `target` is what was acted on (a key id, a user name, a case or content id).
    """
    # Moving the head first takes its lock, so writers take turns and never fork the chain.
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        session.execute(insert(AuditHead).values(id=HEAD_ID, seq=1, hash=case_projection.GENESIS))
        seq, prev_hash = 1, case_projection.GENESIS
    else:
        seq, prev_hash = row
    stored = json.loads(case_projection.canonical(data or {}))
    actor, target = actor[:200], target[:200]
    digest = case_projection.link_hash(
        prev_hash, entry_fields(seq, at, actor, action.value, target, stored)
    )
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action.value,
        target=target,
        data=stored,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(hash=digest)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return entry
