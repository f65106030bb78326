"""Staff log-in sessions for the web pages.

The browser holds a random session id (signed in its cookie by the web layer); the database
holds only its SHA-256, the user, a CSRF token and the times. A session ends at log-out, after
`IDLE` without use, after `LIFETIME` in all, or when the user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from takedown.services.access import Principal, Role
from takedown.store.models import User
from takedown.store.review import StaffSession

LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class StaffLogin:
    """The signed-in user for one request."""

    user: User
    session_hash: str
    csrf_token: str

    @property
    def principal(self) -> Principal:
        return Principal(self.user.name, Role(self.user.role))


def start(session: Session, user: User, now: datetime) -> str:
    """Open a session for a user who just proved their password; returns the raw id."""
    raw = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            id_hash=_hash(raw),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
        )
    )
    session.flush()
    return raw


def resolve(session: Session, raw: str, now: datetime) -> StaffLogin | None:
    row = session.get(StaffSession, _hash(raw))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at <= now - IDLE:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    row.last_seen_at = now
    return StaffLogin(user=user, session_hash=row.id_hash, csrf_token=row.csrf_token)


def end(session: Session, raw: str, now: datetime) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.id_hash == _hash(raw), StaffSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
