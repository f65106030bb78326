"""Match quality (issue 11, item 4): per-bank thresholds, provenance, bank filters, suppression
banks, and flood quarantine with the injected clock."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.store.banks import BankHash
from takedown.store.models import Case, CaseEvent, ContentItem
from tests.support.banks import add_hashes, make_bank
from tests.support.factories import Api

BASE = "a5" * 32
MD5 = "0123456789abcdef0123456789abcdef"
FLOOD_LIMIT = 3


def near(bits: int, start: int = 0) -> str:
    """BASE with `bits` bits flipped, from bit `start`."""
    return f"{int(BASE, 16) ^ (((1 << bits) - 1) << start):064x}"


def lookalike(n: int) -> str:
    """The n-th of a family of hashes 20 bits from BASE (a match) and 40 bits from each other
    (not copies of one another): what a colliding bank entry sweeps in."""
    return near(20, start=20 * n)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, bank_flood_limit=FLOOD_LIMIT)


def match(api: Api, value: str, **extra: object) -> list[dict[str, object]]:
    response = api.client.post(
        "/v1/match", json={"signal": "pdq", "value": value, **extra}, headers=api.key("platform")
    )
    assert response.status_code == 200, response.text
    return response.json()["matches"]  # type: ignore[no-any-return]


def test_matches_say_which_entry_and_threshold_and_banks_filter(api: Api) -> None:
    make_bank(api, "strict", action="review", child_safety=False, pdq_threshold=4)
    make_bank(api, "loose", action="review", child_safety=False)
    add_hashes(api, "strict", {"signal": "pdq", "value": BASE})
    add_hashes(api, "loose", {"signal": "pdq", "value": BASE})
    with api.runtime.sessions() as session:
        ids = {r.bank.name: r.id for r in session.scalars(select(BankHash))}

    far = match(api, near(10))
    assert far == [
        {
            "bank": "loose",
            "signal": "pdq",
            "distance": 10,
            "threshold": 31,
            "bank_content_id": ids["loose"],
            "exchange": None,
            "upstream_id": None,
            "quarantined": False,
        }
    ]
    close = match(api, near(2))
    assert {(m["bank"], m["threshold"]) for m in close} == {("strict", 4), ("loose", 31)}
    assert [m["bank"] for m in match(api, near(2), banks=["strict"])] == ["strict"]
    assert match(api, near(2), banks=["nowhere"]) == []


def test_a_suppression_bank_vetoes_look_alikes_but_not_the_banked_file(api: Api) -> None:
    make_bank(api, "csam", action="block", child_safety=True)
    add_hashes(api, "csam", {"signal": "pdq", "value": BASE}, {"signal": "md5", "value": MD5})
    before = api.register("before", pdq=near(5))
    assert before["verdict"] == "block"  # the look-alike is caught while nothing vetoes it

    created = make_bank(api, "benign-logos", action="review", child_safety=False, suppression=True)
    assert created["suppression"] is True
    add_hashes(api, "benign-logos", {"signal": "pdq", "value": near(3, start=2)})
    after = api.register("after", pdq=near(5))
    assert (after["verdict"], after["state"], after["matches"]) == ("allow", "visible", [])
    assert match(api, near(5)) == []
    # The suppression entry itself never acts.
    assert api.register("logo", pdq=near(3, start=2))["verdict"] == "allow"
    # The banked file itself is not excused by a benign look-alike of its picture.
    exact = api.register("file", pdq=near(5), md5=MD5)
    assert exact["verdict"] == "block"
    assert [m["signal"] for m in exact["matches"]] == ["md5"]


def test_a_flooding_entry_is_quarantined_and_goes_to_a_lead(api: Api, clock: ManualClock) -> None:
    make_bank(api, "memes", action="hold", child_safety=False)
    add_hashes(api, "memes", {"signal": "pdq", "value": BASE})
    verdicts = [api.register(f"post-{i}", account_id=f"a{i}", pdq=lookalike(i)) for i in range(5)]
    assert [v["verdict"] for v in verdicts] == ["hold"] * 3 + ["allow"] * 2
    assert [v["state"] for v in verdicts] == ["restricted"] * 3 + ["visible"] * 2
    assert verdicts[3]["matches"][0]["quarantined"] is True
    case = api.case(verdicts[0]["matches"][0]["case_id"])
    recorded = [e["data"] for e in case["events"] if e["type"] == "match"]
    assert recorded[0]["threshold"] == 31 and recorded[0]["exchange"] is None
    assert verdicts[3]["matches"][0]["case_id"] is None

    with api.runtime.sessions() as session:
        entry = session.scalars(select(BankHash)).one()
        assert entry.quarantined_at == clock.now()
        events = [
            e
            for e in session.scalars(select(CaseEvent))
            if e.data.get("reason") == "flood_quarantine"
        ]
        assert len(events) == 1 and events[0].data["raised_to"] == "leads"
        assert events[0].data["distinct_items_in_hour"] == FLOOD_LIMIT + 1
        lead_case = session.get(Case, events[0].case_id)
        assert lead_case is not None and lead_case.state == "escalated"
        assert [link.item.content_id for link in lead_case.links] == ["post-3"]
    seen = api.case(lead_case.id)  # the lead's case reads like any other, with no report
    assert seen["state"] == "escalated" and seen["priority"] == "P1"
    banks = api.client.get("/v1/banks", headers=api.key("lead")).json()["banks"]
    assert banks[0]["quarantined_count"] == 1
    # Quarantine holds until a lead acts, however much time passes.
    clock.advance(timedelta(hours=3))
    assert api.register("post-later", pdq=lookalike(6))["verdict"] == "allow"

    # A lead looks, finds the entry sound and releases it: it acts again, counted afresh.
    listed = api.client.get("/v1/banks/memes/quarantined", headers=api.key("lead")).json()
    assert [e["bank_hash_id"] for e in listed["entries"]] == [entry.id]
    path = f"/v1/banks/memes/quarantined/{entry.id}/release"
    assert api.client.post(path, headers=api.key("reviewer")).status_code == 403
    assert api.client.post(path, headers=api.key("lead")).status_code == 200
    assert api.client.post(path, headers=api.key("lead")).status_code == 404
    assert api.register("post-released", pdq=lookalike(7))["verdict"] == "hold"


def test_matches_spread_over_hours_do_not_flood(api: Api, clock: ManualClock) -> None:
    make_bank(api, "memes", action="hold", child_safety=False)
    add_hashes(api, "memes", {"signal": "pdq", "value": BASE})
    first = [api.register(f"early-{i}", pdq=lookalike(i))["verdict"] for i in range(FLOOD_LIMIT)]
    clock.advance(timedelta(minutes=61))
    second = [
        api.register(f"late-{i}", pdq=lookalike(FLOOD_LIMIT + i))["verdict"]
        for i in range(FLOOD_LIMIT)
    ]
    assert first + second == ["hold"] * (2 * FLOOD_LIMIT)
    with api.runtime.sessions() as session:
        assert session.scalars(select(BankHash)).one().quarantined_at is None


def test_a_retroactive_scan_stops_at_the_flood_limit(api: Api) -> None:
    for i in range(5):
        api.register(f"stored-{i}", pdq=BASE)
    make_bank(api, "late-list", action="hold", child_safety=False)
    add_hashes(api, "late-list", {"signal": "pdq", "value": BASE})
    api.runtime.worker.drain()
    with api.runtime.sessions() as session:
        states = [i.state for i in session.scalars(select(ContentItem).order_by(ContentItem.id))]
        assert sorted(states) == ["restricted"] * FLOOD_LIMIT + ["visible"] * 2
        assert session.scalars(select(BankHash)).one().quarantined_at is not None
