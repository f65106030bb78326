"""API keys and staff accounts. Secrets are stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, Select, bindparam, select
from sqlalchemy.orm import Session

from takedown.services.audit_log import StaffAction, record_staff_action
from takedown.services.errors import Conflict, Invalid
from takedown.store.models import ApiKey, User
from takedown.store.types import new_id


class Role(StrEnum):
    PLATFORM = "platform"
    REVIEWER = "reviewer"
    LEAD = "lead"
    ADMIN = "admin"
    LEGAL = "legal"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.LEAD, Role.ADMIN, Role.LEGAL})

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the name recorded as the actor in events, and their role."""

    name: str
    role: Role


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Invalid(f"unknown role {value!r}; use one of {allowed}", "unknown_role") from None


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session, name: str, role: str, now: datetime, actor: str = "cli"
) -> str:
    """Make a key and return it; only its hash is kept, so it is shown once."""
    parsed = parse_role(role)
    if not name.strip():
        raise Invalid("a key needs a name", "missing_name")
    key = "td_" + secrets.token_urlsafe(32)
    row = ApiKey(
        id=new_id("key"), name=name, role=parsed.value, key_hash=_key_hash(key), created_at=now
    )
    session.add(row)
    session.flush()
    record_staff_action(
        session, StaffAction.KEY_CREATED, actor, row.id, now, {"name": name, "role": parsed.value}
    )
    return key


# Built once: every authenticated request runs it, and building a statement (and its cache
# key) each time cost about as much as running it (issue 15).
_KEY_LOOKUP: Select[str, str] = select(ApiKey.name, ApiKey.role).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


def _key_lookup_params(key: str) -> dict[str, str]:
    return {"key_hash": _key_hash(key)}


def principal_for_key(session: Session, key: str) -> Principal | None:
    row = session.execute(_KEY_LOOKUP, _key_lookup_params(key)).first()
    return Principal(row.name, Role(row.role)) if row else None


def principal_for_key_now(engine: Engine, key: str) -> Principal | None:
    """The key's principal as committed now, read in one statement outside a transaction.

    Every authenticated request asks this before its own unit of work; one row read needs no
    transaction, and BEGIN and COMMIT around it were two more round trips a request (issue 15).
    Not cached: a revoked key is refused from the next request on.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(_KEY_LOOKUP, _key_lookup_params(key)).first()
    return Principal(row.name, Role(row.role)) if row else None


def create_user(
    session: Session, name: str, role: str, password: str, now: datetime, actor: str = "cli"
) -> User:
    parsed = parse_role(role)
    if parsed not in STAFF_ROLES:
        raise Invalid("staff users are reviewer, lead, admin or legal", "unknown_role")
    if len(password) < 12:
        raise Invalid("a password needs at least 12 characters", "weak_password")
    if session.scalars(select(User).where(User.name == name)).first():
        raise Conflict(f"a user named {name!r} exists", "user_exists")
    user = User(
        id=new_id("user"),
        name=name,
        role=parsed.value,
        password_hash=_hasher.hash(password),
        settings={},
        created_at=now,
    )
    session.add(user)
    session.flush()
    record_staff_action(session, StaffAction.USER_CREATED, actor, name, now, {"role": parsed.value})
    return user


def hash_password(password: str) -> str:
    """The stored form of a staff password (argon2id)."""
    return _hasher.hash(password)


def authenticate_user(session: Session, name: str, password: str) -> User | None:
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None or user.disabled:
        # Spend the same time as a real check, so a wrong name is not faster than a wrong password.
        _hasher.hash(password)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
