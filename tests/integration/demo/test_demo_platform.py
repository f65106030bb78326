"""The demo microblog behaves as a platform must: ask before showing, obey signed webhooks only.

Both apps run in process around one ManualClock (the replay's stage); SQLite files in tmp_path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from takedown.outbox.signing import HEADER, sign
from takedown.replay.stage import Stage

START = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
VICTIM = {
    "category": "child_sexual_exploitation",
    "reporter_role": "depicted_person",
    "depicts_minor": True,
}


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    s = Stage.build(tmp_path, START)
    yield s
    s.close()


def post(stage: Stage, post_id: str, account: str = "ada", kind: str = "image") -> dict:
    response = stage.platform_http.post(
        "/api/posts", json={"id": post_id, "account": account, "kind": kind, "seed": 3}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def deliver(stage: Stage, event: dict, secret: str | None = None) -> int:
    body = json.dumps(event).encode()
    signature = sign(secret or stage.platform.config.webhook_secret, int(START.timestamp()), body)
    response = stage.platform_http.post(
        "/hooks/takedown", content=body, headers={HEADER: signature}
    )
    return response.status_code


def event(event_id: str, type_: str, **data: str) -> dict:
    return {"id": event_id, "type": type_, "created_at": "2025-05-01T09:00:00Z", "data": data}


def test_an_upload_is_registered_with_takedown_before_it_is_shown(stage: Stage) -> None:
    answer = post(stage, "p-1", account="ada")
    assert answer["verdict"] == "allow" and answer["state"] == "visible"
    registered = stage.takedown.get("/v1/content/p-1", headers=stage.auditor()).json()
    assert registered["account_id"] == "ada"
    assert registered["state"] == "visible"
    assert answer["report_url"].endswith("/report?content_id=p-1")
    assert (
        'href="http://takedown.replay/report?content_id=p-1"' in stage.platform_http.get("/").text
    )


def test_a_restricting_report_hides_the_post_through_the_signed_webhook(stage: Stage) -> None:
    post(stage, "p-1")
    report = stage.takedown.post("/v1/reports", json={"content_id": "p-1", **VICTIM}).json()
    assert report["content_state"] == "restricted"
    stage.runtime.worker.drain()
    assert stage.platform_http.get("/api/posts/p-1").json()["state"] == "restricted"
    assert stage.platform_http.get("/posts/p-1").status_code == 451
    assert stage.platform_http.get("/media/p-1").status_code == 404
    served = stage.platform_http.post("/api/posts/p-1/views", json={"count": 50}).json()
    assert served == {"asked": 50, "served": 0}
    assert "p-1" not in stage.platform_http.get("/").text


def test_a_bad_signature_is_refused_with_401_and_changes_nothing(stage: Stage) -> None:
    post(stage, "p-1")
    removal = event("evt_1", "content.removed", content_id="p-1", account_id="ada")
    assert deliver(stage, removal, secret="not-the-secret") == 401
    body = json.dumps(removal).encode()
    unsigned = stage.platform_http.post("/hooks/takedown", content=body)
    assert unsigned.status_code == 401
    assert stage.platform_http.get("/api/posts/p-1").json()["state"] == "visible"
    # The same event correctly signed is applied: the refusal was the signature's doing.
    assert deliver(stage, removal) == 200
    assert stage.platform_http.get("/api/posts/p-1").json()["state"] == "removed"


def test_an_event_id_seen_before_is_acknowledged_and_not_applied_again(stage: Stage) -> None:
    post(stage, "p-1", account="bo")
    suspend = event("evt_s", "account.suspended", account_id="bo")
    assert deliver(stage, suspend) == 200
    assert deliver(stage, event("evt_r", "account.restored", account_id="bo")) == 200
    assert deliver(stage, suspend) == 200  # a retry of an old delivery
    assert stage.platform_http.get("/api/accounts/bo").json()["state"] == "active"


def test_a_removed_post_never_comes_back_and_a_suspended_account_cannot_post(
    stage: Stage,
) -> None:
    post(stage, "p-1", account="bo")
    assert deliver(stage, event("e1", "content.removed", content_id="p-1", account_id="bo")) == 200
    assert deliver(stage, event("e2", "content.restored", content_id="p-1", account_id="bo")) == 200
    assert deliver(stage, event("e3", "content.restricted", content_id="p-1")) == 200
    assert stage.platform_http.get("/posts/p-1").status_code == 410
    assert deliver(stage, event("e4", "account.suspended", account_id="bo")) == 200
    refused = stage.platform_http.post("/api/posts", json={"account": "bo", "kind": "image"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "post_refused"


def test_the_webhook_endpoint_can_be_made_to_fail_and_takedown_retries(stage: Stage) -> None:
    post(stage, "p-1")
    stage.platform_http.post("/api/outage", json={"minutes": 10})
    stage.takedown.post("/v1/reports", json={"content_id": "p-1", **VICTIM})
    stage.runtime.worker.drain()
    assert stage.platform_http.get("/api/posts/p-1").json()["state"] == "visible"
    stage.clock.advance(timedelta(minutes=11))
    stage.runtime.worker.drain()
    assert stage.platform_http.get("/api/posts/p-1").json()["state"] == "restricted"


def test_synthetic_media_are_deterministic_per_seed() -> None:
    from takedown.demo import media

    assert media.image(4, "x").data == media.image(4, "x").data
    assert media.image(4, "x").data != media.image(5, "x").data
    clip = media.video(4)
    assert clip.media_type == "video/mp4" and clip.data == media.video(4).data


def test_the_platform_reaches_takedown_only_through_http() -> None:
    """The integration example must not lean on Takedown's internals (signing rules aside)."""
    import ast

    root = Path(__file__).parents[3] / "src" / "takedown" / "demo" / "platform"
    allowed = {"takedown.outbox.signing", "takedown.demo", "takedown.demo.platform"}
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("takedown"):
                assert node.module in allowed or node.module.startswith("takedown.demo."), (
                    f"{path.name} imports {node.module}"
                )
