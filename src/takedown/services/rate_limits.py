"""Moving-window rate limits, counted per process (`memory://`) or shared (`redis://`).

Below the adapters so that report intake (services.intake) decides which budget a report is
charged to; the adapters only say who the client is.
"""

from __future__ import annotations

import threading

from limits import parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from takedown.services.errors import RateLimited

# How often the in-memory storage drops expired windows; see `PacedMemoryStorage`.
EXPIRY_SCAN_SECONDS = 1.0


class PacedMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage, its expiry scan paced to once a second.

    The library scans every live key about every 10 ms while requests arrive. With a key per
    reporter held for the reporter budget's hour, that scan grew with the number of distinct
    reporters: 48% of a core at 4,000 keys and 250 requests/s, 73% at 12,000 (issue 15).
    Counting does not wait for the scan (a moving window compares each entry's time when it
    is asked), so a slower scan only holds expired entries in memory a little longer.
    """

    # MemoryStorage calls its private `__schedule_expiry`, which Python names thus.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(
                EXPIRY_SCAN_SECONDS,
                self._MemoryStorage__expire_events,  # type: ignore[attr-defined]
            )
            self.timer.daemon = True
            self.timer.start()


class RateLimit:
    """A moving-window limit per key in one scope; over it, `RateLimited` saying when to retry."""

    scope = ""
    refusal = ""

    def __init__(self, limit: str, storage: Storage | None = None) -> None:
        self.item = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage or PacedMemoryStorage())

    def hit(self, key: str) -> None:
        if not self.limiter.hit(self.item, self.scope, key):
            raise RateLimited(self.refusal, max(1, int(self.item.get_expiry())))
