"""fetlife/hasher_matcher_actioner_api's recorded HMA exchanges, reproduced.

The Ruby client's VCR cassettes record each request it sends to HMA 1.1.7 and HMA's answer.
These tests send the same requests (same paths, parameters, bodies and multipart field names)
to `/hma` and expect answers of the same status and shape. The client reads `distance` with
`Types::Coercible::Integer`, so every distance must be a string of digits.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from takedown.signals.pdq import hamming
from tests.support.banks import png
from tests.support.media_host import MediaHost

JSON = {"Content-Type": "application/json"}
CREATE = {"name": "TEST_BANK", "enabled": "true", "matching_enabled_ratio": 1.0}


def photo(seed: int) -> dict[str, Any]:
    return {"photo": (f"image-{seed}.jpg", png(seed), "image/jpeg")}


def flipped(hex_hash: str, bits: int) -> str:
    value = int(hex_hash, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


def test_create_bank_as_recorded(hma: TestClient) -> None:
    created = hma.post("/hma/c/banks", json=CREATE, headers=JSON)
    assert created.status_code == 201
    assert created.json() == {"matching_enabled_ratio": 1.0, "name": "TEST_BANK"}
    again = hma.post("/hma/c/banks", json=CREATE, headers=JSON)
    assert (again.status_code, again.json()["message"]) == (403, "Bank already exists")
    # raises_an_error_if_the_bank_name_is_invalid: a GET that misses, then a 400.
    missing = hma.get("/hma/c/bank/bad_name")
    assert (missing.status_code, missing.json()["message"]) == (404, "bank 'bad_name' not found")
    bad = hma.post("/hma/c/banks", json={**CREATE, "name": "bad_name"}, headers=JSON)
    assert (bad.status_code, bad.json()["message"]) == (
        400,
        "Bank names must be UPPER_WITH_UNDERSCORE",
    )
    shown = hma.get("/hma/c/bank/TEST_BANK")
    assert (shown.status_code, shown.json()) == (
        200,
        {"matching_enabled_ratio": 1.0, "name": "TEST_BANK"},
    )


def test_hash_file_and_url_as_recorded(hma: TestClient, media_host: MediaHost) -> None:
    from_file = hma.post("/hma/h/hash", files=photo(5))
    assert from_file.status_code == 200 and list(from_file.json()) == ["pdq"]
    url = media_host.put("/spec/fixtures/image-in-hash-db.jpg", png(5), "image/jpeg")
    for params in (
        {"url": url},
        {"url": url, "content_type": "photo"},
        {"url": url, "types": "pdq"},
    ):
        answer = hma.get("/hma/h/hash", params=params)
        assert answer.status_code == 200, answer.text
        assert answer.json() == from_file.json()


def test_add_content_by_file_and_url_as_recorded(hma: TestClient, media_host: MediaHost) -> None:
    hma.post("/hma/c/banks", json=CREATE, headers=JSON)
    url = media_host.put("/spec/fixtures/image-in-hash-db.jpg", png(5), "image/jpeg")
    by_file = hma.post("/hma/c/bank/TEST_BANK/content", files=photo(5))
    by_url = hma.post("/hma/c/bank/TEST_BANK/content", params={"content_type": "photo", "url": url})
    no_type = hma.post("/hma/c/bank/TEST_BANK/content", params={"url": url})
    # adds_content_with_metadata sends the metadata as a query parameter, which HMA ignores.
    metadata = '{"content_id":"test-content-456","json":{"source":"url_test"}}'
    with_meta = hma.post(
        "/hma/c/bank/TEST_BANK/content",
        params={"content_type": "photo", "metadata": metadata, "url": url},
    )
    for answer in (by_file, by_url, no_type, with_meta):
        assert answer.status_code == 200, answer.text  # 200, not 201, as HMA answers
        assert set(answer.json()) == {"id", "signals"}
        assert answer.json()["signals"] == by_file.json()["signals"]
    for missing in (
        hma.post("/hma/c/bank/NON_EXISTENT_BANK/content", files=photo(5)),
        hma.post("/hma/c/bank/NON_EXISTENT_BANK/content", params={"url": url}),
    ):
        assert missing.status_code == 404
        assert missing.json()["message"] == "bank 'NON_EXISTENT_BANK' not found"


def test_lookups_as_recorded(hma: TestClient) -> None:
    for name in ("TEST_BANK", "TEST_BANK_2", "OTHER_BANK"):
        assert (
            hma.post("/hma/c/banks", json={**CREATE, "name": name}, headers=JSON).status_code == 201
        )
    first = hma.post("/hma/c/bank/TEST_BANK/content", files=photo(5)).json()
    second = hma.post("/hma/c/bank/TEST_BANK_2/content", files=photo(5)).json()
    pdq = first["signals"]["pdq"]

    by_file = hma.post("/hma/m/lookup", files=photo(5))
    assert by_file.status_code == 200
    assert by_file.json() == {
        "pdq": {
            "TEST_BANK": [{"bank_content_id": first["id"], "distance": "0"}],
            "TEST_BANK_2": [{"bank_content_id": second["id"], "distance": "0"}],
        }
    }
    assert hma.post("/hma/m/lookup", files=photo(6)).json() == {"pdq": {}}

    by_signal = hma.get("/hma/m/lookup", params={"signal": pdq, "signal_type": "pdq"})
    assert by_signal.json() == by_file.json()["pdq"]
    near = flipped(pdq, 26)  # the cassettes' edited image: 26 bits away
    partial = hma.get("/hma/m/lookup", params={"signal": near, "signal_type": "pdq"}).json()
    assert partial["TEST_BANK"] == [{"bank_content_id": first["id"], "distance": "26"}]
    assert (
        hma.get("/hma/m/lookup", params={"signal": flipped(pdq, 40), "signal_type": "pdq"}).json()
        == {}
    )

    only = hma.get(
        "/hma/m/lookup", params={"signal": pdq, "signal_type": "pdq", "banks": "TEST_BANK"}
    )
    assert list(only.json()) == ["TEST_BANK"]
    some_missing = hma.post(
        "/hma/m/lookup", params={"banks": "TEST_BANK_2,NO_SUCH_BANK"}, files=photo(5)
    )
    assert list(some_missing.json()["pdq"]) == ["TEST_BANK_2"]
    none = hma.get("/hma/m/lookup", params={"signal": pdq, "signal_type": "pdq", "banks": "NOPE"})
    assert none.json() == {}


def test_raw_lookup_as_recorded(hma: TestClient) -> None:
    hma.post("/hma/c/banks", json=CREATE, headers=JSON)
    ids = [
        hma.post("/hma/c/bank/TEST_BANK/signal", json={"pdq": flipped("0" * 64, n)}).json()["id"]
        for n in (0, 3)
    ]
    query = {"signal": "0" * 64, "signal_type": "pdq"}
    plain = hma.get("/hma/m/raw_lookup", params={**query, "include_distance": "false"})
    assert plain.status_code == 200 and plain.json() == {"matches": ids}
    with_distance = hma.get("/hma/m/raw_lookup", params={**query, "include_distance": "true"})
    assert with_distance.json() == {
        "matches": [
            {"bank_content_id": ids[0], "distance": "0"},
            {"bank_content_id": ids[1], "distance": "3"},
        ]
    }
    far = {"signal": "f" * 64, "signal_type": "pdq", "include_distance": "false"}
    assert hma.get("/hma/m/raw_lookup", params=far).json() == {"matches": []}
    assert hamming("0" * 64, flipped("0" * 64, 3)) == 3


def test_exchange_calls_as_recorded(hma: TestClient) -> None:
    apis = hma.get("/hma/c/exchanges/apis")
    assert apis.status_code == 200 and {"sample", "ncmec", "stop_ncii"} <= set(apis.json())
    assert hma.get("/hma/c/exchanges/api/sample").json() == {
        "has_set_authentification": False,
        "supports_authentification": False,
    }
    stop = hma.get("/hma/c/exchanges/api/stop_ncii").json()
    assert stop == {"has_set_authentification": False, "supports_authentification": True}
    updated = hma.post(
        "/hma/c/exchanges/api/ncmec",
        json={"credential_json": {"user": "user", "password": "password"}},
        headers=JSON,
    )
    assert updated.status_code == 200
    assert updated.json() == {"has_set_authentification": True, "supports_authentification": True}

    created = hma.post(
        "/hma/c/exchanges", json={"api": "sample", "bank": "NEW_BANK_NAME", "api_json": {}}
    )
    assert (created.status_code, created.json()) == (201, {"message": "Created successfully"})
    shown = hma.get("/hma/c/exchange/NEW_BANK_NAME")
    assert shown.json() == {"name": "NEW_BANK_NAME", "api": "sample", "enabled": True}
    missing = hma.get("/hma/c/exchange/NON_EXISTENT_EXCHANGE")
    assert (missing.status_code, missing.json()["message"]) == (
        404,
        "Exchange 'NON_EXISTENT_EXCHANGE' not found",
    )
    assert hma.get("/hma/c/exchange/NEW_BANK_NAME/status").json() == {
        "checkpoint_ts": None,
        "fetched_items": 0,
        "last_fetch_complete_ts": None,
        "last_fetch_succeeded": None,
        "running_fetch_start_ts": None,
        "up_to_date": False,
    }


def test_status_as_recorded(hma: TestClient) -> None:
    ready = hma.get("/hma/status")
    assert (ready.status_code, ready.text) == (200, "I-AM-ALIVE")
    assert ready.headers["content-type"].startswith("text/html")
