"""Decisions, the two-person rule, appeals and claims over the API (both databases)."""

from __future__ import annotations

import threading
from datetime import timedelta

from takedown.clock import ManualClock, rfc3339
from takedown.services import review
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case
from takedown.services.errors import Conflict, Forbidden
from tests.support.factories import Api
from tests.support.review import child_safety_case, decide, events_of

REVIEWER_A = Principal("reviewer-a", Role.REVIEWER)
REVIEWER_B = Principal("reviewer-b", Role.REVIEWER)


def test_violating_decision_is_final_at_once_and_removes_the_content(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]

    response = decide(api, case_id, "reviewer-1", "reviewer", "violating")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "decided"
    assert body["content"][0]["state"] == "removed"
    [event] = [e for e in body["events"] if e["type"] == "decide"]
    assert event["actor"] == "reviewer-1"
    assert event["data"]["final"] is True
    assert event["data"]["stage"] == "first"
    assert (event["data"]["outcome"], event["data"]["policy"]) == ("violating", "csam")


def test_a_decision_needs_a_reason_and_a_policy_and_bad_input_changes_nothing(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]

    blank = decide(api, case_id, "reviewer-1", "reviewer", "violating", reason="   ")
    no_policy = decide(api, case_id, "reviewer-1", "reviewer", "violating", policy="none")
    unknown = decide(api, case_id, "reviewer-1", "reviewer", "violating", policy="made-up")
    missing = api.client.post(
        f"/v1/cases/{case_id}/decision",
        json={"outcome": "violating", "policy": "csam"},
        headers=api.key("reviewer"),
    )

    assert (blank.status_code, blank.json()["error"]["code"]) == (422, "reason_required")
    assert (no_policy.status_code, no_policy.json()["error"]["code"]) == (422, "policy_required")
    assert unknown.status_code == 422
    assert missing.status_code == 422
    assert api.case(case_id)["state"] == "open"
    assert events_of(api, case_id, "decide") == []


def test_legal_and_platform_cannot_decide(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]
    assert decide(api, case_id, "legal-1", "legal", "violating").status_code == 403
    assert decide(api, case_id, "platform-1", "platform", "violating").status_code == 403
    assert api.case(case_id)["state"] == "open"


def test_a_reviewer_cannot_dismiss_a_child_safety_case_alone(api: Api) -> None:
    report = child_safety_case(api)
    case_id = report["case_id"]

    first = decide(api, case_id, "reviewer-1", "reviewer", "not_violating", policy="none")

    assert first.status_code == 202, first.text
    assert first.json()["state"] == "pending_second_review"
    # Content stays hidden and the reporter is not told "no violation" yet.
    assert first.json()["content"][0]["state"] == "restricted"
    status = api.status(report["status_token"])
    assert status["decision"] is None and status["can_appeal"] is False

    other_reviewer = decide(api, case_id, "reviewer-2", "reviewer", "not_violating", "none")
    assert other_reviewer.status_code == 403
    assert other_reviewer.json()["error"]["code"] == "second_review_needs_lead"
    assert api.case(case_id)["state"] == "pending_second_review"

    second = decide(api, case_id, "lead-1", "lead", "not_violating", policy="none")

    assert second.status_code == 200, second.text
    assert second.json()["state"] == "decided"
    assert second.json()["content"][0]["state"] == "visible"
    decisions = events_of(api, case_id, "decide")
    assert [(e["actor"], e["data"]["stage"], e["data"]["final"]) for e in decisions] == [
        ("reviewer-1", "first", False),
        ("lead-1", "second", True),
    ]
    status = api.status(report["status_token"])
    assert status["decision"]["outcome"] == "not_violating"
    assert status["can_appeal"] is True


def test_a_lead_who_made_the_first_decision_cannot_be_the_second(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]
    assert decide(api, case_id, "lead-1", "lead", "not_violating", "none").status_code == 202

    again = decide(api, case_id, "lead-1", "lead", "not_violating", "none")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "same_person_second_review"
    assert api.case(case_id)["state"] == "pending_second_review"
    assert decide(api, case_id, "lead-2", "lead", "not_violating", "none").status_code == 200


def test_a_second_lead_may_overrule_a_dismissal(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]
    decide(api, case_id, "reviewer-1", "reviewer", "not_violating", "none")

    overruled = decide(api, case_id, "lead-1", "lead", "violating", "csam")

    assert overruled.status_code == 200
    assert overruled.json()["content"][0]["state"] == "removed"
    [second] = [e for e in events_of(api, case_id, "decide") if e["data"]["stage"] == "second"]
    assert second["data"]["agrees_with_first"] is False


def test_a_dismissal_outside_child_safety_is_final_at_once(api: Api) -> None:
    api.register("p-9")
    case_id = api.report(content_id="p-9", category="harassment")["case_id"]

    response = decide(api, case_id, "reviewer-1", "reviewer", "not_violating", "none")

    assert response.status_code == 200
    assert response.json()["state"] == "decided"


def test_a_decided_case_is_not_decided_again(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]
    decide(api, case_id, "reviewer-1", "reviewer", "violating")
    again = decide(api, case_id, "reviewer-2", "reviewer", "not_violating", "none")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_decided")


def test_the_reporters_appeal_lands_with_a_lead_who_did_not_decide(
    api: Api, clock: ManualClock
) -> None:
    report = child_safety_case(api)
    case_id = report["case_id"]
    decide(api, case_id, "reviewer-1", "reviewer", "not_violating", "none")
    decide(api, case_id, "lead-1", "lead", "not_violating", "none")
    clock.advance(timedelta(hours=3))

    appeal = api.client.post(
        f"/v1/status/{report['status_token']}/appeal", json={"statement": "it is my child"}
    )

    assert appeal.status_code == 201, appeal.text
    assert appeal.json()["state"] == "appealed"
    case = api.case(case_id)
    assert case["state"] == "appealed"
    assert case["deadline_at"] == rfc3339(clock.now() + timedelta(hours=1))
    assert api.status(report["status_token"])["can_appeal"] is False
    [event] = events_of(api, case_id, "appeal")
    assert event["actor"] == "reporter"
    assert event["data"]["decided_by"] == "lead-1"

    by_first_lead = decide(api, case_id, "lead-1", "lead", "violating")
    by_reviewer = decide(api, case_id, "reviewer-2", "reviewer", "violating")

    assert by_first_lead.json()["error"]["code"] == "appeal_needs_different_lead"
    assert by_first_lead.status_code == 409
    assert (by_reviewer.status_code, by_reviewer.json()["error"]["code"]) == (
        403,
        "appeal_needs_lead",
    )
    upheld = decide(api, case_id, "lead-2", "lead", "violating", "csam", "on a second look, CSAM")
    assert upheld.status_code == 200
    assert upheld.json()["content"][0]["state"] == "removed"
    [last] = [e for e in events_of(api, case_id, "decide") if e["data"]["stage"] == "appeal"]
    assert (last["actor"], last["data"]["final"]) == ("lead-2", True)


def test_an_appeal_needs_a_final_dismissal(api: Api) -> None:
    report = child_safety_case(api)
    token = report["status_token"]

    while_open = api.client.post(f"/v1/status/{token}/appeal", json={"statement": "x"})
    decide(api, report["case_id"], "reviewer-1", "reviewer", "not_violating", "none")
    while_pending = api.client.post(f"/v1/status/{token}/appeal", json={})
    unknown = api.client.post("/v1/status/no-such-token/appeal", json={})

    for response in (while_open, while_pending):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "appeal_not_allowed"
    assert unknown.status_code == 404
    assert events_of(api, report["case_id"], "appeal") == []


def test_the_uploader_appeals_a_removal_through_the_platform(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]
    decide(api, case_id, "lead-1", "lead", "violating")

    as_reviewer = api.client.post(
        "/v1/content/p-1/appeal", json={"statement": "x"}, headers=api.key("reviewer")
    )
    unknown = api.client.post("/v1/content/nope/appeal", json={}, headers=api.key("platform"))
    appeal = api.client.post(
        "/v1/content/p-1/appeal",
        json={"statement": "this is a cartoon of my own making"},
        headers=api.key("platform"),
    )

    assert as_reviewer.status_code == 403
    assert unknown.status_code == 404
    assert appeal.status_code == 201, appeal.text
    assert api.case(case_id)["state"] == "appealed"
    [event] = events_of(api, case_id, "appeal")
    assert (event["actor"], event["data"]["by"]) == ("platform-1", "uploader")
    assert decide(api, case_id, "lead-1", "lead", "not_violating", "none").status_code == 409
    assert decide(api, case_id, "lead-2", "lead", "violating").status_code == 200
    again = api.client.post("/v1/content/p-1/appeal", json={}, headers=api.key("platform"))
    assert again.status_code == 201  # a new final removal may be appealed again


def test_a_dismissed_case_cannot_be_appealed_by_the_uploader(api: Api) -> None:
    api.register("p-9")
    case_id = api.report(content_id="p-9", category="harassment")["case_id"]
    decide(api, case_id, "reviewer-1", "reviewer", "not_violating", "none")
    response = api.client.post("/v1/content/p-9/appeal", json={}, headers=api.key("platform"))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "appeal_not_allowed")


def test_a_case_claimed_by_someone_else_is_refused_until_the_claim_lapses(
    api: Api, clock: ManualClock
) -> None:
    case_id = child_safety_case(api)["case_id"]
    with api.runtime.transaction() as session:
        review.claim(session, get_case(session, case_id), REVIEWER_A, clock.now())

    refused = decide(api, case_id, "reviewer-b", "reviewer", "violating")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "case_claimed")
    clock.advance(timedelta(minutes=api.runtime.settings.claim_idle_minutes, seconds=1))
    assert decide(api, case_id, "reviewer-b", "reviewer", "violating").status_code == 200


def test_claims_and_reveals_are_events_with_who_and_when(api: Api, clock: ManualClock) -> None:
    case_id = child_safety_case(api)["case_id"]
    with api.runtime.transaction() as session:
        case = get_case(session, case_id)
        item_id = case.links[0].item_id
        review.claim(session, case, REVIEWER_A, clock.now())
    clock.advance(timedelta(minutes=2))
    with api.runtime.transaction() as session:
        review.reveal(session, get_case(session, case_id), item_id, REVIEWER_A, clock.now())

    [assign] = events_of(api, case_id, "assign")
    [reveal] = events_of(api, case_id, "reveal")
    assert (assign["actor"], assign["at"]) == ("reviewer-a", "2026-01-01T00:00:00Z")
    assert (reveal["actor"], reveal["at"]) == ("reviewer-a", "2026-01-01T00:02:00Z")
    assert reveal["data"]["content_id"] == "p-1"


def test_media_of_a_case_not_claimed_cannot_be_revealed(api: Api, clock: ManualClock) -> None:
    case_id = child_safety_case(api)["case_id"]
    with api.runtime.transaction() as session:
        case = get_case(session, case_id)
        item_id = case.links[0].item_id
        review.claim(session, case, REVIEWER_A, clock.now())
    for who in (REVIEWER_B, Principal("lead-1", Role.LEAD)):
        try:
            with api.runtime.transaction() as session:
                review.reveal(session, get_case(session, case_id), item_id, who, clock.now())
        except Forbidden as exc:
            assert exc.code == "claim_required"
        else:
            raise AssertionError(f"{who.name} revealed media of a case they had not claimed")
    assert events_of(api, case_id, "reveal") == []


def test_an_idle_claim_is_released_and_recorded(api: Api, clock: ManualClock) -> None:
    case_id = child_safety_case(api)["case_id"]
    with api.runtime.transaction() as session:
        review.claim(session, get_case(session, case_id), REVIEWER_A, clock.now())
    clock.advance(timedelta(minutes=14))
    with api.runtime.transaction() as session:
        assert review.release_idle_claims(session, clock.now()) == 0
        try:
            review.claim(session, get_case(session, case_id), REVIEWER_B, clock.now())
        except Conflict as exc:
            assert exc.code == "case_claimed"
        else:
            raise AssertionError("a live claim was taken over")
    clock.advance(timedelta(minutes=2))
    with api.runtime.transaction() as session:
        assert review.release_idle_claims(session, clock.now()) == 1
    with api.runtime.transaction() as session:
        review.claim(session, get_case(session, case_id), REVIEWER_B, clock.now())
    [release] = events_of(api, case_id, "release")
    assert release["actor"] == review.CLAIM_EXPIRY
    assert release["data"] == {"claimed_by": "reviewer-a", "reason": "idle"}
    assert [e["actor"] for e in events_of(api, case_id, "assign")] == ["reviewer-a", "reviewer-b"]


def test_claim_next_gives_concurrent_reviewers_different_cases(
    api: Api, clock: ManualClock
) -> None:
    for n in range(6):
        child_safety_case(api, f"p-{n}", f"acct-{n}")
    results: dict[str, str | None] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def work(name: str) -> None:
        try:
            start.wait()
            with api.runtime.transaction() as session:
                case = review.claim_next(session, Principal(name, Role.REVIEWER), clock.now())
                results[name] = case.id if case else None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"reviewer-{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    claimed = list(results.values())
    assert None not in claimed
    assert len(set(claimed)) == 6
    with api.runtime.transaction() as session:
        holders = review.claims_by_case(session, [c for c in claimed if c], clock.now())
    assert sorted(holders.values()) == sorted(results)


def test_two_reviewers_racing_for_one_case_one_wins(api: Api, clock: ManualClock) -> None:
    case_id = child_safety_case(api)["case_id"]
    won: list[str] = []
    lost: list[str] = []
    start = threading.Barrier(4)

    def work(name: str) -> None:
        start.wait()
        try:
            with api.runtime.transaction() as session:
                case = get_case(session, case_id)
                review.claim(session, case, Principal(name, Role.REVIEWER), clock.now())
            won.append(name)
        except Conflict:
            lost.append(name)

    threads = [threading.Thread(target=work, args=(f"reviewer-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(won) == 1 and len(lost) == 3
    assert [e["actor"] for e in events_of(api, case_id, "assign")] == won


def test_claim_next_routes_an_appeal_only_to_a_lead_who_did_not_decide(
    api: Api, clock: ManualClock
) -> None:
    report = child_safety_case(api)
    case_id = report["case_id"]
    decide(api, case_id, "reviewer-1", "reviewer", "not_violating", "none")
    decide(api, case_id, "lead-1", "lead", "not_violating", "none")
    api.client.post(f"/v1/status/{report['status_token']}/appeal", json={})

    with api.runtime.transaction() as session:
        for_reviewer = review.claim_next(
            session, Principal("reviewer-2", Role.REVIEWER), clock.now()
        )
        for_first_lead = review.claim_next(session, Principal("lead-1", Role.LEAD), clock.now())
        for_other_lead = review.claim_next(session, Principal("lead-2", Role.LEAD), clock.now())
        landed = (for_reviewer, for_first_lead, for_other_lead and for_other_lead.id)

    assert landed == (None, None, case_id)


def test_the_worker_sweep_releases_idle_claims(api: Api, clock: ManualClock) -> None:
    case_id = child_safety_case(api)["case_id"]
    with api.runtime.transaction() as session:
        review.claim(session, get_case(session, case_id), REVIEWER_A, clock.now())
    clock.advance(timedelta(minutes=api.runtime.settings.claim_idle_minutes, seconds=1))
    api.runtime.worker.run_once()
    [release] = events_of(api, case_id, "release")
    assert release["data"] == {"claimed_by": "reviewer-a", "reason": "idle"}


def test_a_removal_reversed_on_appeal_restores_the_item_and_the_account(api: Api) -> None:
    case_id = child_safety_case(api)["case_id"]
    assert decide(api, case_id, "lead-1", "lead", "violating", "csam").status_code == 200
    content = api.case(case_id)["content"][0]
    account = content["account_id"]
    assert content["state"] == "removed"
    signals = {k: v for k, v in content["signals"].items() if k in ("md5", "sha256")}
    assert api.register("p-again", account_id="acct-other", **signals)["verdict"] == "block"
    appeal = api.client.post(
        "/v1/content/p-1/appeal", json={"statement": "mine"}, headers=api.key("platform")
    )
    assert appeal.status_code == 201
    # Dismissing on appeal is a lead's second look; on a child-safety case a second lead agrees.
    decide(api, case_id, "lead-2", "lead", "not_violating", "none")
    decide(api, case_id, "lead-3", "lead", "not_violating", "none")
    case = api.case(case_id)
    assert case["content"][0]["state"] == "visible"
    # The media are no longer banked: a new upload of them is allowed again.
    assert api.register("p-third", account_id="acct-third", **signals)["verdict"] == "allow"
    actions = [e["data"]["action"] for e in events_of(api, case_id, "action")]
    assert actions.count("restored") == 1 and actions.count("account_restored") == 1
    with api.runtime.transaction() as session:
        from takedown.store.models import Account

        restored = session.get(Account, account)
        assert restored is not None and restored.state == "active"
