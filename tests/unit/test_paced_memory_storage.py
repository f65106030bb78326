"""services.rate_limits.PacedMemoryStorage: `limits`' in-memory counts, with the expiry scan
scheduled once a second instead of every 10 ms (its cost grew with the live keys)."""

from __future__ import annotations

import pytest

from takedown.api.deps import rate_limit_storage
from takedown.services.errors import RateLimited
from takedown.services.rate_limits import EXPIRY_SCAN_SECONDS, PacedMemoryStorage, RateLimit


def test_the_default_storage_is_the_paced_one() -> None:
    assert isinstance(rate_limit_storage("memory://"), PacedMemoryStorage)
    assert isinstance(RateLimit("5/minute").limiter.storage, PacedMemoryStorage)


def test_a_hit_schedules_the_scan_a_second_out_and_counts_as_before() -> None:
    storage = PacedMemoryStorage()
    storage.timer.cancel()  # the library's own first timer, started in its constructor
    storage.timer.join()
    limit = RateLimit("2/minute", storage)
    limit.hit("10.0.0.1")
    timer = storage.timer
    assert timer.is_alive() and timer.interval == EXPIRY_SCAN_SECONDS == 1.0
    assert timer.daemon  # a process may exit while a scan is pending
    limit.hit("10.0.0.1")
    assert storage.timer is timer  # one pending scan serves every hit until it runs
    with pytest.raises(RateLimited):
        limit.hit("10.0.0.1")
    limit.hit("10.0.0.2")  # another key has its own window
    timer.cancel()


def test_the_scan_drops_nothing_still_inside_its_window() -> None:
    storage = PacedMemoryStorage()
    limit = RateLimit("2/minute", storage)
    limit.hit("10.0.0.3")
    storage._MemoryStorage__expire_events()  # type: ignore[attr-defined]
    limit.hit("10.0.0.3")
    with pytest.raises(RateLimited):
        limit.hit("10.0.0.3")
    storage.timer.cancel()
