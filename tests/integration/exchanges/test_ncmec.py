"""NCMEC hash sharing (XML v2) through python-threatexchange's client, against a fake that
answers out of time order, issues paging links that go stale and can be killed mid-fetch."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from threatexchange.exchanges.impl import ncmec_api

from takedown.clock import ManualClock
from takedown.store.exchanges import ExchangeFetch
from tests.integration.exchanges.conftest import banked, fetch, ncmec_exchange, provenance
from tests.support.factories import Api
from tests.support.fake_ncmec_hashes import FakeEntry, FakeNcmecHashes

T0 = 1_750_000_000


def pdq(n: int) -> str:
    return f"{(0x9E3779B97F4A7C15 * (n + 1)) % (1 << 64):016x}" * 4


def md5(n: int) -> str:
    return f"{n:032x}"


def seed(fake: FakeNcmecHashes, count: int) -> list[FakeEntry]:
    """`count` image entries from two members, within a few seconds of one another (NCMEC's
    "cursed second", #1679), so they page; their timestamps run against the fake's order."""
    entries = []
    for n in range(count):
        entry = FakeEntry(
            id=f"e{n:03d}",
            member_id=1 + n % 2,
            timestamp=T0 + (count - n) % 7,
            fingerprints={"md5": md5(n), "pdq": pdq(n)},
            classification="A1" if n % 3 else "B1",
        )
        fake.add(entry)
        entries.append(entry)
    return entries


def expected(entries: list[FakeEntry]) -> list[tuple[str, str, bool]]:
    return sorted(
        (s, v, True)
        for e in entries
        for s, v in (("md5", md5(int(e.id[1:]))), ("pdq", pdq(int(e.id[1:]))))
    )


def checkpoint_of(api: Api, name: str) -> dict[str, Any]:
    with api.runtime.sessions() as session:
        state = session.get(ExchangeFetch, name)
        assert state is not None and state.checkpoint is not None
        return state.checkpoint


def test_a_fetch_fills_the_bank_with_provenance_per_hash(api: Api, ncmec: FakeNcmecHashes) -> None:
    entries = seed(ncmec, 10)
    name = ncmec_exchange(api, ncmec)

    outcome = fetch(api, name)

    assert outcome.succeeded and outcome.up_to_date, outcome
    assert sorted(banked(api, name)) == expected(entries)
    rows = provenance(api, name)
    assert len(rows) == 20  # two fingerprints per entry, each once
    first = [r for r in rows if r.record_key == "1-e000"]
    assert {(r.upstream_id, r.member, r.upstream_signal) for r in first} == {
        ("e000", "1", "MD5"),
        ("e000", "1", "PDQ"),
    }
    assert all(r.tags == ["B1"] for r in first)
    assert ncmec.problems == []
    # The entries spanned several pages, served out of time order.
    assert sum("/v2/entries" in r for r in ncmec.requests) > 3


def test_a_second_fetch_adds_new_entries_and_retires_deleted_ones(
    api: Api, ncmec: FakeNcmecHashes, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = seed(ncmec, 4)
    name = ncmec_exchange(api, ncmec)
    assert fetch(api, name).succeeded
    # A deletion and a new entry after the first fetch's window; the library reads the time
    # itself, so its clock is moved on two minutes for the second fetch.
    later = time.time() + 120
    monkeypatch.setattr(ncmec_api, "time", SimpleNamespace(time=lambda: later))
    clock.advance(timedelta(minutes=5))
    ncmec.delete(1, "e000", int(later) - 60)
    ncmec.add(FakeEntry("e100", 2, int(later) - 60, {"md5": md5(100)}))

    assert fetch(api, name).succeeded
    acting = {(s, v) for s, v, live in banked(api, name) if live}
    retired = {(s, v) for s, v, live in banked(api, name) if not live}
    assert retired == {("md5", md5(0)), ("pdq", pdq(0))}
    assert acting == {(s, v) for s, v, _ in expected(entries[1:])} | {("md5", md5(100))}
    rows = {r.record_key: r for r in provenance(api, name) if r.upstream_signal == "MD5"}
    assert rows["1-e000"].deleted_at is not None
    # Seen once each: the new entry in the second fetch, the old one in the first only.
    assert rows["2-e100"].first_seen == rows["2-e100"].last_seen == clock.now()
    assert rows["2-e001"].last_seen == clock.now() - timedelta(minutes=5)


def test_a_fetch_stopped_after_any_page_resumes_without_losing_or_duplicating(
    api: Api, ncmec: FakeNcmecHashes
) -> None:
    entries = seed(ncmec, 12)
    name = ncmec_exchange(api, ncmec)

    # Stop after every single page, as if the process died between pages each time.
    partial_sizes = []
    for _ in range(200):
        outcome = fetch(api, name, max_pages=1)
        assert outcome.succeeded, outcome
        if outcome.up_to_date:
            break
        partial_sizes.append(len(banked(api, name)))
    assert any(0 < size < 24 for size in partial_sizes)  # it did stop inside the data
    assert sorted(banked(api, name)) == expected(entries)
    assert len(provenance(api, name)) == 24


def test_a_stale_paging_link_restarts_its_window_and_loses_nothing(
    api: Api, ncmec: FakeNcmecHashes
) -> None:
    entries = seed(ncmec, 12)
    name = ncmec_exchange(api, ncmec)
    # Stop at the first page whose checkpoint holds a paging link.
    while True:
        assert not fetch(api, name, max_pages=1).up_to_date
        if checkpoint_of(api, name).get("paging_info"):
            break

    ncmec.expire_links()  # NCMEC no longer honours it (#1679, #1744)
    outcome = fetch(api, name)

    assert outcome.succeeded and outcome.up_to_date, outcome
    assert ncmec.stale_refusals == 1  # the stale link was tried once, then the window again
    assert sorted(banked(api, name)) == expected(entries)
    assert len(provenance(api, name)) == 24
