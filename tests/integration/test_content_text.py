"""Items without media (messages, posts, profiles) and what the platform says about them later."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.store.exposure import ViewCount
from takedown.store.models import ContentItem
from tests.support.factories import Api

MESSAGE = "send me a picture or I tell everyone"


def stored(api: Api, content_id: str) -> ContentItem | None:
    with api.runtime.transaction() as session:
        item = session.scalars(
            select(ContentItem).where(ContentItem.content_id == content_id)
        ).first()
        if item is not None:
            session.expunge(item)
        return item


def view_counts(api: Api) -> list[tuple[int, Any]]:
    with api.runtime.transaction() as session:
        return [(v.views, v.observed_at) for v in session.scalars(select(ViewCount))]


def test_a_message_is_registered_without_media_and_allowed(api: Api) -> None:
    out = api.register_text("msg-1", MESSAGE)
    assert out == {
        "content_id": "msg-1",
        "verdict": "allow",
        "state": "visible",
        "signals": {},
        "matches": [],
    }
    item = stored(api, "msg-1")
    assert item is not None and (item.kind, item.text) == ("text", MESSAGE)
    seen = api.client.get("/v1/content/msg-1", headers=api.key("platform")).json()
    assert (seen["kind"], seen["text"]) == ("text", MESSAGE)


def test_text_alone_means_a_text_item_and_registering_again_is_idempotent(api: Api) -> None:
    data = {"content_id": "post-1", "account_id": "acct-1", "text": "hello"}
    first = api.client.post("/v1/content", data=data, headers=api.key("platform"))
    second = api.client.post("/v1/content", data=data, headers=api.key("platform"))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    item = stored(api, "post-1")
    assert item is not None and item.kind == "text"


def test_a_profile_needs_no_text(api: Api) -> None:
    response = api.client.post(
        "/v1/content",
        data={"content_id": "profile-1", "account_id": "acct-1", "kind": "profile"},
        headers=api.key("platform"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "allow"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"kind": "text", "text": "x" * 100_001}, "invalid_request"),
        ({"kind": "poem", "text": "hello"}, "invalid_request"),
        ({"kind": "image"}, "missing_media"),
        ({"kind": "video", "text": "a caption without the video"}, "missing_media"),
    ],
)
def test_bad_items_without_media_are_refused_and_nothing_is_stored(
    api: Api, form: dict[str, str], code: str
) -> None:
    response = api.client.post(
        "/v1/content",
        data={"content_id": "bad-1", "account_id": "acct-1", **form},
        headers=api.key("platform"),
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] == code
    assert stored(api, "bad-1") is None


def test_the_longest_text_allowed_is_kept_whole(api: Api) -> None:
    api.register_text("long-1", "y" * 100_000)
    item = stored(api, "long-1")
    assert item is not None and item.text is not None and len(item.text) == 100_000


def test_views_are_kept_as_a_series_and_text_edits_replace_the_text(
    api: Api, clock: ManualClock
) -> None:
    api.register_text("msg-2", MESSAGE)
    patch = api.client.patch("/v1/content/msg-2", json={"views": 120}, headers=api.key("platform"))
    assert patch.status_code == 200, patch.text
    assert patch.json()["views"] == 120
    clock.advance(timedelta(minutes=30))
    both = api.client.patch(
        "/v1/content/msg-2", json={"views": 150_000, "text": "edited"}, headers=api.key("platform")
    )
    assert both.status_code == 200, both.text
    assert (both.json()["views"], both.json()["text"]) == (150_000, "edited")
    counts = view_counts(api)
    assert [v for v, _ in counts] == [120, 150_000]
    assert counts[1][1] > counts[0][1]
    item = stored(api, "msg-2")
    assert item is not None and (item.views, item.text) == (150_000, "edited")


@pytest.mark.parametrize(
    "body",
    [
        {"views": "many"},
        {"views": -1},
        {"views": 1.5},
        {"views": True},
        {"text": 5},
        {"text": "z" * 100_001},
        {},
        {"views": 3, "colour": "red"},
    ],
)
def test_bad_updates_are_refused_and_change_nothing(api: Api, body: dict[str, Any]) -> None:
    api.register_text("msg-3", MESSAGE)
    response = api.client.patch("/v1/content/msg-3", json=body, headers=api.key("platform"))
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()
    item = stored(api, "msg-3")
    assert item is not None and (item.views, item.text) == (None, MESSAGE)
    assert view_counts(api) == []


def test_updates_need_a_platform_key_and_a_registered_item(api: Api) -> None:
    api.register_text("msg-4", MESSAGE)
    anonymous = api.client.patch("/v1/content/msg-4", json={"views": 1})
    assert anonymous.status_code == 401
    reviewer = api.client.patch("/v1/content/msg-4", json={"views": 1}, headers=api.key("reviewer"))
    assert reviewer.status_code == 403
    missing = api.client.patch("/v1/content/nope", json={"views": 1}, headers=api.key("platform"))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "content_not_found")
    assert view_counts(api) == []


def test_an_edit_after_a_report_is_recorded_and_the_preserved_text_stays(api: Api) -> None:
    api.register_text("msg-5", MESSAGE)
    case_id = api.report(content_id="msg-5", category="grooming", reporter_role="parent_guardian")[
        "case_id"
    ]
    edited = api.client.patch(
        "/v1/content/msg-5", json={"text": "nice weather today"}, headers=api.key("platform")
    )
    assert edited.status_code == 200, edited.text
    [event] = [e for e in api.case(case_id)["events"] if e["type"] == "content_edited"]
    assert event["data"] == {
        "content_id": "msg-5",
        "previous_chars": len(MESSAGE),
        "chars": len("nice weather today"),
        "evidence_kept": True,
    }
    from takedown.services.evidence import _open, record_for_item

    with api.runtime.transaction() as session:
        item = session.scalars(select(ContentItem).where(ContentItem.content_id == "msg-5")).one()
        record = record_for_item(session, item.id)
        assert record is not None
        assert _open(session, record, "media").decode() == MESSAGE
