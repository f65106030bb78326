"""How long a lookup waits while hashes are added one by one to a big PDQ index.

`python -m bench.index_stall [--base 1e6] [--adds 1e5]`. A lookup thread times every
lookup (distance 31) while the main thread adds hashes singly; every `delta_limit` adds
start a merge of the scanned segment into the chunk tables. "before" merges under the lock
lookups take (the index up to issue 15 item 4, reproduced by holding that lock across
`add`); "after" is `PdqIndex` as it is: merge on a background thread beside the live tables, swap
under the lock. The lookups run until the last merge has been swapped in.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

from takedown.signals.index import PdqIndex


class _MergeUnderLock(PdqIndex):
    """The old behaviour: the merge runs in the adding thread inside the lookups' lock."""

    def _start_merge(self) -> None:
        plan = self._plan_merge()  # the caller holds the (re-entrant) lock throughout
        while plan is not None:
            plan = self._merge(*plan)


def _hex_hashes(rng: np.random.Generator, count: int) -> list[str]:
    raw = rng.bytes(32 * count).hex()
    return [raw[i * 64 : (i + 1) * 64] for i in range(count)]


def measure(
    index: PdqIndex, base: int, adds: int, seed: int = 5, idle_seconds: float = 0.0
) -> dict[str, float]:
    """Lookup times while `adds` hashes are added one by one; with `idle_seconds`, the same lookups
    for as long with no adds at all (the baseline: what the machine itself costs them)."""
    rng = np.random.default_rng(seed)
    banked = _hex_hashes(rng, base)
    started = time.perf_counter()
    index.add(list(range(base)), banked)
    index.settle()
    build_s = time.perf_counter() - started
    queries = _hex_hashes(rng, 256)
    waits: list[float] = []
    done = threading.Event()

    def look() -> None:
        i = 0
        while not done.is_set():
            query = queries[i % len(queries)]
            begun = time.perf_counter()
            index.search(query, 31)
            waits.append(time.perf_counter() - begun)
            i += 1

    looker = threading.Thread(target=look)
    looker.start()
    new = _hex_hashes(rng, adds)
    started = time.perf_counter()
    if idle_seconds:
        time.sleep(idle_seconds)
    else:
        for offset, value in enumerate(new):
            index.add([base + offset], [value])
    add_s = time.perf_counter() - started
    if not idle_seconds:
        index.settle()
    done.set()
    looker.join()
    ms = sorted(w * 1000 for w in waits)
    return {
        "build_s": build_s,
        "add_s": add_s,
        "lookups": len(ms),
        "p50_ms": ms[len(ms) // 2],
        "p99_ms": ms[max(0, int(len(ms) * 0.99) - 1)],
        "max_ms": ms[-1],
    }


def run(base: int = 10**6, adds: int = 10**5) -> list[str]:
    """Markdown rows: worst and p99 lookup time while `adds` single adds reach an index."""
    lines = [
        f"### Lookups while adding {adds:,} hashes one by one to {base:,}",
        "",
        "| merge | lookups | p50 ms | p99 ms | max ms | adds total s | build s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    worst: dict[str, float] = {}
    add_s = 0.0
    for label, index in (
        ("under the lock (before)", _MergeUnderLock()),
        ("beside, then swap (after)", PdqIndex()),
        ("no adds (baseline)", PdqIndex()),
    ):
        row = measure(index, base, adds, idle_seconds=add_s if label.startswith("no") else 0)
        add_s = row["add_s"]
        worst[label] = row["max_ms"]
        lines.append(
            f"| {label} | {row['lookups']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f}"
            f" | {row['max_ms']:.1f} | {row['add_s']:.1f} | {row['build_s']:.1f} |"
        )
        del index
    after, idle = worst["beside, then swap (after)"], worst["no adds (baseline)"]
    lines += [
        "",
        f"Worst lookup while adding: {after:.1f} ms, {after / idle:.1f}x the worst lookup of"
        f" the same lookups for as long with no adds ({idle:.1f} ms); under the lock it was"
        f" {worst['under the lock (before)'] / idle:.1f}x. The baseline row's adds column is"
        " the time it ran.",
    ]
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=float, default=1e6)
    parser.add_argument("--adds", type=float, default=1e5)
    args = parser.parse_args()
    print("\n".join(run(int(args.base), int(args.adds))))


if __name__ == "__main__":
    main()
