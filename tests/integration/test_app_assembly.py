"""One application, assembled in `takedown.app`: the API, the pages and HMA from one runtime."""

from __future__ import annotations

from fastapi.testclient import TestClient

from takedown.app import build_app
from takedown.clock import ManualClock
from takedown.config import Settings


def test_one_app_serves_the_api_the_pages_the_files_and_hma(
    settings: Settings, clock: ManualClock
) -> None:
    app = build_app(settings, clock, run_worker=False, migrate=False)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        form = client.get("/report")
        assert form.status_code == 200 and "<form" in form.text
        assert client.get("/static/staff.css").status_code == 200
        assert client.get("/hma/status/live").status_code == 200
        # The API and the pages share one runtime: a report filed by JSON has its status page.
        report = {"category": "spam", "reporter_role": "third_party", "url": "https://p.example/1"}
        filed = client.post("/v1/reports", json=report)
        assert filed.status_code == 201
        assert client.get(f"/status/{filed.json()['status_token']}").status_code == 200
        assert client.get("/status/not-a-token").status_code == 404


def test_the_error_shape_covers_the_api_and_missing_pages(
    settings: Settings, clock: ManualClock
) -> None:
    app = build_app(settings, clock, run_worker=False, migrate=False)
    with TestClient(app) as client:
        missing = client.get("/v1/content/nothing-here")
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "missing_api_key"
        assert client.get("/no-such-page").json()["error"]["code"] == "not_found"
