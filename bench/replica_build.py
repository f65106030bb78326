"""Building one process's match index: time and memory at 10^6 to 10^7 banked hashes.

`python -m bench.replica_build [--sizes 1e6,1e7] [--refresh-rows 1e6]`. Each figure comes
from a fresh child process, so that peak memory (ru_maxrss) is that build's alone:

- from arrays: `PdqIndex.add_words` on random hashes, beside threatexchange's `PDQIndex`
  built from the same hashes (its constructor takes hex strings);
- from PostgreSQL: `Matcher.refresh` filling a replica from `bank_hashes` rows in a scratch
  database, beside reading the same rows raw with psycopg in batches and dropping them
  (the floor for any replica that reads its hashes from the database).

Memory is the child's peak resident set less what it held before the build began (the
interpreter, the imports and the input arrays or strings).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from typing import Any

import numpy as np

POSTGRES_ADMIN_URL = os.environ.get(
    "TAKEDOWN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _reset_peak() -> None:
    """Start the kernel's peak-resident count (VmHWM) afresh from now."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _now_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _words(count: int) -> np.ndarray:
    return np.random.default_rng(count).integers(0, 2**64, size=(count, 4), dtype=np.uint64)


def _child(kind: str, count: int, url: str) -> dict[str, float]:
    """One measurement, in this (fresh) process."""
    if kind in ("ours", "pytx"):
        words = _words(count)
        if kind == "pytx":
            from threatexchange.signal_type.pdq.pdq_index import PDQIndex

            hexes = words.astype(">u8").tobytes().hex()
            entries = [(hexes[i * 64 : (i + 1) * 64], i) for i in range(count)]
            del hexes, words
            gc.collect()
            before = _now_mib()
            _reset_peak()
            started = time.perf_counter()
            index: Any = PDQIndex(entries=entries)
        else:
            from takedown.signals.index import PdqIndex

            before = _now_mib()
            _reset_peak()
            started = time.perf_counter()
            index = PdqIndex()
            index.add_words(np.arange(count, dtype=np.int64), words)
            index.settle()
        seconds = time.perf_counter() - started
        return {"s": seconds, "peak_mib": _peak_mib() - before, "held_mib": _now_mib() - before}
    from sqlalchemy import create_engine

    if kind == "raw":
        import psycopg

        before = _now_mib()
        _reset_peak()
        started = time.perf_counter()
        dsn = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn) as connection, connection.cursor(name="all") as cursor:
            cursor.itersize = 10_000
            cursor.execute("SELECT id, signal, value, bank_id FROM bank_hashes ORDER BY id")
            rows = 0
            while batch := cursor.fetchmany(10_000):
                rows += len(batch)
        seconds = time.perf_counter() - started
        assert rows == count, (rows, count)
        return {"s": seconds, "peak_mib": _peak_mib() - before, "held_mib": _now_mib() - before}
    from sqlalchemy.orm import Session

    from takedown.services.match_index import Matcher

    engine = create_engine(url)
    matcher = Matcher()
    before = _now_mib()
    _reset_peak()
    started = time.perf_counter()
    with Session(engine) as session:
        added = matcher.refresh(session)
    # getattr: the same child measures an older checkout (PYTHONPATH) whose index merged
    # inside add and had no settle.
    getattr(matcher._banks.pdq, "settle", lambda: None)()
    seconds = time.perf_counter() - started
    assert added == count, (added, count)
    return {"s": seconds, "peak_mib": _peak_mib() - before, "held_mib": _now_mib() - before}


def _measure(kind: str, count: int, url: str = "") -> dict[str, float]:
    args = [sys.executable, "-m", "bench.replica_build", "--child", kind, "--count", str(count)]
    done = subprocess.run(
        [*args, "--url", url], capture_output=True, text=True, check=True, env=os.environ
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _scratch_database(count: int) -> tuple[str, str]:
    """A migrated scratch database holding one bank of `count` PDQ hashes: (url, name)."""
    from sqlalchemy import create_engine, text

    from takedown.store.database import make_engine, upgrade

    name = f"takedown_bench_replica_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    import psycopg

    words = _words(count)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        connection.execute(
            "INSERT INTO banks (id, name, action, child_safety, created_at, created_by,"
            " suppression, enabled_ratio) VALUES ('bench', 'bench', 'block', true, now(),"
            " 'bench', false, 1.0)"
        )
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY bank_hashes (bank_id, signal, value, digest, added_at, added_by) FROM STDIN"
            ) as copy,
        ):
            for start in range(0, count, 100_000):
                hexes = words[start : start + 100_000].astype(">u8").tobytes().hex()
                block = [hexes[i : i + 64] for i in range(0, len(hexes), 64)]
                copy.write(
                    "".join(f"bench\tpdq\t{h}\t{h}\t2026-01-01 00:00:00+00\tbench\n" for h in block)
                )
        connection.execute("ANALYZE bank_hashes")
    return url, name


def _drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _row(label: str, count: int, m: dict[str, float], base: dict[str, float]) -> str:
    return (
        f"| {count:.0e} | {label} | {m['s']:.1f} | {m['s'] / base['s']:.2f}x"
        f" | {m['peak_mib']:,.0f} | {m['held_mib']:,.0f}"
        f" | {m['peak_mib'] / base['peak_mib']:.2f}x |"
    )


def run(sizes: list[int], refresh_rows: int) -> list[str]:
    lines = [
        "## Building one replica's index",
        "",
        "Each figure from a fresh process; memory is its peak resident set above what it held"
        " before the build (input included), and what it still held after. Ratios are"
        " against the baseline row above them, measured in the same run; a raw read holds"
        " nothing, so the refresh row's memory ratio says little (see below it).",
        "",
        "| hashes | build | s | time ratio | peak MiB | held MiB | memory ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for count in sizes:
        pytx = _measure("pytx", count)
        ours = _measure("ours", count)
        lines.append(_row("threatexchange PDQIndex from hex (baseline)", count, pytx, pytx))
        lines.append(_row("ours: PdqIndex.add_words from arrays", count, ours, pytx))
        print(f"replica_build: arrays {count:.0e} done", file=sys.stderr)
    if refresh_rows:
        url, name = _scratch_database(refresh_rows)
        try:
            raw = _measure("raw", refresh_rows, url)
            refresh = _measure("refresh", refresh_rows, url)
        finally:
            _drop_database(name)
        floor = _measure("ours", refresh_rows)
        lines.append(_row("psycopg reading the rows (baseline)", refresh_rows, raw, raw))
        lines.append(_row("ours: Matcher.refresh from PostgreSQL", refresh_rows, refresh, raw))
        lines += [
            "",
            f"Refreshing a replica from {refresh_rows:,} PostgreSQL rows held"
            f" {refresh['held_mib'] / floor['held_mib']:.2f}x the memory of a bare `PdqIndex`"
            f" of as many hashes built from arrays ({floor['held_mib']:,.0f} MiB, measured"
            " in this run): the rest is the bank entries and what the rows cost in passing.",
        ]
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1e6,1e7")
    parser.add_argument("--refresh-rows", type=float, default=1e6)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.count, args.url)))
        return
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    print("\n".join(run(sizes, int(args.refresh_rows))))


if __name__ == "__main__":
    main()
