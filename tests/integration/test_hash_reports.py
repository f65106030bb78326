"""Reports made of hashes only: stored matches are restricted, joined and listed."""

from __future__ import annotations

import hashlib

from takedown.store.models import Case, Report
from tests.support.banks import content, count, mirrored, png, uploaded
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver


def test_a_hash_report_restricts_and_lists_every_stored_match(
    api: Api, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    original = uploaded(api, "a", png(50))
    uploaded(api, "a-mirror", mirrored(50), account_id="acct-2")
    uploaded(api, "other", png(51))
    response = api.client.post(
        "/v1/hash-reports",
        json={
            "hashes": [
                {"signal": "pdq", "value": original["signals"]["pdq"]},
                {"signal": "md5", "value": "0" * 32},
            ],
            "category": "child_sexual_exploitation",
            "reporter_role": "parent_guardian",
            "depicts_minor": True,
        },
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert sorted(out["matched_content_ids"]) == ["a", "a-mirror"]
    assert out["priority"] == "P0" and out["status_token"] and out["content_state"] == "restricted"
    assert content(api, "a")["state"] == "restricted"
    assert content(api, "a-mirror")["state"] == "restricted"
    assert content(api, "other")["state"] == "visible"
    case = api.case(out["case_id"])
    assert sorted(case["content_ids"]) == ["a", "a-mirror"]
    assert api.status(out["status_token"])["case_id"] == out["case_id"]
    api.runtime.worker.drain()
    restricted = {
        d.json["data"]["content_id"]
        for d in receiver.wait_for(2, 10)
        if d.json["type"] == "content.restricted"
    }
    assert restricted == {"a", "a-mirror"}


def test_a_hash_report_from_a_third_party_lists_matches_without_hiding_them(api: Api) -> None:
    item = uploaded(api, "b", png(52))
    out = api.client.post(
        "/v1/hash-reports",
        json={
            "hashes": [{"signal": "sha256", "value": item["signals"]["sha256"]}],
            "category": "harassment",
            "reporter_role": "third_party",
        },
    ).json()
    assert out["matched_content_ids"] == ["b"] and out["content_state"] == "visible"
    assert content(api, "b")["case_ids"] == [out["case_id"]]


def test_a_hash_report_without_matches_still_opens_a_case(api: Api) -> None:
    out = api.client.post(
        "/v1/hash-reports",
        json={
            "hashes": [{"signal": "md5", "value": "1" * 32}],
            "category": "non_consensual_intimate_imagery",
            "reporter_role": "depicted_person",
        },
    ).json()
    assert out["matched_content_ids"] == [] and out["content_state"] is None
    assert out["priority"] == "P1"


def test_bad_hashes_are_refused_and_nothing_is_stored(api: Api) -> None:
    for body in (
        {"hashes": [{"signal": "pdq", "value": "zz"}]},
        {"hashes": []},
        {"hashes": [{"signal": "md5", "value": "0" * 32}], "category": "nope"},
    ):
        response = api.client.post(
            "/v1/hash-reports",
            json={"category": "spam", "reporter_role": "third_party", **body},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] in ("invalid_hashes", "invalid_request")
    assert count(api, Report) == 0 and count(api, Case) == 0


def test_a_victims_hashes_hold_a_later_upload_of_the_same_picture(api: Api) -> None:
    picture = png(60)
    response = api.client.post(
        "/v1/hash-reports",
        json={
            "hashes": [{"signal": "md5", "value": hashlib.md5(picture).hexdigest()}],
            "category": "child_sexual_exploitation",
            "reporter_role": "depicted_person",
            "depicts_minor": True,
        },
    )
    assert response.status_code == 201
    assert response.json()["matched_content_ids"] == []
    later = uploaded(api, "later", picture)
    assert (later["verdict"], later["state"]) == ("hold", "restricted")
    assert [m["bank"] for m in later["matches"]] == ["takedown-hash-reports-child-safety"]
    # The upload joins the victim's own case, and the victim's status page says it is hidden.
    case_id = response.json()["case_id"]
    assert content(api, "later")["case_ids"] == [case_id]
    status = api.status(response.json()["status_token"])
    assert status["content_state"] == "restricted"
    assert any("hidden from public view" in u["message"] for u in status["updates"])


def test_a_bystanders_hashes_are_not_kept(api: Api) -> None:
    picture = png(61)
    api.client.post(
        "/v1/hash-reports",
        json={
            "hashes": [{"signal": "md5", "value": hashlib.md5(picture).hexdigest()}],
            "category": "child_sexual_exploitation",
            "reporter_role": "third_party",
        },
    ).raise_for_status()
    assert uploaded(api, "later", picture)["verdict"] == "allow"
