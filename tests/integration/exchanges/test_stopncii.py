"""StopNCII (JSON) through python-threatexchange's client, against a fake that cuts a page's
JSON short (facebook/ThreatExchange #2004), lets paging tokens go stale, and withdraws hashes."""

from __future__ import annotations

from takedown.store.exchanges import ExchangeFetch
from tests.integration.exchanges.conftest import banked, fetch, provenance, stopncii_exchange
from tests.support.factories import Api
from tests.support.fake_stopncii import FakeStopNcii

T0 = 1_700_000_000


def pdq(n: int) -> str:
    return f"{(0xC2B2AE3D27D4EB4F * (n + 3)) % (1 << 64):016x}" * 4


def seed(fake: FakeStopNcii, count: int) -> list[tuple[str, str, bool]]:
    for n in range(count):
        fake.add(pdq(n), T0 + n // 2, CSPFeedbacks=[{"feedbackValue": "Blocked", "tags": ["ncii"]}])
    return sorted(("pdq", pdq(n), True) for n in range(count))


def test_a_fetch_fills_the_bank_with_provenance(api: Api, stopncii: FakeStopNcii) -> None:
    want = seed(stopncii, 8)
    name = stopncii_exchange(api, stopncii)

    outcome = fetch(api, name)

    assert outcome.succeeded and outcome.up_to_date, outcome
    assert sorted(banked(api, name)) == want
    rows = provenance(api, name)
    assert [(r.upstream_id, r.upstream_signal, r.tags) for r in rows] == sorted(
        (pdq(n), "ImagePDQ", ["ncii"]) for n in range(8)
    )
    assert stopncii.problems == []


def test_a_withdrawn_hash_is_retired(api: Api, stopncii: FakeStopNcii) -> None:
    seed(stopncii, 4)
    name = stopncii_exchange(api, stopncii)
    assert fetch(api, name).up_to_date
    stopncii.withdraw(pdq(1), T0 + 100)

    assert fetch(api, name).up_to_date
    retired = [v for _, v, live in banked(api, name) if not live]
    assert retired == [pdq(1)]
    assert len(banked(api, name)) == 4  # retired in place, never a second row


def test_a_truncated_json_page_is_read_again_and_nothing_is_lost(
    api: Api, stopncii: FakeStopNcii
) -> None:
    want = seed(stopncii, 9)
    name = stopncii_exchange(api, stopncii)
    stopncii.truncate(2)  # the second page comes back as half a JSON document, once

    outcome = fetch(api, name)

    assert outcome.succeeded and outcome.up_to_date, outcome
    assert sorted(banked(api, name)) == want
    assert len(provenance(api, name)) == 9


def test_a_page_that_stays_corrupt_fails_the_fetch_without_skipping_past_it(
    api: Api, stopncii: FakeStopNcii
) -> None:
    want = seed(stopncii, 9)
    name = stopncii_exchange(api, stopncii)
    stopncii.corrupt_from(2)

    failed = fetch(api, name)
    assert not failed.succeeded and "JSON" in (failed.error or "")
    assert len(banked(api, name)) == 3  # the first page, kept
    with api.runtime.sessions() as session:
        state = session.get(ExchangeFetch, name)
        assert state is not None and state.last_succeeded is False and state.last_error
        # The checkpoint did not move past the corrupt page (#2004 would skip 10 minutes).
        assert state.checkpoint_ts == T0 + 1

    stopncii.repair()
    again = fetch(api, name)
    assert again.succeeded and again.up_to_date
    assert sorted(banked(api, name)) == want
    assert len(provenance(api, name)) == 9


def test_stale_paging_tokens_and_stops_between_pages_lose_nothing(
    api: Api, stopncii: FakeStopNcii
) -> None:
    want = seed(stopncii, 11)
    name = stopncii_exchange(api, stopncii)
    assert not fetch(api, name, max_pages=1).up_to_date
    stopncii.expire_tokens()
    assert not fetch(api, name, max_pages=2).up_to_date
    stopncii.expire_tokens()

    assert fetch(api, name).up_to_date
    assert sorted(banked(api, name)) == want
    assert len(provenance(api, name)) == 11
