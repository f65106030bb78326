"""Messages without media and reports about an account (issue 13, item 2)."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.store.evidence_vault import EvidenceVault
from takedown.store.filings import EvidenceRecord
from takedown.store.models import Account
from tests.support.enforcement import content_state, events, synthetic_png, upload
from tests.support.factories import Api
from tests.support.media_host import MediaHost
from tests.support.receiver import WebhookReceiver

MESSAGE = "you are so mature for 13. delete this chat and send me a photo, our secret"


def evidence_records(api: Api) -> dict[str, EvidenceRecord]:
    with api.runtime.transaction() as session:
        records = list(session.scalars(select(EvidenceRecord)))
        for r in records:
            session.expunge(r)
        return {r.content_id: r for r in records}


def test_a_grooming_message_reported_by_a_parent_is_hidden_and_preserved(api: Api) -> None:
    api.register_text("msg-1", MESSAGE, account_id="groomer")
    receipt = api.report(content_id="msg-1", category="grooming", reporter_role="parent_guardian")
    assert (receipt["priority"], receipt["content_state"]) == ("P0", "restricted")
    assert content_state(api, "msg-1") == "restricted"
    case = api.case(receipt["case_id"])
    assert case["content"][0]["text"] == MESSAGE and case["content"][0]["kind"] == "text"

    # Preserved at once, without a fetch: the text is the evidence, encrypted on disk.
    record = evidence_records(api)["msg-1"]
    assert (record.status, record.source, record.media_type) == ("stored", "text", "text/plain")
    folder = api.runtime.settings.data_dir / "evidence"
    on_disk = (folder / f"{record.id}.media").read_bytes()
    assert MESSAGE.encode() not in on_disk and b"mature" not in on_disk
    vault = EvidenceVault(folder, base64.b64decode(api.runtime.settings.evidence_key))
    assert vault.get(record.id, "media").decode() == MESSAGE
    assert [e["data"]["action"] for e in events(api, receipt["case_id"], "evidence")] == [
        "captured"
    ]


def test_a_report_naming_only_an_account_opens_a_case_listing_its_items(
    api: Api, media: MediaHost
) -> None:
    api.register_text("dm-1", "first message", account_id="acct-x")
    picture = synthetic_png(7)
    upload(api, "pic-1", "acct-x", picture, media.put("/m/pic-1.png", picture))
    api.register_text("other-1", "someone else", account_id="acct-y")
    earlier = api.report(content_id="dm-1", category="harassment", reporter_role="third_party")

    receipt = api.report(
        account_id="acct-x",
        category="child_sexual_exploitation",
        reporter_role="third_party",
        statement="this account sells videos of a boy",
    )
    assert receipt["content_state"] is None
    case = api.case(receipt["case_id"])
    assert case["subject_account_id"] == "acct-x"
    subject = case["subject_account"]
    assert subject["account_id"] == "acct-x" and subject["state"] == "active"
    assert sorted(i["content_id"] for i in subject["items"]) == ["dm-1", "pic-1"]
    assert [c["case_id"] for c in subject["cases"]] == [earlier["case_id"]]
    assert case["reports"][0]["account_id"] == "acct-x"
    # Listed, not acted on: reporting an account hides nothing it posted (DESIGN rule 11).
    assert case["content"] == []
    assert content_state(api, "dm-1") == "visible" and content_state(api, "pic-1") == "visible"

    # A second report on the same account joins the same case.
    again = api.report(account_id="acct-x", category="grooming", reporter_role="third_party")
    assert again["case_id"] == receipt["case_id"]


def test_a_lead_suspends_the_account_a_case_is_about(api: Api, receiver: WebhookReceiver) -> None:
    api.webhook(receiver)
    api.register_text("dm-2", "hello", account_id="acct-z")
    case_id = api.report(account_id="acct-z", category="grooming", reporter_role="third_party")[
        "case_id"
    ]
    path = f"/v1/cases/{case_id}/account-suspension"
    body = {"policy": "grooming", "reason": "grooming messages to several children"}

    reviewer = api.client.post(path, json=body, headers=api.key("reviewer"))
    assert reviewer.status_code == 403
    bad = api.client.post(path, json={**body, "policy": "rudeness"}, headers=api.key("lead"))
    assert bad.status_code == 422
    with api.runtime.transaction() as session:
        assert session.get(Account, "acct-z").state == "active"  # type: ignore[union-attr]

    done = api.client.post(path, json=body, headers=api.key("lead", "lead-1"))
    assert done.status_code == 200, done.text
    assert done.json()["subject_account"]["state"] == "suspended"
    action = [e for e in done.json()["events"] if e["type"] == "action"][-1]
    assert action["actor"] == "lead-1"
    assert action["data"]["action"] == "suspended"
    assert action["data"]["reason"] == body["reason"]
    api.runtime.worker.drain()
    (told,) = receiver.of_type("account.suspended")
    assert (told["data"]["account_id"], told["data"]["case_id"]) == ("acct-z", case_id)
    twice = api.client.post(path, json=body, headers=api.key("lead", "lead-1"))
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "already_suspended")


def test_suspension_is_only_for_cases_about_an_account(api: Api) -> None:
    api.register_text("dm-3", "hello", account_id="acct-w")
    case_id = api.report(content_id="dm-3", category="spam", reporter_role="third_party")["case_id"]
    response = api.client.post(
        f"/v1/cases/{case_id}/account-suspension",
        json={"policy": "spam", "reason": "x"},
        headers=api.key("lead"),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "not_an_account_case",
    )


def test_a_report_must_name_an_item_or_an_account(api: Api) -> None:
    response = api.client.post(
        "/v1/reports", json={"category": "grooming", "reporter_role": "third_party"}
    )
    assert response.status_code == 422
    assert "account_id" in response.json()["error"]["message"]
    assert api.client.get("/v1/cases", headers=api.key("reviewer")).json()["cases"] == []


def test_a_bystander_child_safety_report_preserves_the_item_before_any_decision(
    api: Api, media: MediaHost
) -> None:
    picture = synthetic_png(11)
    upload(api, "pic-2", "acct-v", picture, media.put("/m/pic-2.png", picture))
    receipt = api.report(content_id="pic-2", reporter_role="third_party")
    assert receipt["priority"] == "P1" and receipt["content_state"] == "visible"
    api.runtime.worker.drain()
    # Captured while the platform still serves it, not at decision time (issue 13, item 4).
    record = evidence_records(api)["pic-2"]
    assert (record.status, record.source) == ("stored", "url")


def test_a_url_that_answers_404_soon_after_the_report_is_tried_again(
    api: Api, media: MediaHost, clock: ManualClock
) -> None:
    picture = synthetic_png(12)
    url = media.base + "/m/late.png"  # not served yet: the platform hid it, or is slow
    api.register("late-1", account_id="acct-l")
    with api.runtime.transaction() as session:
        from takedown.store.models import ContentItem

        item = session.scalars(select(ContentItem).where(ContentItem.content_id == "late-1")).one()
        item.url = url
    api.report(content_id="late-1", reporter_role="parent_guardian", depicts_minor=True)
    api.runtime.worker.drain()
    assert evidence_records(api)["late-1"].status == "pending"

    media.put("/m/late.png", picture)
    clock.advance(timedelta(minutes=5))
    api.runtime.worker.drain()
    assert evidence_records(api)["late-1"].status == "stored"


def test_a_url_still_missing_after_the_grace_period_is_recorded_unavailable(
    api: Api, media: MediaHost, clock: ManualClock
) -> None:
    api.register("gone-1", account_id="acct-g")
    with api.runtime.transaction() as session:
        from takedown.store.models import ContentItem

        item = session.scalars(select(ContentItem).where(ContentItem.content_id == "gone-1")).one()
        item.url = media.base + "/m/gone.png"
    api.report(content_id="gone-1", reporter_role="parent_guardian", depicts_minor=True)
    for _ in range(20):
        api.runtime.worker.drain()
        clock.advance(timedelta(minutes=10))
    record = evidence_records(api)["gone-1"]
    assert record.status == "unavailable" and "404" in (record.last_error or "")
