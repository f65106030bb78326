"""An HMA client against real `takedown serve` processes: what one process banks through
`/hma`, another finds at its very next lookup (HMA would wait for its next index build)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@pytest.fixture
def servers(tmp_path: Path, database_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    env = {
        "TAKEDOWN_DATABASE_URL": database_url,
        "TAKEDOWN_DATA_DIR": str(tmp_path / "data"),
        "TAKEDOWN_HMA_OPEN_FROM": "127.0.0.0/8",
    }
    first = ServerProcess(tmp_path, env)
    second = ServerProcess(tmp_path, env, args=["--no-worker"])
    first.start()
    second.start()
    yield first, second
    second.stop()
    first.stop()


def test_a_hash_banked_through_one_process_is_found_by_the_next_lookup_on_another(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    writer, reader = servers
    # Coop's default HMA url ends in a slash: its paths arrive doubled.
    hma_writer = f"{writer.url}/hma/"
    hma_reader = f"{reader.url}/hma"
    assert httpx.get(f"{hma_reader}/status").text == "I-AM-ALIVE"
    lookup = {"signal_type": "pdq", "signal": PDQ}
    assert httpx.get(f"{hma_reader}/m/lookup", params=lookup).json() == {}  # index loaded
    created = httpx.post(f"{hma_writer}/c/banks", json={"name": "LIVE_BANK"})
    assert created.status_code == 201, created.text
    added = httpx.post(f"{hma_writer}/c/bank/LIVE_BANK/signal", json={"pdq": PDQ})
    assert added.status_code == 200, added.text
    found = httpx.get(f"{hma_reader}/m/lookup", params=lookup)
    assert found.json() == {"LIVE_BANK": [{"bank_content_id": added.json()["id"], "distance": "0"}]}
