"""Bank endpoints: roles, CSV and JSON imports checked whole, export, `/v1/match`."""

from __future__ import annotations

import csv
import io
import json

import pytest

from takedown.store.banks import Bank, BankHash
from takedown.store.models import Case, ContentItem, OutboxJob
from tests.support.banks import add_hashes, count, make_bank, png, uploaded
from tests.support.factories import Api

PDQ = "f" * 32 + "0" * 32
MD5 = "0123456789abcdef0123456789abcdef"
SHA256 = "ab" * 32
FRAMES = [f"{i},100,{PDQ},{float(i):.3f}" for i in range(3)]


def test_only_admins_and_leads_manage_banks(api: Api) -> None:
    body = {"name": "ncmec-csam", "action": "block", "child_safety": True}
    assert api.client.post("/v1/banks", json=body).status_code == 401
    refused = api.client.post("/v1/banks", json=body, headers=api.key("reviewer"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert api.client.post("/v1/banks", json=body, headers=api.key("platform")).status_code == 403
    created = api.client.post("/v1/banks", json=body, headers=api.key("lead"))
    assert created.status_code == 201
    assert created.json()["name"] == "ncmec-csam" and created.json()["created_by"] == "lead-1"
    dup = api.client.post("/v1/banks", json=body, headers=api.key("admin"))
    assert (dup.status_code, dup.json()["error"]["code"]) == (409, "bank_exists")
    bad = api.client.post(
        "/v1/banks", json={**body, "name": "x", "action": "delete"}, headers=api.key("admin")
    )
    assert bad.status_code == 422
    listed = api.client.get("/v1/banks", headers=api.key("admin")).json()["banks"]
    assert [(b["name"], b["hash_count"]) for b in listed] == [("ncmec-csam", 0)]
    hashes = api.client.post(
        "/v1/banks/ncmec-csam/hashes",
        json={"hashes": [{"signal": "md5", "value": MD5}]},
        headers=api.key("reviewer"),
    )
    assert hashes.status_code == 403
    assert count(api, BankHash) == 0


def test_csv_import_and_export_round_trip(api: Api) -> None:
    make_bank(api, "imports", action="hold", child_safety=False)
    rows = [
        ["signal", "value", "note"],
        ["pdq", PDQ.upper(), "from a partner"],
        ["md5", MD5, ""],
        ["sha256", SHA256, "note, with a comma"],
        ["vpdq", json.dumps(FRAMES), "a clip"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    response = api.client.post(
        "/v1/banks/imports/hashes",
        content=text.getvalue(),
        headers={**api.key("admin"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["added"] == 4

    exported = api.client.get("/v1/banks/imports/hashes.csv", headers=api.key("admin"))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    back = list(csv.reader(io.StringIO(exported.text)))
    assert back[0] == ["signal", "value", "note"]
    assert [r[0] for r in back[1:]] == ["pdq", "md5", "sha256", "vpdq"]
    assert back[1][1] == PDQ  # stored lower case
    assert json.loads(back[4][1]) == FRAMES and back[3][2] == "note, with a comma"

    # The export imports again as a multipart upload into another bank, unchanged.
    make_bank(api, "copy", action="hold", child_safety=False)
    again = api.client.post(
        "/v1/banks/copy/hashes",
        files={"file": ("bank.csv", exported.content, "text/csv")},
        headers=api.key("admin"),
    )
    assert again.status_code == 201 and again.json()["added"] == 4
    assert api.client.get("/v1/banks/copy/hashes.csv", headers=api.key("admin")).text == (
        exported.text
    )
    # Importing the same rows twice stores nothing new.
    dup = api.client.post(
        "/v1/banks/copy/hashes",
        files={"file": ("bank.csv", exported.content, "text/csv")},
        headers=api.key("admin"),
    )
    assert dup.json() == {"bank": "copy", "added": 0, "duplicates": 4, "scan": "none"}


@pytest.mark.parametrize(
    ("hashes", "named"),
    [
        ([{"signal": "md5", "value": MD5}, {"signal": "md5", "value": "xyz"}], "hashes[1]"),
        ([{"signal": "pdq", "value": PDQ[:-1]}], "hashes[0]"),
        ([{"signal": "sha1", "value": MD5}], "hashes[0]: signal must be one of"),
        ([{"signal": "vpdq", "value": ["0,100,zz,0"]}], "hashes[0]: vpdq frame 0"),
        ([{"signal": "md5"}], "hashes[0]"),
    ],
)
def test_a_batch_with_a_bad_row_is_refused_whole(
    api: Api, hashes: list[dict[str, object]], named: str
) -> None:
    make_bank(api, "strict")
    response = api.client.post(
        "/v1/banks/strict/hashes", json={"hashes": hashes}, headers=api.key("admin")
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_hashes" and named in error["message"]
    assert count(api, BankHash) == 0 and count(api, OutboxJob) == 0


def test_bad_csv_lines_are_named_and_nothing_is_stored(api: Api) -> None:
    make_bank(api, "strict")
    text = f"md5,{MD5}\npdq,nothex\nmd5\nsha256,{SHA256},a,b\n"
    response = api.client.post(
        "/v1/banks/strict/hashes",
        content=text,
        headers={**api.key("admin"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "3 of 4 rows" in message
    assert "line 2" in message and "line 3" in message and "line 4" in message
    assert count(api, BankHash) == 0
    unknown = api.client.post(
        "/v1/banks/nope/hashes", json={"hashes": []}, headers=api.key("admin")
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "bank_not_found")
    malformed = api.client.post(
        "/v1/banks/strict/hashes",
        content=b"{not json",
        headers={**api.key("admin"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400


def test_match_finds_bank_entries_and_stores_nothing(api: Api) -> None:
    make_bank(api, "csam-test", action="block", child_safety=True)
    item = uploaded(api, "p", png(20))
    add_hashes(api, "csam-test", {"signal": "pdq", "value": item["signals"]["pdq"]})
    api.runtime.worker.drain()
    before = [count(api, m) for m in (ContentItem, Case, BankHash, Bank, OutboxJob)]

    near = item["signals"]["pdq"][:-2] + ("00" if item["signals"]["pdq"][-2:] != "00" else "ff")
    response = api.client.post(
        "/v1/match", json={"signal": "pdq", "value": near}, headers=api.key("reviewer")
    )
    assert response.status_code == 200
    [match] = response.json()["matches"]
    assert match["bank"] == "csam-test" and 0 < match["distance"] <= 8
    miss = api.client.post(
        "/v1/match", json={"signal": "md5", "value": MD5}, headers=api.key("platform")
    )
    assert miss.json() == {"matches": []}
    bad = api.client.post(
        "/v1/match", json={"signal": "pdq", "value": "nope"}, headers=api.key("platform")
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_hash")
    assert api.client.post("/v1/match", json={"signal": "md5", "value": MD5}).status_code == 401
    assert [count(api, m) for m in (ContentItem, Case, BankHash, Bank, OutboxJob)] == before


def test_per_bank_threshold_narrows_pdq_matches(api: Api) -> None:
    make_bank(api, "tight", action="hold", child_safety=False, pdq_threshold=2)
    add_hashes(api, "tight", {"signal": "pdq", "value": PDQ})
    near = "0" * 2 + PDQ[2:]  # 8 bits away
    found = api.client.post(
        "/v1/match", json={"signal": "pdq", "value": near}, headers=api.key("admin")
    ).json()
    assert found == {"matches": []}
    exact = api.client.post(
        "/v1/match", json={"signal": "pdq", "value": PDQ}, headers=api.key("admin")
    ).json()
    assert exact["matches"][0]["distance"] == 0


def test_a_retired_hash_stops_acting_and_banking_it_again_revives_it(api: Api) -> None:
    from takedown.services import banks as bank_service
    from takedown.services.banks import HashEntry

    md5 = "ab" * 16
    with api.runtime.transaction() as session:
        now = api.runtime.clock.now()
        bank = bank_service.ensure_bank(session, "b-retire", "block", True, "test", "t", now)
        bank_service.add_hashes(session, bank, [HashEntry("md5", md5, None, "case_a")], "t", now)
    assert api.register("x-1", md5=md5)["verdict"] == "block"
    with api.runtime.transaction() as session:
        bank = bank_service.get_bank(session, "b-retire")
        assert (
            bank_service.retire_case_hashes(session, bank, "case_a", api.runtime.clock.now()) == 1
        )
    assert api.register("x-2", md5=md5)["verdict"] == "allow"
    matched = api.client.post(
        "/v1/match", json={"signal": "md5", "value": md5}, headers=api.key("platform")
    ).json()
    assert matched == {"matches": []}
    with api.runtime.transaction() as session:
        bank = bank_service.get_bank(session, "b-retire")
        now = api.runtime.clock.now()
        bank_service.add_hashes(session, bank, [HashEntry("md5", md5, None, "case_b")], "t", now)
    assert api.register("x-3", md5=md5)["verdict"] == "block"
