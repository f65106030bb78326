"""Statements of reasons reach the (fake) EU Transparency Database through the outbox, in
batches of at most 100, with the bearer token; an outage is retried and nothing is lost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.store.oversight import DsaSubmission
from tests.support.factories import Api
from tests.support.fake_dsa_database import FakeTransparencyDatabase
from tests.support.review import child_safety_case, decide


@pytest.fixture
def eu() -> Iterator[FakeTransparencyDatabase]:
    fake = FakeTransparencyDatabase()
    yield fake
    fake.close()


@pytest.fixture
def settings(settings: Settings, eu: FakeTransparencyDatabase) -> Settings:
    # 101 child-safety reports from one test client: past the default budget they would be
    # accepted without hiding anything, and make no restrictive decision to state.
    return replace(
        settings,
        dsa_api_url=eu.url,
        dsa_api_token=eu.token,
        child_safety_rate_limit="1000/minute",
    )


def _pending(api: Api) -> int:
    with api.runtime.transaction() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(DsaSubmission)
                .where(DsaSubmission.status == "pending")
            )
            or 0
        )


def test_statements_go_in_batches_of_at_most_100(
    api: Api, clock: ManualClock, eu: FakeTransparencyDatabase
) -> None:
    for n in range(101):  # each hides its item at once: 101 restrictive decisions
        child_safety_case(api, f"p-{n}", f"acct-{n}")
    assert _pending(api) == 101
    api.runtime.worker.drain()
    assert [len(b) for b in eu.batches] == [100, 1]
    assert eu.refused == []
    assert _pending(api) == 0
    api_view = api.client.get(
        "/v1/transparency/statements?from=2026-01-01&to=2026-01-01", headers=api.key("legal")
    ).json()["statements"]
    assert sorted(s["puid"] for s in eu.accepted) == sorted(s["puid"] for s in api_view)


def test_an_outage_is_retried_and_a_decision_adds_its_statements(
    api: Api, clock: ManualClock, eu: FakeTransparencyDatabase
) -> None:
    eu.refuse_next = 1
    case = child_safety_case(api, "p-1", "acct-1")
    api.runtime.worker.drain()
    assert eu.refused == [500] and eu.batches == []
    assert _pending(api) == 1
    clock.advance(timedelta(seconds=5))  # past the first back-off
    api.runtime.worker.drain()
    assert [len(b) for b in eu.batches] == [1]
    assert decide(api, case["case_id"], "lead-1", "lead", "violating").status_code == 200
    api.runtime.worker.drain()
    kinds = [s.get("decision_visibility") or [s.get("decision_account")] for s in eu.accepted]
    assert kinds == [
        ["DECISION_VISIBILITY_CONTENT_DISABLED"],
        ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        ["DECISION_ACCOUNT_SUSPENDED"],
    ]
