"""The TAKE IT DOWN Act: a valid depicted-person request starts its own 48-hour removal clock."""

from __future__ import annotations

from datetime import timedelta

from takedown.clock import ManualClock
from tests.support.enforcement import content_state, decide, events, synthetic_png, upload
from tests.support.factories import Api

REQUEST = {
    "category": "non_consensual_intimate_imagery",
    "reporter_role": "depicted_person",
    "good_faith_statement": True,
    "signature": "J. D.",
}


def test_a_valid_request_starts_a_48_hour_clock_apart_from_the_deadline(
    api: Api, clock: ManualClock
) -> None:
    api.register("p-1", account_id="acct-a")
    report = api.report(content_id="p-1", **REQUEST)
    case = api.case(report["case_id"])
    due = (clock.now() + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert case["take_it_down"]["removal_due_at"] == due
    assert case["deadline_at"] != due  # the decision deadline is its own (P1: 4 hours)
    words = api.status(report["status_token"])["updates"][0]["message"]
    assert "TAKE IT DOWN Act" in words

    clock.advance(timedelta(hours=24, minutes=1))
    api.runtime.worker.drain()
    raised = [e["data"] for e in events(api, report["case_id"]) if e["data"].get("clock")]
    assert [(r["reason"], r["raised_to"]) for r in raised][-1] == (
        "take_it_down_halfway",
        "leads, admins",
    )
    clock.advance(timedelta(hours=24))
    api.runtime.worker.drain()
    api.runtime.worker.drain()  # the sweep records each step once
    raised = [e for e in events(api, report["case_id"]) if e["data"].get("clock")]
    assert [e["type"] for e in raised] == ["escalate", "breach"]
    assert api.case(report["case_id"])["take_it_down"]["breached_at"] is not None
    messages = [u["message"] for u in api.status(report["status_token"])["updates"]]
    assert any("48 hours passed before the content was removed" in m for m in messages)


def test_the_signature_stays_optional_for_every_other_report(api: Api) -> None:
    api.register("p-1")
    plain = api.report(content_id="p-1", category="harassment", reporter_role="third_party")
    assert api.case(plain["case_id"])["take_it_down"] is None
    unsigned = api.report(
        content_id="p-2",
        category="non_consensual_intimate_imagery",
        reporter_role="depicted_person",
        good_faith_statement=True,
    )
    assert api.case(unsigned["case_id"])["take_it_down"] is None
    third_party = api.report(content_id="p-3", **{**REQUEST, "reporter_role": "third_party"})
    assert api.case(third_party["case_id"])["take_it_down"] is None


def test_deciding_removes_identical_copies_and_stops_the_clock(
    api: Api, clock: ManualClock
) -> None:
    picture = synthetic_png(21)
    upload(api, "p-1", "acct-a", picture)
    upload(api, "p-2", "acct-b", picture)  # the same file, posted again elsewhere
    upload(api, "p-3", "acct-c", synthetic_png(22))  # a different picture stays up
    report = api.report(content_id="p-1", **REQUEST)
    decide(api, report["case_id"], "violating", "ncii")
    api.runtime.worker.drain()
    assert content_state(api, "p-1") == "removed"
    assert content_state(api, "p-2") == "removed"
    assert content_state(api, "p-3") == "visible"
    case = api.case(report["case_id"])
    assert case["take_it_down"]["stopped_at"] is not None
    clock.advance(timedelta(hours=49))
    api.runtime.worker.drain()
    assert not [e for e in events(api, report["case_id"]) if e["data"].get("clock")]
