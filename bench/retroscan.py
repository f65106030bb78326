"""Retroactive scan: a hash newly added to a bank, looked up among every stored content signal.

A `bank.scan` job (services/matching.py, scan_new_bank_hashes) first brings the process's
matcher up to date with the database (Matcher.refresh), then asks it for the stored items
near each new bank hash (Matcher.find_stored). This section seeds N content items with one
PDQ signal each straight into a fresh SQLite database (bulk SQL, not the API: 10^6
registrations would measure intake, not the scan), then times both steps. Baseline: NumPy
brute force over the same hashes, already in memory (XOR and popcount over every row),
which is what a scan without an index costs per hash. Half the new bank hashes are planted
within 16 bits of a stored one; the scan must find every item the brute force finds.
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from bench import http_load

QUERIES = 100
THRESHOLD = 31


def _near(value: bytes, rng: np.random.Generator, bits: int) -> bytes:
    flipped = bytearray(value)
    for b in rng.choice(256, size=bits, replace=False):
        flipped[b // 8] ^= 1 << (b % 8)
    return bytes(flipped)


def seed(url: str, hashes: np.ndarray) -> None:
    from takedown.store.models import Account, ContentItem, ContentSignal

    engine = create_engine(url)
    now = datetime.now(UTC)
    chunk = 50_000
    with engine.begin() as conn:
        conn.execute(insert(Account).values(account_id="bench", created_at=now))
        for start in range(0, len(hashes), chunk):
            stop = min(start + chunk, len(hashes))
            conn.execute(
                insert(ContentItem),
                [
                    {
                        "id": f"itm_{i}",
                        "content_id": f"c-{i}",
                        "account_id": "bench",
                        "state": "visible",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(start, stop)
                ],
            )
            conn.execute(
                insert(ContentSignal),
                [
                    {
                        "item_id": f"itm_{i}",
                        "signal": "pdq",
                        "value": hashes[i].tobytes().hex(),
                        "quality": 100,
                    }
                    for i in range(start, stop)
                ],
            )
    engine.dispose()


def measure(count: int, workdir: Path) -> str:
    from takedown.services.match_index import Matcher, MediaQuery

    rng = np.random.default_rng(15)
    hashes = rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
    queries = [
        _near(hashes[rng.integers(count)].tobytes(), rng, 16)
        if q % 2 == 0
        else secrets.token_bytes(32)
        for q in range(QUERIES)
    ]
    with http_load.database("sqlite", workdir, f"scan{count}") as url:
        env = http_load.takedown_env(url, workdir, 0, 1)
        subprocess.run(
            [*http_load.TAKEDOWN, "db", "upgrade"], env=env, check=True, capture_output=True
        )
        t0 = time.perf_counter()
        seed(url, hashes)
        seeded_s = time.perf_counter() - t0
        engine = create_engine(url)
        matcher = Matcher(THRESHOLD, 50)
        with Session(engine) as session:
            t0 = time.perf_counter()
            loaded = matcher.refresh(session)
            load_s = time.perf_counter() - t0
        engine.dispose()
    found: list[set[str]] = []
    t0 = time.perf_counter()
    for q in queries:
        hits = matcher.find_stored(MediaQuery.of_hash("pdq", q.hex()), pdq_threshold=THRESHOLD)
        found.append({m.item_id for m in hits})
    ours_ms = (time.perf_counter() - t0) * 1000 / QUERIES
    popcount = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(axis=1)
    brute: list[set[str]] = []
    t0 = time.perf_counter()
    for q in queries:
        distances = popcount[np.bitwise_xor(hashes, np.frombuffer(q, dtype=np.uint8))].sum(axis=1)
        brute.append({f"itm_{i}" for i in np.flatnonzero(distances <= THRESHOLD)})
    brute_ms = (time.perf_counter() - t0) * 1000 / QUERIES
    expected = sum(len(b) for b in brute)
    recall = sum(len(f & b) for f, b in zip(found, brute, strict=True))
    return (
        f"| {count:.0e} | {loaded} | {seeded_s:.1f} s | {load_s:.1f} s | {ours_ms:.3f}"
        f" | {brute_ms:.2f} | {brute_ms / ours_ms:.1f}x | {recall}/{expected} |"
    )


def run(quick: bool = False) -> list[str]:
    sizes = [10_000, 100_000] if quick else [100_000, 1_000_000]
    with tempfile.TemporaryDirectory(prefix="takedown-bench-scan-") as tmp:
        rows = [measure(n, Path(tmp)) for n in sizes]
    return [
        "## Retroactive scan of stored signals",
        "",
        f"One PDQ signal per stored item, seeded by bulk SQL into SQLite. Load: Matcher.refresh"
        f" reading every row into the index (once per process; later scans read only new rows)."
        f" Then {QUERIES} new bank hashes (half planted 16 bits from a stored one) looked up with"
        f" find_stored at distance <= {THRESHOLD}, ms per hash. Baseline: NumPy brute force"
        " over the same hashes in memory. Found: items the scan found of those brute force"
        " found.",
        "",
        "| stored | indexed | seed | load | scan ms/hash | brute ms/hash | speed-up | found |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(run(quick="--quick" in sys.argv)))
