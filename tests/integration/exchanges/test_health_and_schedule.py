"""Exchange health on `/hma/c/exchange/{name}/status` and `/metrics`, and fetches queued by the
worker's periodic sweep every TAKEDOWN_EXCHANGE_FETCH_SECONDS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from takedown.clock import ManualClock
from takedown.services import access
from tests.integration.exchanges.conftest import banked, stopncii_exchange
from tests.support.factories import Api
from tests.support.fake_stopncii import FakeStopNcii
from tests.support.review import staff_user
from tests.support.staff_web import sign_in

PDQS = [f"{n:02x}" * 32 for n in (0x11, 0x22, 0x33, 0x44)]


def status(api: Api, name: str) -> dict[str, object]:
    response = api.client.get(f"/hma/c/exchange/{name}/status", headers=api.key("admin"))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_sweep_fetches_every_period_and_health_follows(
    api: Api, stopncii: FakeStopNcii, clock: ManualClock
) -> None:
    for n, value in enumerate(PDQS[:3]):
        stopncii.add(value, 1_700_000_000 + n)
    name = stopncii_exchange(api, stopncii)
    assert status(api, name)["last_fetch_succeeded"] is None

    api.runtime.worker.drain()  # the sweep queues the first fetch; the worker runs it
    first = status(api, name)
    assert first["last_fetch_succeeded"] is True and first["up_to_date"] is True
    assert first["fetched_items"] == 3 and first["checkpoint_ts"] == 1_700_000_002
    assert first["last_fetch_complete_ts"] == int(clock.now().timestamp())

    stopncii.add(PDQS[3], 1_700_000_100)
    clock.advance(timedelta(seconds=100))
    api.runtime.worker.drain()
    assert status(api, name)["fetched_items"] == 3  # not due yet (default 240 s)
    clock.advance(timedelta(seconds=140))
    api.runtime.worker.drain()
    assert status(api, name)["fetched_items"] == 4
    assert len(banked(api, name)) == 4

    stopncii.corrupt_from(stopncii.pages_served + 1)
    clock.advance(timedelta(seconds=240))
    api.runtime.worker.drain()
    failed = status(api, name)
    assert failed["last_fetch_succeeded"] is False and failed["fetched_items"] == 4
    assert set(failed) == {  # HMA's FetchStatus, field for field
        "checkpoint_ts",
        "running_fetch_start_ts",
        "last_fetch_complete_ts",
        "last_fetch_succeeded",
        "up_to_date",
        "fetched_items",
    }

    metrics = api.client.get("/metrics", headers=api.key("admin")).text
    assert f'takedown_exchange_items{{exchange="{name}"}} 4.0' in metrics
    assert f'takedown_exchange_last_fetch_succeeded{{exchange="{name}"}} 0.0' in metrics
    assert f'takedown_exchange_lag_seconds{{exchange="{name}"}}' in metrics


def test_status_of_an_unknown_exchange_is_404(api: Api) -> None:
    response = api.client.get("/hma/c/exchange/NOPE/status", headers=api.key("admin"))
    assert response.status_code == 404


def test_the_staff_exchanges_page_shows_health_to_leads_only(
    api: Api, stopncii: FakeStopNcii, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    staff_user(api, "lena", "lead")
    staff_user(api, "rita", "reviewer")
    stopncii.add(PDQS[0], 1_700_000_000)
    name = stopncii_exchange(api, stopncii)
    stopncii.corrupt_from(1)
    api.runtime.worker.drain()

    lead = TestClient(api.client.app)
    sign_in(lead, "lena")
    page = lead.get("/staff/exchanges")
    assert page.status_code == 200
    assert f'data-exchange="{name}"' in page.text and "failed" in page.text
    assert "JSONDecodeError" in page.text

    reviewer = TestClient(api.client.app)
    sign_in(reviewer, "rita")
    assert reviewer.get("/staff/exchanges").status_code == 403
