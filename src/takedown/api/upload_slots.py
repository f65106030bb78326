"""A bound on how many uploads are processed at once (issue 10.9).

Starlette spools an upload body to a temporary file once it passes 1 MiB, so waiting uploads
cost disk, not memory; reading, decoding and hashing one costs memory, up to a few times its
size. Only `TAKEDOWN_UPLOAD_CONCURRENCY` uploads are processed at a time; one that waits longer
than `wait_seconds` for its turn is answered 503 with Retry-After rather than queued forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from takedown.api.errors import ApiError

RETRY_AFTER_SECONDS = 10


class UploadSlots:
    def __init__(self, capacity: int, wait_seconds: float = 30.0) -> None:
        if capacity < 1:
            raise ValueError("upload concurrency must be at least 1")
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self._free = asyncio.Semaphore(capacity)

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait_seconds)
        except TimeoutError:
            raise ApiError(
                503,
                "busy",
                "too many uploads are being processed; try again shortly",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
        try:
            yield
        finally:
            self._free.release()
