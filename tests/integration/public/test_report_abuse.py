"""Abuse of reporting: a burst of new anonymous reporters is flagged and cannot hide content on
its own; a victim's own report still hides it at once; reporters are rate limited."""

from __future__ import annotations

from tests.support.factories import Api

BYSTANDER_CSE = {"category": "child_sexual_exploitation", "reporter_role": "third_party"}


def _events(api: Api, case_id: str) -> list[str]:
    response = api.client.get(f"/v1/cases/{case_id}/events", headers=api.key("reviewer"))
    return [e["type"] for e in response.json()]


def test_a_burst_of_new_anonymous_reporters_is_flagged_for_review(proxied_api: Api) -> None:
    api = proxied_api
    api.register("p-1")
    outs = [
        api.report_from(f"203.0.113.{n}", content_id="p-1", category="harassment") for n in range(4)
    ]
    # The third distinct reporter still brings the decision forward ...
    assert [o["priority"] for o in outs] == ["P2", "P2", "P1", "P1"]
    events = _events(api, outs[0]["case_id"])
    # ... and the reviewer is told to look at the reporters before their number.
    assert events.count("reporters_flagged") == 1
    # The flag is for staff; reporters never see it.
    messages = " ".join(u["message"] for u in api.status(outs[0]["status_token"])["updates"])
    assert "flag" not in messages.lower()


def test_reporters_with_platform_accounts_still_hide_it_by_their_number(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.forward(content_id="p-1", reporter_account_id=f"acct-{n}", **BYSTANDER_CSE)
        for n in range(3)
    ]
    assert outs[-1]["priority"] == "P0"
    assert outs[-1]["content_state"] == "restricted"
    assert "reporters_flagged" not in _events(api, outs[0]["case_id"])


def test_a_victims_own_report_hides_the_content_even_during_a_burst(proxied_api: Api) -> None:
    api = proxied_api
    api.register("p-1")
    for n in range(3):
        api.report_from(f"203.0.113.{n}", content_id="p-1", category="harassment")
    assert "reporters_flagged" in _events(
        api, api.report_from("203.0.113.9", content_id="p-1", category="harassment")["case_id"]
    )
    victim = api.report(
        content_id="p-1",
        category="child_sexual_exploitation",
        reporter_role="depicted_person",
    )
    assert (victim["priority"], victim["content_state"]) == ("P0", "restricted")


def test_one_reporter_is_rate_limited_across_addresses(api: Api) -> None:
    from takedown.api.deps import ReporterRateLimit

    api.client.app.state.reporter_limit = ReporterRateLimit("2/hour")  # type: ignore[attr-defined]
    body = {
        "content_id": "p-1",
        "category": "spam",
        "reporter_role": "third_party",
        "contact_email": "same@example.org",
    }
    assert api.client.post("/v1/reports", json=body).status_code == 201
    assert api.client.post("/v1/reports", json=body).status_code == 201
    limited = api.client.post("/v1/reports", json={**body, "contact_email": " SAME@example.org"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    # Another reporter is not affected.
    other = {**body, "contact_email": "other@example.org"}
    assert api.client.post("/v1/reports", json=other).status_code == 201
