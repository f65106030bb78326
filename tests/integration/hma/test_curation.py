"""HMA's bank content lifecycle, signal types and matcher routes, over Takedown's banks."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from fastapi.testclient import TestClient

from takedown.clock import ManualClock
from takedown.store.banks import BankHash
from tests.support.banks import count
from tests.support.factories import Api

JSON = {"Content-Type": "application/json"}
PDQ = "f" * 32 + "0" * 32
MD5 = "0123456789abcdef0123456789abcdef"
# HMA's compact vPDQ features: six distinct frames, far apart (independent digests).
FRAMES = [f"{hashlib.sha256(bytes([i])).hexdigest()},100,{float(i):.3f}" for i in range(6)]


def bank(hma: TestClient, name: str = "CONTENT_BANK") -> None:
    assert hma.post("/hma/c/banks", json={"name": name}, headers=JSON).status_code == 201


def test_content_is_read_disabled_noted_and_deleted(hma: TestClient, clock: ManualClock) -> None:
    bank(hma)
    added = hma.post(
        "/hma/c/bank/CONTENT_BANK/signal", json={"pdq": PDQ.upper(), "video_md5": MD5, "note": "n1"}
    )
    assert added.status_code == 200, added.text
    cid = added.json()["id"]
    # Both signals are one content: one id; values come back canonical.
    assert added.json()["signals"] == {"pdq": PDQ, "video_md5": MD5}
    shown = hma.get(f"/hma/c/bank/CONTENT_BANK/content/{cid}", params={"include_signals": "true"})
    assert shown.json() == {
        "id": cid,
        "disable_until_ts": 1,
        "original_media_uri": None,
        "bank": {"name": "CONTENT_BANK", "matching_enabled_ratio": 1.0},
        "signals": {"pdq": PDQ, "video_md5": MD5},
        "note": "n1",
    }
    by_md5 = hma.get("/hma/m/lookup", params={"signal_type": "video_md5", "signal": MD5})
    assert by_md5.json() == {"CONTENT_BANK": [{"bank_content_id": cid, "distance": "0"}]}

    # Disabled for an hour: lookups skip it, raw lookups (which check nothing) still see it.
    until = int((clock.now() + timedelta(hours=1)).timestamp())
    put = hma.put(f"/hma/c/bank/CONTENT_BANK/content/{cid}", json={"disable_until_ts": until})
    assert put.status_code == 200 and put.json()["disable_until_ts"] == until
    lookup = {"signal_type": "pdq", "signal": PDQ}
    assert hma.get("/hma/m/lookup", params=lookup).json() == {}
    assert hma.get("/hma/m/raw_lookup", params=lookup).json() == {"matches": [cid]}
    clock.advance(timedelta(hours=2))
    assert list(hma.get("/hma/m/lookup", params=lookup).json()) == ["CONTENT_BANK"]

    refused = hma.put(f"/hma/c/bank/CONTENT_BANK/content/{cid}", json={"disable_until_ts": -5})
    assert refused.status_code == 400
    too_far = int((clock.now() + timedelta(days=365 * 6)).timestamp())
    far = hma.put(f"/hma/c/bank/CONTENT_BANK/content/{cid}", json={"disable_until_ts": too_far})
    assert far.status_code == 400
    long_note = hma.put(f"/hma/c/bank/CONTENT_BANK/content/{cid}", json={"note": "x" * 256})
    assert long_note.status_code == 400
    assert hma.get(f"/hma/c/bank/CONTENT_BANK/content/{cid}").json()["disable_until_ts"] == until

    deleted = hma.delete(f"/hma/c/bank/CONTENT_BANK/content/{cid}")
    assert deleted.json() == {"deleted": 1}
    assert hma.get("/hma/m/raw_lookup", params=lookup).json() == {"matches": []}
    assert hma.get(f"/hma/c/bank/CONTENT_BANK/content/{cid}").status_code == 404
    assert hma.delete(f"/hma/c/bank/CONTENT_BANK/content/{cid}").json() == {"deleted": 0}


def test_metadata_is_kept_and_checked(hma: TestClient, api: Api) -> None:
    bank(hma)
    from tests.support.banks import png

    meta = {"content_id": "c-7", "content_uri": "https://example.test/7", "json": {"k": 1}}
    added = hma.post(
        "/hma/c/bank/CONTENT_BANK/content",
        files={"photo": ("a.png", png(3), "image/png")},
        data={"metadata": json.dumps(meta), "note": "from the form"},
    )
    assert added.status_code == 200, added.text
    shown = hma.get(f"/hma/c/bank/CONTENT_BANK/content/{added.json()['id']}").json()
    assert shown["metadata"] == {**meta, "collab": None}
    assert shown["note"] == "from the form" and "signals" not in shown
    before = count(api, BankHash)
    for bad in ({"unknown": 1}, {"json": "not an object"}):
        refused = hma.post(
            "/hma/c/bank/CONTENT_BANK/content",
            files={"photo": ("a.png", png(4), "image/png")},
            data={"metadata": json.dumps(bad)},
        )
        assert refused.status_code == 400 and refused.json()["message"].startswith(
            "Invalid metadata"
        )
    assert count(api, BankHash) == before


def test_bad_signals_are_refused_whole(hma: TestClient, api: Api) -> None:
    bank(hma)
    for body, message in (
        ({}, "No signals given"),
        ({"tmk": "abc"}, "No such signal type tmk"),
        ({"pdq": PDQ, "video_md5": "xyz"}, "Invalid video_md5 signal"),
    ):
        refused = hma.post("/hma/c/bank/CONTENT_BANK/signal", json=body)
        assert refused.status_code == 400 and refused.json()["message"].startswith(message)
    assert count(api, BankHash) == 0
    bad_lookup = hma.get("/hma/m/lookup", params={"signal_type": "pdq", "signal": "zz"})
    assert bad_lookup.status_code == 400 and "invalid signal" in bad_lookup.json()["message"]
    no_type = hma.get("/hma/m/lookup", params={"signal_type": "tmk", "signal": PDQ})
    assert no_type.json()["message"] == "No such SignalType 'tmk'"
    neither = hma.get("/hma/m/lookup")
    assert neither.status_code == 400
    no_body = hma.post("/hma/c/bank/CONTENT_BANK/content")
    assert no_body.json()["message"] == "Neither `url` nor multipart file upload was received"


def test_video_signals_use_hma_names_and_formats(hma: TestClient) -> None:
    bank(hma, "VIDEOS")
    added = hma.post("/hma/c/bank/VIDEOS/signal", json={"video_vpdq": json.dumps(FRAMES)})
    assert added.status_code == 200, added.text
    cid = added.json()["id"]
    assert json.loads(added.json()["signals"]["video_vpdq"]) == FRAMES
    found = hma.get("/hma/m/lookup", params={"signal_type": "vpdq", "signal": json.dumps(FRAMES)})
    assert found.json() == {"VIDEOS": [{"bank_content_id": cid, "distance": "100%[100%]"}]}
    half = json.dumps(FRAMES[:3])
    partial = hma.get("/hma/m/lookup", params={"signal_type": "video_vpdq", "signal": half})
    assert partial.json()["VIDEOS"][0]["distance"] == "100%[50%]"


def test_compare_index_and_type_listings(hma: TestClient) -> None:
    compared = hma.post("/hma/m/compare", json={"pdq": [PDQ, "f" * 31 + "e" + "0" * 32]})
    assert compared.json() == {"pdq": [True, {"distance": 1}]}
    wrong = hma.post("/hma/m/compare", json={"pdq": [PDQ]})
    assert wrong.status_code == 400
    assert hma.get("/hma/c/signal_type").json() == [
        {"name": "pdq", "enabled_ratio": 1.0},
        {"name": "video_md5", "enabled_ratio": 1.0},
        {"name": "video_vpdq", "enabled_ratio": 1.0},
    ]
    assert hma.get("/hma/c/content_type").json() == [
        {"name": "photo", "enabled": True},
        {"name": "video", "enabled": True},
    ]
    bank(hma)
    hma.post("/hma/c/bank/CONTENT_BANK/signal", json={"pdq": PDQ})
    status = hma.get("/hma/m/index/status", params={"signal_type": "pdq"}).json()
    assert status["pdq"]["present"] is True and status["pdq"]["size"] == 1
    index = hma.get("/hma/c/signal_type/index").json()
    assert index["pdq"]["db_size"] == index["pdq"]["index_size"] == 1
    assert index["pdq"]["index_out_of_date"] is False
    assert hma.get("/hma/m/index/status", params={"signal_type": "nope"}).status_code == 400
    spec = hma.get("/hma/openapi/openapi.json").json()
    assert {"/m/lookup", "/c/banks", "/h/hash", "/c/exchanges"} <= set(spec["paths"])


def test_a_disabled_bank_share_is_a_coin_flip_per_seed(hma: TestClient) -> None:
    bank(hma, "HALF")
    hma.post("/hma/c/bank/HALF/signal", json={"pdq": PDQ})
    hma.put("/hma/c/bank/HALF", json={"enabled": False})
    lookup = {"signal_type": "pdq", "signal": PDQ}
    assert hma.get("/hma/m/lookup", params=lookup).json() == {}
    assert hma.get("/hma/m/raw_lookup", params=lookup).json()["matches"]  # raw: no coin flip
    hma.put("/hma/c/bank/HALF", json={"enabled_ratio": 0.5})
    answers = {
        seed: bool(hma.get("/hma/m/lookup", params={**lookup, "seed": seed}).json())
        for seed in map(str, range(40))
    }
    assert 0 < sum(answers.values()) < 40  # some seeds in, some out
    # The same seed always draws the same.
    assert all(
        bool(hma.get("/hma/m/lookup", params={**lookup, "seed": s}).json()) == v
        for s, v in list(answers.items())[:5]
    )
    # A file lookup may bypass the flip.
    from tests.support.banks import png

    assert hma.put("/hma/c/bank/HALF", json={"enabled_ratio": 0.0}).status_code == 200
    assert hma.post("/hma/m/lookup", files={"photo": ("a.png", png(1), "image/png")}).json() == {
        "pdq": {}
    }


def test_exchange_refusals(hma: TestClient, api: Api) -> None:
    for body, status, message in (
        ({"api": "ncmec", "api_json": {}}, 400, "bank is required"),
        ({"bank": "lower", "api": "ncmec"}, 400, "Field `bank` must match /^[A-Z0-9_]+$/"),
        ({"bank": "X1", "api": "nope"}, 400, "No such exchange type 'nope'"),
        ({"bank": "X1", "api": "ncmec", "api_json": []}, 400, "Field `api_json` must be object"),
        ({"bank": "X1", "api": "ncmec", "api_json": {"environment": "mars"}}, 400, "Failed"),
    ):
        refused = hma.post("/hma/c/exchanges", json=body)
        assert refused.status_code == status and refused.json()["message"].startswith(message)
    assert hma.get("/hma/c/exchanges").json() == [] and hma.get("/hma/c/banks").json() == []
    bad_creds = hma.post("/hma/c/exchanges/api/ncmec", json={"credential_json": {"who": 1}})
    assert bad_creds.status_code == 400
    assert hma.get("/hma/c/exchanges/api/nope").status_code == 400
    ok = hma.post(
        "/hma/c/exchanges",
        json={
            "bank": "NCMEC_NPO",
            "api": "ncmec",
            "api_json": {"environment": "https://hashsharing.ncmec.org/npo", "only_esp_ids": [5]},
        },
    )
    assert ok.status_code == 201, ok.text
    assert hma.get("/hma/c/exchanges").json() == ["NCMEC_NPO"]
    disabled = hma.put("/hma/c/exchange/NCMEC_NPO", json={"enabled": False})
    assert disabled.json()["enabled"] is False and disabled.json()["only_esp_ids"] == [5]
    assert hma.delete("/hma/c/exchange/NCMEC_NPO").json() == {"message": "Exchange deleted"}
    assert hma.get("/hma/c/exchange/NCMEC_NPO").status_code == 404
    assert hma.get("/hma/c/bank/NCMEC_NPO").status_code == 404  # its bank went with it


def test_child_safety_banks_are_not_renamed_or_deleted_through_hma(
    hma: TestClient, api: Api
) -> None:
    made = api.client.post(
        "/v1/banks",
        json={"name": "ncmec-csam", "action": "block", "child_safety": True},
        headers=api.key("admin"),
    )
    assert made.status_code == 201
    renamed = hma.put("/hma/c/bank/ncmec-csam", json={"name": "NCMEC"}, headers=JSON)
    assert renamed.status_code == 403 and renamed.json()["error"]["code"] == "child_safety_bank"
    assert hma.delete("/hma/c/bank/ncmec-csam").status_code == 403
    assert hma.get("/hma/c/bank/ncmec-csam").json() == {
        "name": "ncmec-csam",
        "matching_enabled_ratio": 1.0,
    }


def test_a_video_is_hashed_banked_and_found_by_file(hma: TestClient) -> None:
    from tests.support.synthetic_media import scene_frames, video_bytes

    clip = video_bytes(scene_frames(8, 4.0, 10), 10)
    hashed = hma.post("/hma/h/hash", files={"video": ("v.mp4", clip, "video/mp4")})
    assert hashed.status_code == 200, hashed.text
    assert set(hashed.json()) == {"video_md5", "video_vpdq"}
    wrong = hma.post("/hma/h/hash", files={"photo": ("v.mp4", clip, "video/mp4")})
    assert wrong.status_code == 400
    unknown = hma.post("/hma/h/hash", files={"audio": ("v.mp4", clip, "video/mp4")})
    assert unknown.json()["message"] == "no such content_type: 'audio'"

    bank(hma, "CLIPS")
    added = hma.post("/hma/c/bank/CLIPS/content", files={"video": ("v.mp4", clip, "video/mp4")})
    assert added.status_code == 200 and added.json()["signals"] == hashed.json()
    cid = added.json()["id"]
    found = hma.post("/hma/m/lookup", files={"video": ("v.mp4", clip, "video/mp4")})
    assert found.json() == {
        "video_md5": {"CLIPS": [{"bank_content_id": cid, "distance": "0"}]},
        "video_vpdq": {"CLIPS": [{"bank_content_id": cid, "distance": "100%[100%]"}]},
    }
