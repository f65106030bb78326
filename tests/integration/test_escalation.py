"""Deadlines escalate on their own: at half time to leads, at the deadline breached."""

from __future__ import annotations

from datetime import timedelta

import pytest

from takedown.clock import ManualClock
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver


def test_undecided_p0_escalates_at_30_minutes_and_breaches_at_60(
    api: Api, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    api.register("p-1")
    out = api.report(
        content_id="p-1",
        category="child_sexual_exploitation",
        reporter_role="law_enforcement",
        depicts_minor=True,
    )
    worker = api.runtime.worker

    clock.advance(timedelta(minutes=29, seconds=59))
    worker.drain()
    assert api.case(out["case_id"])["state"] == "open"

    clock.advance(timedelta(seconds=1))
    worker.drain()
    case = api.case(out["case_id"])
    assert case["state"] == "escalated"
    assert case["escalated_at"] == "2026-01-01T00:30:00Z"
    assert not case["breached"]
    escalated = receiver.wait_for(2, 5)
    assert [d.json["type"] for d in escalated] == ["content.restricted", "case.escalated"]
    assert escalated[1].json["data"]["reason"] == "halfway"
    assert escalated[1].json["data"]["case_id"] == out["case_id"]

    clock.advance(timedelta(minutes=29))
    worker.drain()
    assert not api.case(out["case_id"])["breached"]

    clock.advance(timedelta(minutes=1))
    worker.drain()
    case = api.case(out["case_id"])
    assert case["breached"] and case["breached_at"] == "2026-01-01T01:00:00Z"
    breach = receiver.wait_for(3, 5)[2].json
    assert (breach["type"], breach["data"]["reason"]) == ("case.escalated", "breached")

    # The sweep is idempotent: running again records nothing new.
    events_before = len(case["events"])
    clock.advance(timedelta(hours=5))
    worker.drain()
    assert len(api.case(out["case_id"])["events"]) == events_before
    assert [e["type"] for e in case["events"]].count("escalate") == 1


def test_p3_waits_36_hours_before_escalating(api: Api, clock: ManualClock) -> None:
    api.register("p-1")
    out = api.report(content_id="p-1", category="spam")
    clock.advance(timedelta(hours=35, minutes=59))
    api.runtime.worker.drain()
    assert api.case(out["case_id"])["state"] == "open"
    clock.advance(timedelta(minutes=1))
    api.runtime.worker.drain()
    assert api.case(out["case_id"])["state"] == "escalated"


def test_queue_is_most_urgent_first(api: Api, clock: ManualClock) -> None:
    for n, category in enumerate(["spam", "harassment", "child_sexual_exploitation"]):
        api.register(f"p-{n}")
        api.report(content_id=f"p-{n}", category=category, reporter_role="trusted_flagger")
        clock.advance(timedelta(minutes=1))
    queue = api.client.get("/v1/cases", headers=api.key("reviewer")).json()["cases"]
    assert [c["priority"] for c in queue] == ["P0", "P2", "P3"]
    only_p3 = api.client.get("/v1/cases?priority=P3", headers=api.key("lead")).json()["cases"]
    assert [c["priority"] for c in only_p3] == ["P3"]
    escalated = api.client.get("/v1/cases?state=escalated", headers=api.key("lead")).json()
    assert escalated["cases"] == []


def test_deadlines_are_configurable(settings, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from takedown.app import create_app
    from takedown.runtime import Runtime

    rt = Runtime.build(
        replace(settings, deadline_minutes={"P0": 20, "P1": 240, "P2": 1440, "P3": 4320}),
        clock,
        migrate=False,
    )
    with TestClient(create_app(rt, run_worker=False)) as client:
        api = Api(client, rt)
        api.register("p-1")
        out = api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
        assert api.case(out["case_id"])["deadline_at"] == "2026-01-01T00:20:00Z"


def test_sweep_reads_due_cases_in_bounded_batches_and_catches_up(
    api: Api, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each pass takes at most SWEEP_BATCH due cases, soonest first; later passes take the rest.
    Cases not yet due are never read (their next_escalation_at is in the future)."""
    from takedown.services import escalation
    from takedown.store.database import transaction

    monkeypatch.setattr(escalation, "SWEEP_BATCH", 2)
    ids = []
    for n in range(3):
        api.register(f"p-{n}")
        ids.append(
            api.report(
                content_id=f"p-{n}",
                category="child_sexual_exploitation",
                reporter_role="law_enforcement",
                depicts_minor=True,
            )["case_id"]
        )
    sessions = api.runtime.sessions
    with transaction(sessions) as session:
        assert escalation.sweep(session, clock.now()) == 0  # none due yet
    clock.advance(timedelta(minutes=30))
    with transaction(sessions) as session:
        assert escalation.sweep(session, clock.now()) == 2
    assert sum(api.case(i)["state"] == "escalated" for i in ids) == 2
    with transaction(sessions) as session:
        assert escalation.sweep(session, clock.now()) == 1
    assert all(api.case(i)["state"] == "escalated" for i in ids)
    with transaction(sessions) as session:
        assert escalation.sweep(session, clock.now()) == 0
