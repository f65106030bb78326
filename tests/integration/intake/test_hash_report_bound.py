"""One key-less hash report hides at most TAKEDOWN_HASH_REPORT_RESTRICT_MAX items at once
(issue 10, finding 5: one anonymous report hid ten items of ten accounts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from takedown.app import create_app
from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.runtime import Runtime
from tests.support.banks import content, png, uploaded
from tests.support.factories import Api


@pytest.fixture
def bounded(settings: Settings, clock: ManualClock) -> Iterator[Api]:
    rt = Runtime.build(replace(settings, hash_report_restrict_max=2), clock, migrate=False)
    try:
        with TestClient(create_app(rt, run_worker=False)) as client:
            yield Api(client, rt)
    finally:
        rt.close()


def _hash_report(api: Api, md5s: list[str]) -> dict[str, Any]:
    response = api.client.post(
        "/v1/hash-reports",
        json={
            "hashes": [{"signal": "md5", "value": v} for v in md5s],
            "category": "child_sexual_exploitation",
            "reporter_role": "depicted_person",
            "depicts_minor": True,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_past_the_bound_the_other_matches_wait_for_a_reviewer(bounded: Api) -> None:
    api = bounded
    items = [uploaded(api, f"i{n}", png(70 + n), account_id=f"acct-{n}") for n in range(4)]
    out = _hash_report(api, [i["signals"]["md5"] for i in items])
    assert sorted(out["matched_content_ids"]) == ["i0", "i1", "i2", "i3"]
    states = {f"i{n}": content(api, f"i{n}")["state"] for n in range(4)}
    assert sorted(states.values()) == ["restricted", "restricted", "visible", "visible"]
    case = api.case(out["case_id"])
    # Every match is on the case for the reviewer, hidden or not.
    assert sorted(case["content_ids"]) == ["i0", "i1", "i2", "i3"]
    held = [e["data"] for e in case["events"] if e["type"] == "held_for_review"]
    assert len(held) == 1
    assert sorted(held[0]["left_for_review"]) == sorted(
        k for k, v in states.items() if v == "visible"
    )
    assert held[0]["bound"] == 2


def test_within_the_bound_every_match_is_hidden(bounded: Api) -> None:
    api = bounded
    items = [uploaded(api, f"i{n}", png(80 + n), account_id=f"acct-{n}") for n in range(2)]
    out = _hash_report(api, [i["signals"]["md5"] for i in items])
    assert out["content_state"] == "restricted"
    assert {content(api, f"i{n}")["state"] for n in range(2)} == {"restricted"}
    assert "held_for_review" not in {e["type"] for e in api.case(out["case_id"])["events"]}
