"""How long a staff log-in must wait after failed attempts (issue 10, finding 6).

Forty wrong passwords in 27 seconds, each a 64 MiB argon2 hash: an attacker could guess a
reviewer's password and, just as bad, exhaust the server's memory. After a few free failures
each further failure doubles the wait before the next try, per account (a guessed name) and
per address (one address trying many names), up to a ceiling. Time is an argument: the
caller's clock decides, so tests move it instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    # Failures older than this are forgotten.
    window: timedelta = timedelta(hours=1)
    # Failures allowed without any wait: per account, and per address (an office shares one).
    account_free: int = 5
    address_free: int = 20
    # The first wait, doubled with each further failure, and the longest wait.
    first_wait: timedelta = timedelta(seconds=30)
    longest_wait: timedelta = timedelta(minutes=15)


def wait_before_next(
    failures: Iterable[datetime], free: int, now: datetime, policy: ThrottlePolicy
) -> timedelta:
    """How long from `now` until the next attempt is allowed; zero when it is allowed now."""
    recent = sorted(at for at in failures if timedelta(0) <= now - at <= policy.window)
    over = len(recent) - free
    if over < 0:
        return timedelta(0)
    wait = min(policy.first_wait * (2**over), policy.longest_wait)
    return max(recent[-1] + wait - now, timedelta(0))
