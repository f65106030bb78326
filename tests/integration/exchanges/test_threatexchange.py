"""ThreatExchange (Graph API `threat_updates`) through python-threatexchange's client, against a
fake that serves updates out of time order, repeats and expires paging links, cuts a page's
JSON short, tombstones indicators, and takes reactions on descriptors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.store.exchanges import ExchangeFetch
from takedown.store.models import OutboxJob
from tests.integration.exchanges.conftest import (
    banked,
    fetch,
    kill_fetch_on_page,
    provenance,
    threatexchange_exchange,
)
from tests.support.factories import Api
from tests.support.fake_threatexchange import FakeThreatExchange
from tests.support.review import decide

T0 = 1_700_000_000


def pdq(n: int) -> str:
    return f"{(0xC2B2AE3D27D4EB4F * (n + 5)) % (1 << 64):016x}" * 4


def seed(fake: FakeThreatExchange, count: int) -> dict[str, int]:
    """Indicators published in order (times rising); returns each one's descriptor id."""
    return {
        pdq(n): fake.add(pdq(n), T0 + n, tags=["media_type_photo", "csam"]) for n in range(count)
    }


def test_a_fetch_fills_the_bank_with_provenance(
    api: Api, threatexchange: FakeThreatExchange, clock: ManualClock
) -> None:
    descriptors = seed(threatexchange, 7)
    name = threatexchange_exchange(api, threatexchange)

    outcome = fetch(api, name)

    assert outcome.succeeded and outcome.up_to_date, outcome
    assert threatexchange.problems == []
    assert sorted(banked(api, name)) == sorted(("pdq", v, True) for v in descriptors)
    rows = provenance(api, name)
    assert sorted((r.upstream_id, r.upstream_signal, r.tags) for r in rows) == sorted(
        (str(d), "HASH_PDQ", ["csam", "media_type_photo"]) for d in descriptors.values()
    )
    assert {r.first_seen for r in rows} == {clock.now()}
    with api.runtime.sessions() as session:
        state = session.get(ExchangeFetch, name)
        assert state is not None and state.checkpoint_ts == T0 + 6

    first = clock.now()
    clock.advance(timedelta(hours=1))
    threatexchange.add(pdq(0), T0 + 50, tags=["media_type_photo", "csam", "seen_again"])
    assert fetch(api, name).up_to_date
    again = {r.upstream_id: r for r in provenance(api, name)}
    assert len(again) == 7 and len(banked(api, name)) == 7
    # pdq(0) was re-published with a new descriptor: same bank entry, refreshed provenance.
    renewed = [r for r in again.values() if "seen_again" in r.tags]
    assert len(renewed) == 1 and renewed[0].first_seen == first
    assert renewed[0].last_seen == clock.now()


def test_updates_out_of_time_order_are_all_banked(
    api: Api, threatexchange: FakeThreatExchange
) -> None:
    # Published newest-first: every page holds times below the page before it.
    values = [pdq(n) for n in range(8)]
    for n, value in enumerate(values):
        threatexchange.add(value, T0 + 100 - n)
    name = threatexchange_exchange(api, threatexchange)

    assert fetch(api, name).up_to_date
    assert sorted(v for _, v, live in banked(api, name) if live) == sorted(values)
    with api.runtime.sessions() as session:
        state = session.get(ExchangeFetch, name)
        assert state is not None and state.checkpoint_ts == T0 + 100  # the newest, not the last


def test_a_repeated_and_an_expired_paging_link_lose_and_duplicate_nothing(
    api: Api, threatexchange: FakeThreatExchange
) -> None:
    values = list(seed(threatexchange, 10))
    name = threatexchange_exchange(api, threatexchange)
    threatexchange.repeat_next_once(1)  # page 1's `next` serves page 1 again

    assert fetch(api, name).up_to_date
    assert sorted(v for _, v, _ in banked(api, name)) == sorted(values)
    assert len(provenance(api, name)) == 10

    for n in range(10, 17):
        threatexchange.add(pdq(n), T0 + n)
    assert not fetch(api, name, max_pages=1).up_to_date
    # The link the next page carries is stale by the time it is followed: the fetch starts
    # its window again from the stored checkpoint instead of failing or skipping.
    threatexchange.expire_cursors_after(threatexchange.pages_served + 1)
    assert fetch(api, name).up_to_date
    assert sorted(v for _, v, live in banked(api, name) if live) == sorted(
        pdq(n) for n in range(17)
    )
    assert len(provenance(api, name)) == 17
    assert threatexchange.problems == []


def test_a_truncated_json_page_fails_cleanly_and_the_next_fetch_resumes(
    api: Api, threatexchange: FakeThreatExchange
) -> None:
    values = list(seed(threatexchange, 9))
    name = threatexchange_exchange(api, threatexchange)
    threatexchange.truncate(2)  # once: the retry from the checkpoint reads it whole
    assert fetch(api, name).up_to_date
    assert len(banked(api, name)) == 9

    for n in range(9, 18):
        threatexchange.add(pdq(n), T0 + n)
    values += [pdq(n) for n in range(9, 18)]
    threatexchange.corrupt_from(threatexchange.pages_served + 2)

    failed = fetch(api, name)
    assert not failed.succeeded and "JSON" in (failed.error or ""), failed
    # The window starts at the checkpoint, inclusive: its first page is pdq(8) again, 9 and 10.
    assert len(banked(api, name)) == 11
    with api.runtime.sessions() as session:
        state = session.get(ExchangeFetch, name)
        assert state is not None and state.last_succeeded is False and state.last_error
        assert state.checkpoint_ts == T0 + 10  # not past the corrupt page

    threatexchange.repair()
    again = fetch(api, name)
    assert again.succeeded and again.up_to_date, again
    assert sorted(v for _, v, live in banked(api, name) if live) == sorted(values)
    assert len(banked(api, name)) == 18 and len(provenance(api, name)) == 18


def test_a_tombstoned_indicator_retires_its_hash(
    api: Api, threatexchange: FakeThreatExchange
) -> None:
    seed(threatexchange, 4)
    name = threatexchange_exchange(api, threatexchange)
    assert fetch(api, name).up_to_date
    threatexchange.delete(pdq(2), T0 + 100)

    assert fetch(api, name).up_to_date
    assert [v for _, v, live in banked(api, name) if not live] == [pdq(2)]
    assert len(banked(api, name)) == 4
    gone = [r for r in provenance(api, name) if r.deleted_at is not None]
    assert [r.record_key for r in gone] == [f"HASH_PDQ:{pdq(2)}"]
    assert api.register("upload-gone", pdq=pdq(2), pdq_quality=100)["matches"] == []


def test_a_plain_md5_is_banked_only_when_tagged_as_a_video(
    api: Api, threatexchange: FakeThreatExchange
) -> None:
    threatexchange.add("0a" * 16, T0, kind="HASH_MD5", tags=["media_type_video"])
    threatexchange.add("0b" * 16, T0 + 1, kind="HASH_MD5", tags=["media_type_photo"])
    threatexchange.add("0c" * 16, T0 + 2, kind="HASH_VIDEO_MD5", tags=[])
    name = threatexchange_exchange(api, threatexchange)

    assert fetch(api, name).up_to_date
    assert sorted(banked(api, name)) == [("md5", "0a" * 16, True), ("md5", "0c" * 16, True)]


def test_a_killed_fetch_resumes_without_losing_or_duplicating(
    api: Api, threatexchange: FakeThreatExchange, tmp_path: Path
) -> None:
    values = list(seed(threatexchange, 11))
    name = threatexchange_exchange(api, threatexchange)
    kill_fetch_on_page(
        api,
        threatexchange,
        name,
        3,
        tmp_path / "cli",
        {"TAKEDOWN_THREATEXCHANGE_URL": threatexchange.url},
    )  # pages 1 and 2 are stored, then the process hangs

    assert len(banked(api, name)) == 6  # the two pages stored before the kill

    outcome = fetch(api, name)
    assert outcome.succeeded and outcome.up_to_date, outcome
    assert sorted(v for _, v, live in banked(api, name) if live) == sorted(values)
    assert len(banked(api, name)) == len(values) and len(provenance(api, name)) == len(values)


def test_a_reviewers_verdicts_reach_threatexchange_as_reactions(
    api: Api, threatexchange: FakeThreatExchange
) -> None:
    descriptors = seed(threatexchange, 2)
    name = threatexchange_exchange(api, threatexchange)
    assert fetch(api, name).up_to_date

    confirmed = api.register("image-a", pdq=pdq(0), pdq_quality=100)["matches"]
    rejected = api.register("image-b", pdq=pdq(1), pdq_quality=100)["matches"]
    assert confirmed[0]["upstream_id"] == str(descriptors[pdq(0)])
    case_a, case_b = str(confirmed[0]["case_id"]), str(rejected[0]["case_id"])
    assert decide(api, case_a, "rev", "reviewer", "violating").status_code == 200
    assert decide(api, case_b, "rev", "reviewer", "not_violating", "none").status_code == 200
    assert threatexchange.reactions == []  # nothing is sent inside the reviewer's request
    api.runtime.worker.drain()

    assert threatexchange.problems == []
    assert sorted(threatexchange.reactions) == sorted(
        [(descriptors[pdq(0)], "HELPFUL"), (descriptors[pdq(1)], "NOT_HELPFUL")]
    )
    api.runtime.worker.drain()
    assert len(threatexchange.reactions) == 2  # each verdict sent once


def test_a_refused_reaction_is_retried_by_the_outbox(
    api: Api, threatexchange: FakeThreatExchange, clock: ManualClock
) -> None:
    descriptors = seed(threatexchange, 1)
    name = threatexchange_exchange(api, threatexchange)
    assert fetch(api, name).up_to_date
    case = str(api.register("image-a", pdq=pdq(0), pdq_quality=100)["matches"][0]["case_id"])
    threatexchange.refuse_reactions = True
    assert decide(api, case, "rev", "reviewer", "violating").status_code == 200
    api.runtime.worker.drain()

    assert threatexchange.reactions == []
    with api.runtime.sessions() as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.kind == "exchange.opinion")).one()
        assert job.status == "pending" and "refused" in (job.last_error or "")

    threatexchange.refuse_reactions = False
    clock.advance(timedelta(seconds=5))
    api.runtime.worker.drain()
    assert threatexchange.reactions == [(descriptors[pdq(0)], "HELPFUL")]


def test_health_on_the_status_route(api: Api, threatexchange: FakeThreatExchange) -> None:
    seed(threatexchange, 5)
    name = threatexchange_exchange(api, threatexchange)
    threatexchange.corrupt_from(1)
    assert not fetch(api, name).succeeded

    def status() -> dict[str, object]:
        response = api.client.get(f"/hma/c/exchange/{name}/status", headers=api.key("admin"))
        assert response.status_code == 200, response.text
        return response.json()

    failed = status()
    assert failed["last_fetch_succeeded"] is False and failed["up_to_date"] is False
    threatexchange.repair()
    assert fetch(api, name).up_to_date
    ok = status()
    assert ok["last_fetch_succeeded"] is True and ok["up_to_date"] is True
    assert ok["fetched_items"] == 5 and ok["checkpoint_ts"] == T0 + 4
    metrics = api.client.get("/metrics", headers=api.key("admin")).text
    assert f'takedown_exchange_items{{exchange="{name}"}} 5.0' in metrics
    assert f'takedown_exchange_last_fetch_succeeded{{exchange="{name}"}} 1.0' in metrics
