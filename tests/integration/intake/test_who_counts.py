"""Who counts as a reporter (DESIGN rule 12, API.md "Reports forwarded by the platform").

A key-less report's account id or email is a claim: kept, never a second person. The platform,
forwarding with its key, vouches for its users. Only configured proxies vouch for addresses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from takedown.app import create_app
from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.runtime import Runtime
from takedown.store.models import Account, Report
from tests.support.factories import Api

BYSTANDER_CSE: dict[str, Any] = {
    "category": "child_sexual_exploitation",
    "reporter_role": "third_party",
}


def _events(api: Api, case_id: str) -> list[dict[str, Any]]:
    response = api.client.get(f"/v1/cases/{case_id}/events", headers=api.key("reviewer"))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_invented_account_ids_from_one_address_count_once_and_hide_nothing(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.report(content_id="p-1", reporter_account_id=f"invented-{n}", **BYSTANDER_CSE)
        for n in range(3)
    ]
    assert [o["priority"] for o in outs] == ["P1", "P1", "P1"]
    assert {o["content_state"] for o in outs} == {"visible"}
    assert "restrict" not in {e["type"] for e in _events(api, outs[0]["case_id"])}
    # The claims are kept for the reviewer, and every report is marked as not forwarded.
    with api.runtime.transaction() as session:
        claims = sorted(str(c) for c in session.scalars(select(Report.reporter_account_id)))
    assert claims == ["invented-0", "invented-1", "invented-2"]
    assert {r["forwarded"] for r in api.case(outs[0]["case_id"])["reports"]} == {False}


def test_invented_emails_from_one_address_count_once(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.report(content_id="p-1", category="harassment", contact_email=f"u{n}@example.org")
        for n in range(3)
    ]
    assert [o["priority"] for o in outs] == ["P2", "P2", "P2"]


def test_forged_forwarded_for_is_not_believed_without_a_trusted_proxy(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.report(
            headers={"X-Forwarded-For": f"198.51.100.{n}"}, content_id="p-1", **BYSTANDER_CSE
        )
        for n in range(3)
    ]
    assert {o["content_state"] for o in outs} == {"visible"}
    assert [o["priority"] for o in outs] == ["P1", "P1", "P1"]


def test_forged_forwarded_for_does_not_get_past_the_rate_limit(api: Api) -> None:
    from takedown.api.deps import PublicRateLimit

    api.client.app.state.public_limit = PublicRateLimit("3/minute")  # type: ignore[attr-defined]
    body = {"content_id": "p-1", "category": "spam", "reporter_role": "third_party"}
    answers = [
        api.client.post(
            "/v1/reports", json=body, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        ).status_code
        for n in range(5)
    ]
    assert answers == [201, 201, 201, 429, 429]


def test_forwarded_reports_from_three_accounts_still_raise_the_case(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.forward(content_id="p-1", category="harassment", reporter_account_id=f"acct-{n}")
        for n in range(3)
    ]
    assert [o["priority"] for o in outs] == ["P2", "P2", "P1"]
    assert {r["forwarded"] for r in api.case(outs[0]["case_id"])["reports"]} == {True}


def test_forwarded_child_safety_reports_from_three_accounts_raise_it_to_p0(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.forward(content_id="p-1", reporter_account_id=f"acct-{n}", **BYSTANDER_CSE)
        for n in range(3)
    ]
    assert outs[-1]["priority"] == "P0" and outs[-1]["content_state"] == "restricted"


def test_the_same_forwarded_account_counts_once(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.forward(content_id="p-1", category="harassment", reporter_account_id="same")
        for _ in range(3)
    ]
    assert [o["priority"] for o in outs] == ["P2", "P2", "P2"]


def test_forwarded_reports_are_not_limited_per_address(api: Api) -> None:
    from takedown.api.deps import PublicRateLimit

    api.client.app.state.public_limit = PublicRateLimit("1/minute")  # type: ignore[attr-defined]
    for n in range(3):
        api.forward(content_id="p-1", category="spam", reporter_account_id=f"acct-{n}")
    body = {"content_id": "p-1", "category": "spam", "reporter_role": "third_party"}
    assert api.client.post("/v1/reports", json=body).status_code == 201
    assert api.client.post("/v1/reports", json=body).status_code == 429


def test_a_key_that_is_not_a_platforms_is_refused_and_stores_nothing(api: Api) -> None:
    body = {"content_id": "p-1", "reporter_account_id": "acct-1", **BYSTANDER_CSE}
    wrong = api.client.post("/v1/reports", json=body, headers={"Authorization": "Bearer nope"})
    staff = api.client.post("/v1/reports", json=body, headers=api.key("reviewer"))
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    assert (staff.status_code, staff.json()["error"]["code"]) == (403, "forbidden")
    with api.runtime.transaction() as session:
        assert session.scalars(select(Report)).first() is None


def test_behind_a_trusted_proxy_each_network_is_a_reporter(proxied_api: Api) -> None:
    api = proxied_api
    api.register("p-1")
    outs = [
        api.report_from(f"203.0.113.{n}", content_id="p-1", category="harassment") for n in range(3)
    ]
    assert [o["priority"] for o in outs] == ["P2", "P2", "P1"]


def test_behind_a_trusted_proxy_what_the_client_wrote_is_not_believed(proxied_api: Api) -> None:
    """The proxy appends the address it saw; entries to its left are the client's own words."""
    api = proxied_api
    api.register("p-1")
    outs = [
        api.report(
            headers={"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.7"},
            content_id="p-1",
            category="harassment",
        )
        for n in range(3)
    ]
    assert [o["priority"] for o in outs] == ["P2", "P2", "P2"]


def test_trusted_proxies_come_from_the_setting(settings: Settings, clock: ManualClock) -> None:
    rt = Runtime.build(replace(settings, trusted_proxies="10.0.0.0/8"), clock, migrate=False)
    try:
        app = create_app(rt, run_worker=False)
        with TestClient(app, client=("10.1.2.3", 4000)) as client:
            api = Api(client, rt)
            api.register("p-1")
            outs = [
                api.report_from(f"203.0.113.{n}", content_id="p-1", **BYSTANDER_CSE)
                for n in range(2)
            ]
    finally:
        rt.close()
    assert outs[-1]["content_state"] == "restricted"


# --- A bystander's child-safety report and a second, independent signal (issue 13, item 3).


def test_two_bystanders_forwarded_from_two_accounts_hide_the_item(api: Api) -> None:
    api.register("p-1")
    first = api.forward(content_id="p-1", reporter_account_id="acct-a", **BYSTANDER_CSE)
    assert (first["priority"], first["content_state"]) == ("P1", "visible")
    second = api.forward(content_id="p-1", reporter_account_id="acct-b", **BYSTANDER_CSE)
    assert second["content_state"] == "restricted"
    restrict = [e for e in _events(api, second["case_id"]) if e["type"] == "restrict"]
    assert "account in good standing" in restrict[0]["data"]["reason"]


def test_two_bystanders_on_two_networks_hide_the_item(proxied_api: Api) -> None:
    api = proxied_api
    api.register("p-1")
    first = api.report_from("203.0.113.1", content_id="p-1", **BYSTANDER_CSE)
    assert first["content_state"] == "visible"
    second = api.report_from("198.51.100.2", content_id="p-1", **BYSTANDER_CSE)
    assert second["content_state"] == "restricted"
    restrict = [e for e in _events(api, second["case_id"]) if e["type"] == "restrict"]
    assert "second, independent reporter" in restrict[0]["data"]["reason"]


def test_bystanders_from_one_network_do_not_hide_it_whatever_they_claim(
    proxied_api: Api,
) -> None:
    api = proxied_api
    api.register("p-1")
    outs = [
        api.report_from(
            "203.0.113.1",
            content_id="p-1",
            reporter_account_id=f"claimed-{n}",
            contact_email=f"c{n}@example.org",
            **BYSTANDER_CSE,
        )
        for n in range(4)
    ]
    assert {o["content_state"] for o in outs} == {"visible"}


def test_a_forwarded_report_from_a_suspended_account_does_not_agree(api: Api) -> None:
    api.register("p-1")
    api.register("p-bad", account_id="acct-bad")
    with api.runtime.transaction() as session:
        bad = session.get(Account, "acct-bad")
        assert bad is not None
        bad.state, bad.strikes = "suspended", 3
    api.report(content_id="p-1", **BYSTANDER_CSE)
    out = api.forward(content_id="p-1", reporter_account_id="acct-bad", **BYSTANDER_CSE)
    assert out["content_state"] == "visible"
    # An account in good standing does.
    out = api.forward(content_id="p-1", reporter_account_id="acct-good", **BYSTANDER_CSE)
    assert out["content_state"] == "restricted"


def test_the_uploaders_earlier_confirmed_case_agrees(api: Api) -> None:
    api.register("p-1", account_id="acct-uploader")
    with api.runtime.transaction() as session:
        uploader = session.get(Account, "acct-uploader")
        assert uploader is not None
        uploader.strikes = 1
    out = api.report(content_id="p-1", **BYSTANDER_CSE)
    assert out["content_state"] == "restricted"
    restrict = [e for e in _events(api, out["case_id"]) if e["type"] == "restrict"]
    assert "earlier confirmed violation" in restrict[0]["data"]["reason"]


def test_a_bank_match_of_any_kind_agrees(api: Api) -> None:
    from tests.support.banks import add_hashes, make_bank

    make_bank(api, "spam-hashes", action="review", child_safety=False)
    add_hashes(api, "spam-hashes", {"signal": "md5", "value": "ab" * 16})
    item = api.register("p-1", md5="ab" * 16)
    assert item["state"] == "visible"
    out = api.report(content_id="p-1", **BYSTANDER_CSE)
    assert out["content_state"] == "restricted"


def test_one_bystander_alone_still_waits_for_review(api: Api) -> None:
    api.register("p-1", account_id="acct-clean")
    out = api.report(content_id="p-1", **BYSTANDER_CSE)
    assert (out["priority"], out["content_state"]) == ("P1", "visible")


def test_a_bank_match_found_after_the_bystanders_report_hides_the_item(api: Api) -> None:
    from tests.support.banks import add_hashes, content, make_bank

    api.register("p-1", md5="cd" * 16)
    out = api.report(content_id="p-1", **BYSTANDER_CSE)
    assert out["content_state"] == "visible"
    make_bank(api, "harassment-hashes", action="review", child_safety=False)
    add_hashes(api, "harassment-hashes", {"signal": "md5", "value": "cd" * 16})
    api.runtime.worker.drain()
    assert content(api, "p-1")["state"] == "restricted"
    restrict = [e for e in _events(api, out["case_id"]) if e["type"] == "restrict"]
    assert "matches a bank" in restrict[0]["data"]["reason"]
