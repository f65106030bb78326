"""Strikes for other policies, restoring after `not_violating`, and idempotent re-application."""

from __future__ import annotations

from takedown.domain.vocabulary import Outcome, Policy
from takedown.services.cases import get_case
from takedown.services.enforcement import apply_final_decision
from tests.support.enforcement import account_states, content_state, decide, events, snapshot
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver


def harassment_case(api: Api, content_id: str, account_id: str) -> str:
    api.register(content_id, account_id=account_id)
    report = api.report(content_id=content_id, category="harassment", reporter_role="third_party")
    return report["case_id"]  # type: ignore[no-any-return]


def test_other_policies_give_strikes_and_suspend_at_the_threshold(api: Api) -> None:
    first = harassment_case(api, "p-1", "acct-a")
    decide(api, first, "violating", "harassment")
    assert account_states(api)["acct-a"] == ("active", 1)
    assert content_state(api, "p-1") == "removed"

    before = snapshot(api)
    with api.runtime.transaction() as session:
        case = get_case(session, first)
        now = api.runtime.clock.now()
        apply_final_decision(session, case, Outcome.VIOLATING, Policy.HARASSMENT, "lead-1", now)
    assert snapshot(api) == before  # the same decision again: no second strike
    assert account_states(api)["acct-a"] == ("active", 1)

    second = harassment_case(api, "p-2", "acct-a")
    decide(api, second, "violating", "harassment")
    assert account_states(api)["acct-a"] == ("suspended", 2)  # threshold 2 in these tests
    actions = [e["data"]["action"] for e in events(api, second, "action")]
    assert actions == ["removed", "strike", "suspended"]


def test_not_violating_restores_what_was_hidden(api: Api, receiver: WebhookReceiver) -> None:
    api.webhook(receiver)
    api.register("p-1", account_id="acct-a")
    report = api.report(
        content_id="p-1",
        category="non_consensual_intimate_imagery",
        reporter_role="depicted_person",
    )
    assert content_state(api, "p-1") == "restricted"
    decide(api, report["case_id"], "not_violating", "none")
    assert content_state(api, "p-1") == "visible"
    before = snapshot(api)
    with api.runtime.transaction() as session:
        case = get_case(session, report["case_id"])
        now = api.runtime.clock.now()
        apply_final_decision(session, case, Outcome.NOT_VIOLATING, Policy.NONE, "lead-1", now)
    assert snapshot(api) == before
    api.runtime.worker.drain()
    assert [d["type"] for d in receiver.of_type("content.restored")] == ["content.restored"]
    messages = [u["message"] for u in api.status(report["status_token"])["updates"]]
    assert any("made visible again" in m for m in messages)
