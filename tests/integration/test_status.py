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
    raised = [m for m in messages if "raised to P1" in m]
    assert raised == [
        "Your case's priority was raised to P1; the decision is now due by "
        "04:00 UTC on 1 January 2026."
    ], messages
