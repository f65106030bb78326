"""No limit silences a child (DESIGN rule 13; issue 13, item 1).

Child-safety reports have a per-address budget of their own, so spam from a shared address
(a school network, carrier NAT) cannot use it up; the depicted person's or guardian's report
gets through even past it; a limited web report comes back with everything typed kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from takedown.app import create_app
from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.runtime import Runtime
from takedown.store.models import Report
from tests.support.factories import Api
from tests.support.public import submit_report, text_of

SPAM = {"content_id": "p-spam", "category": "spam", "reporter_role": "third_party"}


@pytest.fixture
def limited(settings: Settings, clock: ManualClock) -> Iterator[Api]:
    """The shipped per-address limit (20 a minute), and a child-safety budget of 2 an hour."""
    rt = Runtime.build(
        replace(settings, report_rate_limit="20/minute", child_safety_rate_limit="2/hour"),
        clock,
        migrate=False,
    )
    try:
        with TestClient(create_app(rt, run_worker=False)) as client:
            yield Api(client, rt)
    finally:
        rt.close()


def test_after_25_spam_reports_a_child_safety_report_is_accepted(limited: Api) -> None:
    api = limited
    api.register("p-1")
    answers = [api.client.post("/v1/reports", json=SPAM).status_code for _ in range(25)]
    assert answers.count(201) == 20 and answers[-1] == 429
    out = api.client.post(
        "/v1/reports",
        json={
            "content_id": "p-1",
            "category": "child_sexual_exploitation",
            "reporter_role": "depicted_person",
        },
    )
    assert out.status_code == 201, out.text
    assert (out.json()["priority"], out.json()["content_state"]) == ("P0", "restricted")
    # A bystander's child-safety report has the same budget apart from the spam.
    bystander = {"content_id": "p-2", "category": "grooming", "reporter_role": "third_party"}
    assert api.client.post("/v1/reports", json=bystander).status_code == 201


def test_a_bystanders_child_safety_reports_have_a_budget_too(limited: Api) -> None:
    body = {"content_id": "p-1", "category": "child_sexual_exploitation"}
    body["reporter_role"] = "third_party"
    answers = [limited.client.post("/v1/reports", json=body).status_code for _ in range(3)]
    assert answers == [201, 201, 429]
    # ... which spam does not share.
    assert limited.client.post("/v1/reports", json=SPAM).status_code == 201


def test_past_its_budget_a_victims_report_is_accepted_and_held_for_review(limited: Api) -> None:
    api = limited
    api.register("p-1")
    api.register("p-2")
    bystander = {"category": "child_sexual_exploitation", "reporter_role": "third_party"}
    for _ in range(2):
        assert (
            api.client.post("/v1/reports", json={"content_id": "p-9", **bystander}).status_code
            == 201
        )
    out = api.client.post(
        "/v1/reports",
        json={
            "content_id": "p-1",
            "category": "child_sexual_exploitation",
            "reporter_role": "parent_guardian",
            "statement": "my daughter, 14",
        },
    )
    assert out.status_code == 201, out.text
    # Kept at P0 for a reviewer within the hour; a flood of invented "victims" past the budget
    # cannot hide content on its own word.
    assert (out.json()["priority"], out.json()["content_state"]) == ("P0", "visible")
    case = api.case(out.json()["case_id"])
    report_event = [e for e in case["events"] if e["type"] == "report"][-1]
    assert report_event["data"]["held_for_review"] is True
    with api.runtime.transaction() as session:
        statements = list(session.scalars(select(Report.statement)))
    assert "my daughter, 14" in statements


def test_a_limited_web_child_safety_report_keeps_its_statement(limited: Api) -> None:
    api = limited
    for _ in range(2):
        sent = submit_report(
            api.client, content_id="p-1", category="grooming", reporter_role="third_party"
        )
        assert sent.status_code == 303
    again = submit_report(
        api.client,
        content_id="p-1",
        category="grooming",
        reporter_role="third_party",
        statement="He asked her for photos in messages.",
        contact_email="me@example.org",
    )
    assert again.status_code == 429
    assert "He asked her for photos in messages." in again.text
    assert 'value="me@example.org"' in again.text
    words = text_of(again.text)
    assert "Please send it again in about" in words
    assert int(again.headers["Retry-After"]) >= 60
