"""Looking after staff logins from the command line: who exists, and a new password.

A reset ends every open session of that person (services.staff_sessions): whoever held the old
password is signed out with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from takedown.services import access
from takedown.services.errors import Invalid, NotFound
from takedown.store.models import User
from takedown.store.review import StaffSession

MIN_PASSWORD = 12


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.name)))


def reset_password(session: Session, name: str, password: str, now: datetime) -> User:
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no staff user named {name!r}", "user_not_found")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password needs at least {MIN_PASSWORD} characters", "weak_password")
    user.password_hash = access.hash_password(password)
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.flush()
    return user
