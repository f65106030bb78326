"""The probe's low findings (issue 10.9): what leaks, what can be framed or read by anyone."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from takedown.app import create_app
from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.runtime import Runtime
from tests.support.factories import Api
from tests.support.server import serving_in_thread


def test_a_405_names_the_allowed_methods(api: Api) -> None:
    wrong = api.client.delete("/v1/reports")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]


def test_metrics_need_a_lead_or_admin_key(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 401
    assert api.client.get("/metrics", headers=api.key("reviewer")).status_code == 403
    assert api.client.get("/metrics", headers=api.key("platform")).status_code == 403
    for role in ("lead", "admin"):
        answer = api.client.get("/metrics", headers=api.key(role))
        assert answer.status_code == 200 and "takedown_" in answer.text


def test_public_pages_are_framed_only_by_takedown_unless_a_platform_is_listed(
    api: Api,
) -> None:
    form = api.client.get("/report")
    assert "frame-ancestors 'self'" in form.headers["content-security-policy"]
    assert form.headers["x-frame-options"] == "SAMEORIGIN"
    hashes = api.client.get("/report/hashes")
    assert "frame-ancestors 'none'" in hashes.headers["content-security-policy"]
    assert hashes.headers["x-frame-options"] == "DENY"


@pytest.fixture
def embedding_api(api: Api) -> Api:
    object.__setattr__(
        api.runtime,
        "settings",
        replace(api.runtime.settings, report_frame_ancestors="https://platform.example"),
    )
    return api


def test_a_listed_platform_may_frame_the_report_form(embedding_api: Api) -> None:
    form = embedding_api.client.get("/report")
    policy = form.headers["content-security-policy"]
    assert "frame-ancestors https://platform.example" in policy
    assert "x-frame-options" not in form.headers  # it cannot name another site


def test_the_database_file_and_data_folder_are_the_owners_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a typical umask: files world-readable by default
    try:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'fresh' / 'takedown.db'}",
            data_dir=tmp_path / "fresh" / "data",
            run_worker=False,
        )
        (tmp_path / "fresh").mkdir()
        runtime = Runtime.build(settings, ManualClock())
        runtime.close()
    finally:
        os.umask(previous)
    database = tmp_path / "fresh" / "takedown.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    for extra in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        if extra.exists():
            assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def served(runtime: Runtime) -> Iterator[tuple[str, Lines]]:
    """The app under uvicorn, with its access log captured as uvicorn writes it."""
    lines = Lines()
    access = logging.getLogger("uvicorn.access")
    with serving_in_thread(create_app(runtime, run_worker=False), log_level="info") as url:
        access.addHandler(lines)
        try:
            yield url, lines
        finally:
            access.removeHandler(lines)


def test_status_tokens_are_redacted_in_the_access_log(served: tuple[str, Lines]) -> None:
    url, log = served
    sent = httpx.post(
        url + "/v1/reports",
        json={"category": "spam", "reporter_role": "third_party", "url": "https://x.example/1"},
    )
    assert sent.status_code == 201, sent.text
    token = sent.json()["status_token"]
    assert httpx.get(f"{url}/v1/status/{token}").status_code == 200
    httpx.get(f"{url}/status/{token}")
    visits = [line for line in log.lines if "/status/" in line]
    assert len(visits) == 2, log.lines
    assert all(token not in line and "[redacted]" in line for line in log.lines if "status" in line)
    assert not any(token in line for line in log.lines)


def test_metrics_are_open_to_a_listed_network_only(runtime: Runtime) -> None:
    listed = replace(runtime.settings, metrics_allow="127.0.0.0/8")
    object.__setattr__(runtime, "settings", listed)
    with serving_in_thread(create_app(runtime, run_worker=False)) as url:
        assert httpx.get(url + "/metrics").status_code == 200
    object.__setattr__(runtime, "settings", replace(listed, metrics_allow="10.0.0.0/8"))
    with serving_in_thread(create_app(runtime, run_worker=False)) as url:
        assert httpx.get(url + "/metrics").status_code == 401


def test_uploads_past_the_concurrency_bound_wait_then_get_a_503(api: Api) -> None:
    from takedown.api.upload_slots import UploadSlots
    from tests.support.review import synthetic_png

    app = api.client.app
    slots = UploadSlots(1, wait_seconds=0.01)
    app.state.upload_slots = slots  # type: ignore[attr-defined]
    picture = synthetic_png(3)

    def send(content_id: str) -> httpx.Response:
        return api.client.post(
            "/v1/content",
            data={"content_id": content_id, "account_id": "acct-1"},
            files={"file": (f"{content_id}.png", picture, "image/png")},
            headers=api.key("platform"),
        )

    # Every slot taken (as by another upload being hashed): the next upload is refused cleanly.
    api.client.portal.call(slots._free.acquire)  # type: ignore[union-attr]
    busy = send("p-1")
    assert busy.status_code == 503 and busy.headers["retry-after"]
    assert busy.json()["error"]["code"] == "busy"
    assert api.client.get("/v1/content/p-1", headers=api.key("platform")).status_code == 404
    # A registration without a file needs no slot.
    assert api.register("p-2")["verdict"]
    slots._free.release()
    assert send("p-1").status_code == 200
