"""The reporter's status: specific steps in plain words, never a generic message."""

from __future__ import annotations

from datetime import timedelta

from takedown.clock import ManualClock
from tests.support.factories import Api


def test_status_lists_received_hidden_and_the_decision_deadline(api: Api) -> None:
    api.register("p-1")
    out = api.report(
        content_id="p-1",
        category="child_sexual_exploitation",
        reporter_role="parent_guardian",
        depicts_minor=True,
    )
    status = api.status(out["status_token"])
    assert status["case_id"] == out["case_id"]
    assert (status["state"], status["priority"], status["content_state"]) == (
        "open",
        "P0",
        "restricted",
    )
    messages = [u["message"] for u in status["updates"]]
    assert any("received your report" in m for m in messages)
    assert any("hidden from public view" in m for m in messages)
    assert any("decision is due by 01:00 UTC on 1 January 2026" in m for m in messages), messages
    assert status["decision"] is None
    assert status["can_appeal"] is False
    assert len(set(messages)) == len(messages)


def test_status_shows_escalation_in_words(api: Api, clock: ManualClock) -> None:
    api.register("p-1")
    out = api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
    clock.advance(timedelta(minutes=31))
    api.runtime.worker.drain()
    messages = [u["message"] for u in api.status(out["status_token"])["updates"]]
    assert any("passed to senior reviewers" in m for m in messages), messages


def test_another_persons_report_is_mentioned_without_their_details(api: Api) -> None:
    api.register("p-1")
    mine = api.report(content_id="p-1", category="harassment", reporter_account_id="me")
    api.report(
        content_id="p-1",
        category="harassment",
        reporter_account_id="them",
        statement="private words of another reporter",
    )
    status = api.status(mine["status_token"])
    text = " ".join(u["message"] for u in status["updates"])
    assert "Someone else also reported" in text
    assert "private words" not in text


def test_unknown_status_token_is_a_404_in_the_error_shape(api: Api) -> None:
    response = api.client.get("/v1/status/not-a-real-token")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "status_not_found"


def test_a_raised_priority_tells_the_new_deadline_in_plain_words(api: Api) -> None:
    api.register("p-1")
    mine = api.forward(content_id="p-1", category="harassment", reporter_account_id="a")
    api.forward(content_id="p-1", category="harassment", reporter_account_id="b")
    api.forward(content_id="p-1", category="harassment", reporter_account_id="c")
    messages = [u["message"] for u in api.status(mine["status_token"])["updates"]]
    raised = [m for m in messages if "more urgent" in m]
    assert raised == [
        "Your case was made more urgent; the decision is now due by 04:00 UTC on 1 January 2026."
    ], messages
    assert not any("P1" in m or "P2" in m or "priority" in m for m in messages), messages


def test_the_story_starts_with_the_report_even_when_the_item_was_already_hidden(
    api: Api,
) -> None:
    api.register("p-9")
    api.report(content_id="p-9", reporter_role="parent_guardian", depicts_minor=True)
    later = api.report(content_id="p-9", category="child_sexual_exploitation")
    messages = [u["message"] for u in api.status(later["status_token"])["updates"]]
    assert messages[0].startswith("We received your report.")
    assert "already hidden from public view when you reported it" in messages[0]
    assert messages[-1].startswith("A decision is due by")
    assert not any("P0" in m or "P1" in m or "p-9" in m for m in messages), messages


def test_a_report_after_the_removal_says_so_and_ends_on_the_decision(api: Api) -> None:
    api.register("p-8")
    first = api.report(content_id="p-8", reporter_role="parent_guardian", depicts_minor=True)
    response = api.client.post(
        f"/v1/cases/{first['case_id']}/decision",
        json={
            "outcome": "violating",
            "policy": "csam",
            "reason": "a child in sexual content",
            "without_media_reason": "decided on the registered hashes",
        },
        headers=api.key("lead"),
    )
    assert response.status_code == 200, response.text
    parent = api.report(content_id="p-8", reporter_role="parent_guardian", depicts_minor=True)
    status = api.status(parent["status_token"])
    messages = [u["message"] for u in status["updates"]]
    assert messages == [
        "We received your report. The content had already been removed from the platform "
        "when you reported it."
    ], messages
    assert status["content_state"] == "removed"
    assert not any("will look at it" in m for m in messages)
