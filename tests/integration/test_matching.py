"""Matching uploads against banks and stored items: verdicts, copies, retroactive scans."""

from __future__ import annotations

from takedown.services.matching import scan_for_copies
from takedown.store.models import Case
from tests.support.banks import (
    add_hashes,
    content,
    make_bank,
    mirrored,
    png,
    resized_jpeg,
    uploaded,
)
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver


def test_a_hash_added_to_a_child_safety_bank_restricts_every_stored_copy_in_one_case(
    api: Api, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    original = uploaded(api, "orig", png(1))
    uploaded(api, "copy-mirrored", mirrored(1), account_id="acct-2")
    uploaded(api, "copy-small", resized_jpeg(1), account_id="acct-3")
    uploaded(api, "unrelated", png(2))
    make_bank(api, "csam-test", action="hold", child_safety=True)

    added = add_hashes(api, "csam-test", {"signal": "pdq", "value": original["signals"]["pdq"]})
    assert added == {"bank": "csam-test", "added": 1, "duplicates": 0, "scan": "queued"}
    # The index sees the new hash at once, without a rebuild and before any job has run.
    found = api.client.post(
        "/v1/match",
        json={"signal": "pdq", "value": original["signals"]["pdq"]},
        headers=api.key("platform"),
    ).json()["matches"]
    assert [(m["bank"], m["distance"]) for m in found] == [("csam-test", 0)]

    api.runtime.worker.drain()

    copies = ["orig", "copy-mirrored", "copy-small"]
    states = {cid: content(api, cid) for cid in [*copies, "unrelated"]}
    assert {cid: s["state"] for cid, s in states.items()} == {
        "orig": "restricted",
        "copy-mirrored": "restricted",
        "copy-small": "restricted",
        "unrelated": "visible",
    }
    case_ids = {cid for c in copies for cid in states[c]["case_ids"]}
    assert len(case_ids) == 1 and states["unrelated"]["case_ids"] == []
    case = api.case(case_ids.pop())
    assert case["priority"] == "P0" and case["child_safety"] is True
    assert sorted(case["content_ids"]) == sorted(copies)
    assert {m["bank"] for m in case["matches"]} == {"csam-test"}
    assert any(r["source"] == "match" for r in case["reports"])

    deliveries = receiver.wait_for(3, timeout=10)
    restricted = {
        d.json["data"]["content_id"] for d in deliveries if d.json["type"] == "content.restricted"
    }
    assert restricted == set(copies)
    assert all(d.verified for d in deliveries)


def test_block_bank_answers_block_and_the_item_is_never_published(api: Api) -> None:
    make_bank(api, "known-bad", action="block", child_safety=True)
    pdq = uploaded(api, "seed", png(3))["signals"]["pdq"]
    add_hashes(api, "known-bad", {"signal": "pdq", "value": pdq})
    api.runtime.worker.drain()

    out = uploaded(api, "reupload", resized_jpeg(3), account_id="acct-9")
    assert out["verdict"] == "block" and out["state"] == "removed"
    [match] = out["matches"]
    assert match["bank"] == "known-bad" and match["signal"] == "pdq" and match["distance"] <= 31
    case = api.case(match["case_id"])
    assert case["priority"] == "P0"
    assert "reupload" in case["content_ids"]
    assert any(e["type"] == "match" and e["data"]["bank"] == "known-bad" for e in case["events"])
    # Idempotent: the same answer again, nothing new.
    again = uploaded(api, "reupload", resized_jpeg(3), account_id="acct-9")
    assert again == out


def test_hold_bank_answers_hold_and_review_bank_allows(api: Api) -> None:
    make_bank(api, "hold-list", action="hold", child_safety=False)
    make_bank(api, "review-list", action="review", child_safety=False)
    add_hashes(api, "hold-list", {"signal": "sha256", "value": _sha256(png(4))})
    add_hashes(api, "review-list", {"signal": "md5", "value": _md5(png(5))})

    held = uploaded(api, "h", png(4))
    assert (held["verdict"], held["state"]) == ("hold", "restricted")
    assert held["matches"][0]["signal"] == "sha256" and held["matches"][0]["distance"] == 0
    reviewed = uploaded(api, "r", png(5))
    assert (reviewed["verdict"], reviewed["state"]) == ("allow", "visible")
    assert api.case(reviewed["matches"][0]["case_id"])["priority"] == "P2"
    assert uploaded(api, "clean", png(6))["matches"] == []


def test_a_mirrored_upload_matches_the_bank_entry_of_its_original(api: Api) -> None:
    make_bank(api, "csam-test", action="block", child_safety=True)
    original = uploaded(api, "o", png(7))["signals"]["pdq"]
    add_hashes(api, "csam-test", {"signal": "pdq", "value": original})
    api.runtime.worker.drain()
    out = uploaded(api, "m", mirrored(7), account_id="acct-2")
    assert out["verdict"] == "block"
    assert out["matches"][0]["distance"] <= 31


def test_copies_join_the_case_of_the_original_and_are_restricted_with_it(api: Api) -> None:
    uploaded(api, "orig", png(8))
    receipt = api.report(content_id="orig", reporter_role="parent_guardian")
    assert receipt["content_state"] == "restricted"

    copy = uploaded(api, "copy", resized_jpeg(8), account_id="acct-2")
    assert (copy["verdict"], copy["state"]) == ("hold", "restricted")
    assert content(api, "copy")["case_ids"] == [receipt["case_id"]]
    case = api.case(receipt["case_id"])
    linked = [c for c in case["content"] if c["content_id"] == "copy"]
    assert linked[0]["linked_because"].startswith("copy: pdq distance ")
    assert any(
        e["type"] == "content_linked" and e["data"]["reason"].startswith("copy: pdq distance")
        for e in case["events"]
    )
    assert uploaded(api, "other", png(9))["state"] == "visible"


def test_a_report_on_one_copy_gathers_the_stored_copies_into_its_case(api: Api) -> None:
    uploaded(api, "a", png(10))
    uploaded(api, "b", mirrored(10), account_id="acct-2")
    uploaded(api, "c", png(11))
    receipt = api.report(content_id="a", reporter_role="depicted_person")
    case = api.case(receipt["case_id"])
    assert sorted(case["content_ids"]) == ["a", "b"]
    assert content(api, "b")["state"] == "restricted"
    assert content(api, "c")["state"] == "visible"
    # A later report on the copy joins the same case, not a new one.
    second = api.report(content_id="b", reporter_role="third_party")
    assert second["case_id"] == receipt["case_id"]


def test_scan_for_copies_joins_every_stored_match_to_a_confirmed_case(api: Api) -> None:
    uploaded(api, "x", png(12))
    receipt = api.report(content_id="x", category="harassment", reporter_role="third_party")
    # Registered with hashes only after the report: the scan finds it by its signals.
    first = content(api, "x")
    assert first["state"] == "visible"
    uploaded(api, "x-copy", resized_jpeg(12), account_id="acct-4")
    rt = api.runtime
    with rt.transaction() as session:
        case = session.get(Case, receipt["case_id"])
        assert case is not None
        joined = scan_for_copies(session, rt.installation, case, rt.clock.now())
        again = scan_for_copies(session, rt.installation, case, rt.clock.now())
    # The copy joined at upload already; the scan is idempotent and finds nothing more.
    assert joined == [] and again == []
    assert sorted(api.case(receipt["case_id"])["content_ids"]) == ["x", "x-copy"]


def test_low_quality_hashes_are_stored_but_never_acted_on_alone(api: Api) -> None:
    import json

    flat = "0" * 64
    make_bank(api, "csam-test", action="block", child_safety=True)
    add_hashes(api, "csam-test", {"signal": "pdq", "value": flat})
    response = api.client.post(
        "/v1/content",
        data={
            "content_id": "flat",
            "account_id": "a",
            "signals": json.dumps({"pdq": flat, "pdq_quality": 10}),
        },
        headers=api.key("platform"),
    )
    assert response.json()["verdict"] == "allow" and response.json()["matches"] == []


def _md5(data: bytes) -> str:
    import hashlib

    return hashlib.md5(data).hexdigest()


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
