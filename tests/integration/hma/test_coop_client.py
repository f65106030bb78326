"""ROOST Coop's HmaService (roostorg/coop, server/services/hmaService/index.ts), replayed.

Each test sends the requests Coop's HmaService sends, as it builds them (its default service
url ends in `/`, so its paths arrive with a doubled slash; bank ratios go as strings; no
credentials), and checks the answers against what that code reads from HMA.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from takedown.store.banks import Bank
from tests.support.banks import count, png
from tests.support.factories import Api
from tests.support.media_host import MediaHost

# Coop's `${HMA_SERVICE_URL}/c/...` with its default url, `http://localhost:9876/`.
BASE = "/hma/"
JSON = {"Content-Type": "application/json"}


def test_coop_creates_updates_renames_and_deletes_a_bank(hma: TestClient, api: Api) -> None:
    created = hma.post(
        f"{BASE}/c/banks", json={"name": "COOP_ORG1_MY_BANK", "enabled_ratio": "1"}, headers=JSON
    )
    assert created.status_code == 201, created.text
    assert created.json() == {"name": "COOP_ORG1_MY_BANK", "matching_enabled_ratio": 1.0}
    # getBank / listBanks verify the bank in HMA: 200 keeps it, 404 deletes Coop's copy.
    assert hma.get(f"{BASE}/c/bank/COOP_ORG1_MY_BANK").status_code == 200
    # It is one of Takedown's own banks.
    names = [
        b["name"] for b in api.client.get("/v1/banks", headers=api.key("lead")).json()["banks"]
    ]
    assert names == ["COOP_ORG1_MY_BANK"]

    ratio = hma.put(f"{BASE}/c/bank/COOP_ORG1_MY_BANK", json={"enabled_ratio": 0.5}, headers=JSON)
    assert (ratio.status_code, ratio.json()["matching_enabled_ratio"]) == (200, 0.5)

    # updateBank with a new name: create the new bank, then delete the old one.
    renamed = hma.post(
        f"{BASE}/c/banks", json={"name": "COOP_ORG1_NEW_NAME", "enabled_ratio": "0.5"}, headers=JSON
    )
    assert renamed.status_code == 201
    deleted = hma.delete(f"{BASE}/c/bank/COOP_ORG1_MY_BANK")
    assert (deleted.status_code, deleted.json()["message"]) == (200, "Done")
    gone = hma.get(f"{BASE}/c/bank/COOP_ORG1_MY_BANK")
    assert (gone.status_code, gone.json()["message"]) == (
        404,
        "bank 'COOP_ORG1_MY_BANK' not found",
    )
    assert [b["name"] for b in hma.get(f"{BASE}/c/banks").json()] == ["COOP_ORG1_NEW_NAME"]
    # The deleted bank's name is free again, as in HMA.
    again = hma.post(f"{BASE}/c/banks", json={"name": "COOP_ORG1_MY_BANK"}, headers=JSON)
    assert again.status_code == 201


def test_coop_refusals_change_nothing(hma: TestClient, api: Api) -> None:
    assert hma.post(f"{BASE}/c/banks", json={"name": "COOP_A"}, headers=JSON).status_code == 201
    # createBank throws on any non-2xx: a duplicate is 403, a bad name 400, in HMA's shape.
    duplicate = hma.post(f"{BASE}/c/banks", json={"name": "COOP_A"}, headers=JSON)
    assert (duplicate.status_code, duplicate.json()["message"]) == (403, "Bank already exists")
    bad = hma.post(f"{BASE}/c/banks", json={"name": "coop a"}, headers=JSON)
    assert bad.status_code == 400
    assert bad.json()["message"] == "Bank names must be UPPER_WITH_UNDERSCORE"
    assert bad.json()["error"]["code"] == "invalid_bank_name"
    assert count(api, Bank) == 1


def test_coop_creates_an_exchange_backed_bank_and_reads_its_state(hma: TestClient) -> None:
    created = hma.post(
        f"{BASE}/c/exchanges",
        json={
            "bank": "COOP_ORG1_TX",
            "api": "fb_threatexchange",
            "api_json": {"privacy_group": 123},
        },
        headers=JSON,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {"message": "Created successfully"}
    ratio = hma.put(f"{BASE}/c/bank/COOP_ORG1_TX", json={"enabled_ratio": 0.5}, headers=JSON)
    assert ratio.status_code == 200  # the exchange's bank exists

    # getExchangeForBank: the exchange, its API's auth state, then its fetch status.
    exchange = hma.get(f"{BASE}/c/exchange/COOP_ORG1_TX")
    assert exchange.status_code == 200
    assert exchange.json() == {
        "privacy_group": 123,
        "name": "COOP_ORG1_TX",
        "api": "fb_threatexchange",
        "enabled": True,
    }
    api_state = hma.get(f"{BASE}/c/exchanges/api/fb_threatexchange").json()
    assert api_state == {"supports_authentification": True, "has_set_authentification": False}
    status = hma.get(f"{BASE}/c/exchange/COOP_ORG1_TX/status")
    assert status.status_code == 200
    assert status.json()["last_fetch_succeeded"] is None
    assert status.json()["running_fetch_start_ts"] is None  # Coop: is_fetching false
    assert status.json()["fetched_items"] == 0 and status.json()["up_to_date"] is False
    # No exchange for a plain bank: Coop takes the 404 to mean "none configured".
    assert hma.get(f"{BASE}/c/exchange/COOP_ORG1_OTHER").status_code == 404

    # setExchangeCredentials, then the API reports credentials set (never the values).
    creds = hma.post(
        f"{BASE}/c/exchanges/api/fb_threatexchange",
        json={"credential_json": {"api_token": "1234|abcd"}},
        headers=JSON,
    )
    assert creds.status_code == 200
    assert creds.json() == {"supports_authentification": True, "has_set_authentification": True}
    assert "abcd" not in hma.get(f"{BASE}/c/exchanges/api/fb_threatexchange").text


def test_coop_builds_exchange_forms_from_the_schemas(hma: TestClient) -> None:
    """Coop falls back to its own copy of these schemas; ours must say the same fields."""
    assert {"fb_threatexchange", "ncmec", "stop_ncii", "local_file"} <= set(
        hma.get(f"{BASE}/c/exchanges/apis").json()
    )
    ncmec = hma.get(f"{BASE}/c/exchanges/api/ncmec/schema").json()
    fields = {f["name"]: f for f in ncmec["config_schema"]["fields"]}
    assert set(fields) == {"environment", "only_esp_ids"}
    assert fields["environment"]["type"] == "enum" and fields["environment"]["required"]
    assert "https://report.cybertip.org/hashsharing" in fields["environment"]["choices"]
    assert fields["only_esp_ids"]["type"] == "set_of_number"
    assert [f["name"] for f in ncmec["credentials_schema"]["fields"]] == ["user", "password"]
    tx = hma.get(f"{BASE}/c/exchanges/api/fb_threatexchange/schema").json()
    assert [(f["name"], f["type"], f["required"]) for f in tx["config_schema"]["fields"]] == [
        ("privacy_group", "number", True)
    ]
    stop = hma.get(f"{BASE}/c/exchanges/api/stop_ncii/schema").json()
    assert stop["config_schema"]["fields"] == []
    assert [f["name"] for f in stop["credentials_schema"]["fields"]] == [
        "fetch_function_key",
        "subscription_key",
        "base_url_override",
    ]
    unknown = hma.get(f"{BASE}/c/exchanges/api/unknown_exchange/schema")
    assert unknown.status_code == 404  # Coop then uses an empty schema


def test_coop_banks_a_file_and_finds_it_in_the_same_second(hma: TestClient) -> None:
    assert (
        hma.post(f"{BASE}/c/banks", json={"name": "COOP_O_CSAM"}, headers=JSON).status_code == 201
    )
    # addContentToBank with a file: the field is the content type; metadata go as form fields.
    added = hma.post(
        f"{BASE}/c/bank/COOP_O_CSAM/content",
        files={"photo": ("x.png", png(11), "image/png")},
        data={"content_id": "item-9", "content_uri": "https://example.test/9"},
    )
    assert added.status_code == 200, added.text
    body = added.json()
    assert isinstance(body["id"], int) and set(body["signals"]) == {"pdq"}
    pdq = body["signals"]["pdq"]
    # lookupContent by hash, with no clock movement: live at once, not after a rebuild.
    found = hma.get(f"{BASE}/m/lookup", params={"signal_type": "pdq", "signal": pdq})
    assert found.status_code == 200
    assert found.json() == {"COOP_O_CSAM": [{"bank_content_id": body["id"], "distance": "0"}]}
    # checkImageMatchWithDetails reads `matches[bankId].length`: an unrelated image has none.
    other = hma.post(f"{BASE}/h/hash", files={"photo": ("y.png", png(12), "image/png")}).json()
    missed = hma.get(f"{BASE}/m/lookup", params={"signal_type": "pdq", "signal": other["pdq"]})
    assert missed.json() == {}


def test_coop_banks_and_looks_up_by_url(hma: TestClient, media_host: MediaHost) -> None:
    url = media_host.put("/media/31.png", png(31))
    hashed = hma.get(f"{BASE}/h/hash", params={"url": url})
    assert hashed.status_code == 200 and set(hashed.json()) == {"pdq"}
    assert (
        hma.post(f"{BASE}/c/banks", json={"name": "COOP_O_URLS"}, headers=JSON).status_code == 201
    )
    added = hma.post(
        f"{BASE}/c/bank/COOP_O_URLS/content",
        params={"url": url, "content_id": "c-1", "metadata": '{"k": "v"}'},
    )
    assert added.status_code == 200, added.text
    assert added.json()["signals"] == hashed.json()
    looked = hma.get(f"{BASE}/m/lookup", params={"url": url, "content_type": "photo"})
    assert looked.json() == {
        "pdq": {"COOP_O_URLS": [{"bank_content_id": added.json()["id"], "distance": "0"}]}
    }


def test_without_a_key_only_the_open_networks_get_in(hma: TestClient, api: Api) -> None:
    # api.client calls from outside TAKEDOWN_HMA_OPEN_FROM: a key is needed, with the role.
    outside = api.client.get("/hma/c/banks")
    assert outside.status_code == 401 and "message" in outside.json()
    assert api.client.get("/hma/c/banks", headers=api.key("platform")).status_code == 403
    assert api.client.get("/hma/c/banks", headers=api.key("lead")).status_code == 200
    assert (
        api.client.post(
            "/hma/c/banks", json={"name": "BY_KEY"}, headers=api.key("admin")
        ).status_code
        == 201
    )
    lookup = {"signal_type": "pdq", "signal": "f" * 64}
    assert (
        api.client.get("/hma/m/lookup", params=lookup, headers=api.key("lead")).status_code == 403
    )
    assert (
        api.client.get("/hma/m/lookup", params=lookup, headers=api.key("platform")).status_code
        == 200
    )
    # The health checks are open to anyone, as load balancers call them.
    assert api.client.get("/hma/status/live").text == "I-AM-ALIVE"
    # A bad key from the open network is still refused: a key that is sent is checked.
    assert hma.get("/hma/c/banks", headers={"Authorization": "Bearer nope"}).status_code == 401
