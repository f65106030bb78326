"""On call: escalation webhooks say who must act and why; a lead's queue puts breaches and
escalations first."""

from __future__ import annotations

from datetime import timedelta

from takedown.clock import ManualClock
from takedown.services import review
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver
from tests.support.review import child_safety_case, staff_user
from tests.support.staff_web import sign_in


def test_escalations_name_the_roles_the_action_and_the_holder(
    api: Api, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    case_id = child_safety_case(api, "p-1")["case_id"]
    clock.advance(timedelta(minutes=29))
    rita = Principal("rita", Role.REVIEWER)
    with api.runtime.transaction() as session:
        review.claim(session, get_case(session, case_id), rita, clock.now())
    clock.advance(timedelta(minutes=1))  # rita holds the case at half time
    api.runtime.worker.drain()
    clock.advance(timedelta(minutes=30))
    api.runtime.worker.drain()
    escalations = [
        d.json["data"] for d in receiver.wait_for(3, 5) if d.json["type"] == "case.escalated"
    ]
    halfway, breached = escalations
    assert halfway["raised_to"] == ["lead"]
    assert halfway["assigned_to"] == "rita"
    assert halfway["action_needed"] == (
        "P0 case is past half its decision time: decide it by 2026-01-01T01:00:00Z."
    )
    assert breached["raised_to"] == ["admin"]
    assert (
        "passed its decision deadline (2026-01-01T01:00:00Z) undecided" in breached["action_needed"]
    )


def test_a_leads_queue_shows_breaches_and_escalations_first(api: Api, clock: ManualClock) -> None:
    api.register("p-old")
    old = api.report(content_id="p-old", category="harassment", reporter_role="third_party")
    clock.advance(timedelta(hours=24))
    api.runtime.worker.drain()  # the P2 case is breached
    fresh = child_safety_case(api, "p-new")  # a new P0 case, not yet escalated
    staff_user(api, "lena", "lead")
    staff_user(api, "rita", "reviewer")

    sign_in(api.client, "lena")
    lead_queue = api.client.get("/staff").text
    assert lead_queue.index(old["case_id"]) < lead_queue.index(fresh["case_id"])

    api.client.cookies.clear()
    sign_in(api.client, "rita")
    reviewer_queue = api.client.get("/staff").text
    assert reviewer_queue.index(fresh["case_id"]) < reviewer_queue.index(old["case_id"])
