"""The uploader's side (DSA Art. 17 and 20): every removal and suspension webhook carries a
statement of reasons the platform can show, and the appeal goes to a different senior reviewer."""

from __future__ import annotations

import json

from tests.support.banks import add_hashes, make_bank
from tests.support.enforcement import synthetic_png, upload
from tests.support.factories import Api
from tests.support.media_host import MediaHost
from tests.support.receiver import WebhookReceiver
from tests.support.review import decide

REASON = "sexual image of a child, confirmed against the report"


def test_a_human_removal_and_suspension_explain_themselves_and_how_to_appeal(
    api: Api, receiver: WebhookReceiver, media: MediaHost
) -> None:
    api.webhook(receiver)
    picture = synthetic_png(21)
    upload(api, "p-1", "acct-u", picture, media.put("/m/p-1.png", picture))
    case_id = api.report(content_id="p-1", reporter_role="parent_guardian", depicts_minor=True)[
        "case_id"
    ]
    api.runtime.worker.drain()  # evidence captured: the reviewer could see the media
    assert decide(api, case_id, "lead-1", "lead", "violating", reason=REASON).status_code == 200
    api.runtime.worker.drain()

    (hidden,) = receiver.of_type("content.restricted")
    sor = hidden["data"]["statement_of_reasons"]
    assert (sor["action"], sor["decided_by"], sor["appeal"]["possible"]) == (
        "restricted",
        "automated",
        False,
    )
    assert "No decision has been made yet" in sor["text"]

    (removed,) = receiver.of_type("content.removed")
    sor = removed["data"]["statement_of_reasons"]
    assert sor["action"] == "removed" and sor["content_id"] == "p-1"
    assert (sor["policy"], sor["illegal"], sor["facts"]) == ("csam", True, REASON)
    assert (sor["decided_by"], sor["automated_decision"], sor["automated_detection"]) == (
        "human",
        False,
        False,
    )
    assert sor["appeal"]["endpoint"] == "/v1/content/p-1/appeal"
    assert "trained reviewer" in sor["text"] and "appeal" in sor["text"]

    (suspended,) = receiver.of_type("account.suspended")
    sor = suspended["data"]["statement_of_reasons"]
    assert (sor["action"], sor["account_id"], sor["decided_by"]) == ("suspended", "acct-u", "human")
    assert sor["appeal"]["endpoint"] == "/v1/content/p-1/appeal"
    assert sor["facts"] == REASON

    # The uploader's appeal, relayed by the platform, goes to a lead who did not decide.
    appeal = api.client.post(
        sor["appeal"]["endpoint"],
        json={"statement": "it is a drawing"},
        headers=api.key("platform"),
    )
    assert appeal.status_code == 201, appeal.text
    same = decide(api, case_id, "lead-1", "lead", "not_violating", "none")
    assert (same.status_code, same.json()["error"]["code"]) == (
        409,
        "appeal_needs_different_lead",
    )
    reviewer = decide(api, case_id, "reviewer-1", "reviewer", "not_violating", "none")
    assert reviewer.status_code == 403
    other = decide(api, case_id, "lead-2", "lead", "not_violating", "none", reason="a drawing")
    assert other.status_code == 200, other.text
    api.runtime.worker.drain()
    assert [d["data"]["content_id"] for d in receiver.of_type("content.restored")] == ["p-1"]
    assert [d["data"]["account_id"] for d in receiver.of_type("account.restored")] == ["acct-u"]


def test_a_blocked_upload_says_it_was_automated(api: Api, receiver: WebhookReceiver) -> None:
    api.webhook(receiver)
    make_bank(api, "known-csam", action="block")
    add_hashes(api, "known-csam", {"signal": "md5", "value": "ab" * 16})
    response = api.client.post(
        "/v1/content",
        data={
            "content_id": "p-2",
            "account_id": "acct-b",
            "signals": json.dumps({"md5": "ab" * 16}),
        },
        headers=api.key("platform"),
    )
    assert response.json()["verdict"] == "block", response.text
    api.runtime.worker.drain()
    (removed,) = receiver.of_type("content.removed")
    sor = removed["data"]["statement_of_reasons"]
    assert (sor["decided_by"], sor["automated_decision"], sor["automated_detection"]) == (
        "automated",
        True,
        True,
    )
    assert "known abuse material" in sor["ground"] and "automatic check" in sor["text"]
