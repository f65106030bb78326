"""The staff log-in throttle over the recorded attempts; every failure is kept as the audit
of who tried which name from where (store.intake.LoginAttempt)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.domain.login_throttle import ThrottlePolicy, wait_before_next
from takedown.store.intake import LoginAttempt

log = logging.getLogger("takedown.audit")

WRONG_PASSWORD = "wrong_password"
THROTTLED = "throttled"
SIGNED_IN = "signed_in"


def wait_before_attempt(
    session: Session, name: str, address: str, now: datetime, policy: ThrottlePolicy
) -> timedelta:
    """How long this name, or this address, must wait before trying again."""
    since = now - policy.window
    # A successful sign-in clears the account's count, not the address's: one valid account
    # must not let an address keep guessing others.
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.name == name, LoginAttempt.succeeded.is_(True)
        )
    )
    account_since = max(since, last_success) if last_success else since
    account_failures = session.scalars(
        select(LoginAttempt.at).where(
            LoginAttempt.name == name,
            LoginAttempt.outcome == WRONG_PASSWORD,
            LoginAttempt.at > account_since,
        )
    )
    address_failures = session.scalars(
        select(LoginAttempt.at).where(
            LoginAttempt.address == address,
            LoginAttempt.outcome == WRONG_PASSWORD,
            LoginAttempt.at > since,
        )
    )
    return max(
        wait_before_next(account_failures, policy.account_free, now, policy),
        wait_before_next(address_failures, policy.address_free, now, policy),
    )


def record_attempt(session: Session, name: str, address: str, now: datetime, outcome: str) -> None:
    session.add(
        LoginAttempt(
            at=now,
            name=name[:200],
            address=address[:100],
            succeeded=outcome == SIGNED_IN,
            outcome=outcome,
        )
    )
    if outcome != SIGNED_IN:
        log.warning("staff sign-in failed: %s for name %r from %s", outcome, name[:200], address)
