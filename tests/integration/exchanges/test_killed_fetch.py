"""A fetch whose process is killed (SIGKILL) while it waits on a page resumes from the last
stored page: nothing lost, nothing banked twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.integration.exchanges.conftest import banked, fetch, provenance, stopncii_exchange
from tests.support.factories import Api
from tests.support.fake_stopncii import FakeStopNcii

ROOT = Path(__file__).resolve().parents[3]


def test_a_killed_fetch_resumes_without_losing_or_duplicating(
    api: Api, stopncii: FakeStopNcii, tmp_path: Path
) -> None:
    values = [f"{n:02x}" * 32 for n in range(0x10, 0x1B)]
    for n, value in enumerate(values):
        stopncii.add(value, 1_700_000_000 + n)
    name = stopncii_exchange(api, stopncii)
    stopncii.block_on_page(3)  # pages 1 and 2 are stored, then the process hangs on page 3

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "TAKEDOWN_DATABASE_URL": api.runtime.settings.database_url,
        "TAKEDOWN_DATA_DIR": str(tmp_path / "cli"),
        "TAKEDOWN_STOPNCII_URL": stopncii.url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "takedown.cli.main", "exchange", "fetch", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert stopncii.waiting.wait(60), "the fetch never reached page 3"
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    stopncii.release.set()
    stopncii.block_on_page(0)

    assert len(banked(api, name)) == 6  # the two pages stored before the kill

    outcome = fetch(api, name)
    assert outcome.succeeded and outcome.up_to_date, outcome
    assert sorted(v for _, v, live in banked(api, name) if live) == sorted(values)
    assert len(banked(api, name)) == len(values)
    assert len(provenance(api, name)) == len(values)
