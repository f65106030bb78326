"""Reports: triage, restrict first, one case per item, no identity demanded."""

from __future__ import annotations

from tests.support.factories import Api

CSE_FROM_VICTIM = {
    "category": "child_sexual_exploitation",
    "reporter_role": "depicted_person",
    "depicts_minor": True,
}


def test_victim_report_on_registered_item_is_p0_and_restricted_in_the_response(api: Api) -> None:
    api.register("p-123")
    out = api.report(content_id="p-123", **CSE_FROM_VICTIM)
    assert out["priority"] == "P0"
    assert out["content_state"] == "restricted"
    assert out["status_url"].endswith("/status/" + out["status_token"])
    state = api.client.get("/v1/content/p-123", headers=api.key("platform")).json()
    assert state["state"] == "restricted"
    assert state["case_ids"] == [out["case_id"]]
