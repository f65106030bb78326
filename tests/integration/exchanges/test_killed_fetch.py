"""A fetch whose process is killed (SIGKILL) while it waits on a page resumes from the last
stored page: nothing lost, nothing banked twice."""

from __future__ import annotations

from pathlib import Path

from tests.integration.exchanges.conftest import (
    banked,
    fetch,
    kill_fetch_on_page,
    provenance,
    stopncii_exchange,
)
from tests.support.factories import Api
from tests.support.fake_stopncii import FakeStopNcii


def test_a_killed_fetch_resumes_without_losing_or_duplicating(
    api: Api, stopncii: FakeStopNcii, tmp_path: Path
) -> None:
    values = [f"{n:02x}" * 32 for n in range(0x10, 0x1B)]
    for n, value in enumerate(values):
        stopncii.add(value, 1_700_000_000 + n)
    name = stopncii_exchange(api, stopncii)
    kill_fetch_on_page(
        api, stopncii, name, 3, tmp_path / "cli", {"TAKEDOWN_STOPNCII_URL": stopncii.url}
    )  # pages 1 and 2 are stored, then the process hangs

    assert len(banked(api, name)) == 6  # the two pages stored before the kill

    outcome = fetch(api, name)
    assert outcome.succeeded and outcome.up_to_date, outcome
    assert sorted(v for _, v, live in banked(api, name) if live) == sorted(values)
    assert len(banked(api, name)) == len(values)
    assert len(provenance(api, name)) == len(values)
