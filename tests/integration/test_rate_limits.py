"""Public rate limits shared through Redis: two processes behind a load balancer count as one.

Needs the Redis on 127.0.0.1:6379 (scripts/services starts it); it fails, never skips, without.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from takedown.api.deps import rate_limit_storage
from takedown.app import create_app
from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.runtime import Runtime

REDIS = "redis://127.0.0.1:6379"


def test_two_instances_share_one_limit_through_redis(
    settings: Settings, clock: ManualClock
) -> None:
    shared = replace(settings, rate_limit_storage=REDIS, report_rate_limit="3/hour")
    first = Runtime.build(shared, clock, migrate=False)
    second = Runtime.build(shared, clock, migrate=False)
    # An address of this run alone, so that counts left in Redis by earlier runs do not matter.
    address = (f"client-{uuid.uuid4().hex}", 50000)
    body = {"content_id": "p-1", "category": "spam", "reporter_role": "third_party"}
    try:
        with (
            TestClient(create_app(first, run_worker=False), client=address) as a,
            TestClient(create_app(second, run_worker=False), client=address) as b,
        ):
            answers = [a.post("/v1/reports", json=body).status_code for _ in range(2)]
            answers += [b.post("/v1/reports", json=body).status_code for _ in range(2)]
    finally:
        first.close()
        second.close()
    assert answers == [201, 201, 201, 429]


def test_in_memory_limits_are_per_process(settings: Settings, clock: ManualClock) -> None:
    local = replace(settings, report_rate_limit="1/hour")
    first = Runtime.build(local, clock, migrate=False)
    second = Runtime.build(local, clock, migrate=False)
    body = {"content_id": "p-1", "category": "spam", "reporter_role": "third_party"}
    try:
        with (
            TestClient(create_app(first, run_worker=False)) as a,
            TestClient(create_app(second, run_worker=False)) as b,
        ):
            answers = [a.post("/v1/reports", json=body).status_code for _ in range(2)]
            answers += [b.post("/v1/reports", json=body).status_code]
    finally:
        first.close()
        second.close()
    assert answers == [201, 429, 201]


def test_an_unknown_storage_is_refused() -> None:
    with pytest.raises(Exception, match="carrier-pigeon"):
        rate_limit_storage("carrier-pigeon://nowhere")
