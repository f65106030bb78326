"""Moving-window rate limits, counted per process (`memory://`) or shared (`redis://`).

Below the adapters so that report intake (services.intake) decides which budget a report is
charged to; the adapters only say who the client is.
"""

from __future__ import annotations

from limits import parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from takedown.services.errors import RateLimited


class RateLimit:
    """A moving-window limit per key in one scope; over it, `RateLimited` saying when to retry."""

    scope = ""
    refusal = ""

    def __init__(self, limit: str, storage: Storage | None = None) -> None:
        self.item = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def hit(self, key: str) -> None:
        if not self.limiter.hit(self.item, self.scope, key):
            raise RateLimited(self.refusal, max(1, int(self.item.get_expiry())))
