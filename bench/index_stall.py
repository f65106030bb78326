"""How long a lookup waits while hashes are added one by one to a big PDQ index.

`python -m bench.index_stall [--base 1e6] [--adds 1e5]`. A lookup thread times every
lookup (distance 31) while the main thread adds hashes singly; every `delta_limit` adds
start a merge of the scanned segment into the chunk tables. "before" merges under the lock
lookups take (the index up to issue 15 item 4, reproduced by holding that lock across
`add`); "after" is `PdqIndex` as it is: merge on a background thread beside the live tables, swap
under the lock. The lookups run until the last merge has been swapped in.

Two baselines run the same lookups for as long with no adds: on a quiet machine, and beside
another process that keeps one core busy copying arrays (as a merge does). The second is the
floor a 2-core machine gives a lookup thread whenever its other core is taken, whatever the
index does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time

import numpy as np

from takedown.signals.index import PdqIndex, load_compiled


class _MergeUnderLock(PdqIndex):
    """The old behaviour: the merge runs in the adding thread inside the lookups' lock."""

    def _start_merge(self) -> None:
        plan = self._plan_merge()  # the caller holds the (re-entrant) lock throughout
        while plan is not None:
            plan = self._merge(*plan)


def _hex_hashes(rng: np.random.Generator, count: int) -> list[str]:
    raw = rng.bytes(32 * count).hex()
    return [raw[i * 64 : (i + 1) * 64] for i in range(count)]


# Keeps one core busy with memory-bound array copies for argv[1] seconds.
_BUSY_NEIGHBOUR = """
import sys, time
import numpy as np
a = np.ones(40_000_000, dtype=np.int32)
b = np.empty_like(a)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    np.copyto(b, a)
"""


def measure(
    index: PdqIndex,
    base: int,
    adds: int,
    seed: int = 5,
    idle_seconds: float = 0.0,
    busy_neighbour: bool = False,
) -> dict[str, float]:
    """Lookup times while `adds` hashes are added one by one; with `idle_seconds`, the same lookups
    for as long with no adds at all (the baseline: what the machine itself costs them), beside a
    process keeping a core busy if `busy_neighbour`."""
    load_compiled()  # before the clock starts: the service loads it when its banks load
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

    new = _hex_hashes(rng, adds)
    neighbour = None
    if busy_neighbour:
        neighbour = subprocess.Popen([sys.executable, "-c", _BUSY_NEIGHBOUR, str(idle_seconds + 5)])
        time.sleep(1.0)  # its arrays allocated and touched: it is copying when lookups start
    looker = threading.Thread(target=look)
    looker.start()
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
    if neighbour is not None:
        neighbour.kill()
        neighbour.wait()
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
        ("no adds, a core kept busy (baseline)", PdqIndex()),
    ):
        idle = add_s if label.startswith("no") else 0
        row = measure(index, base, adds, idle_seconds=idle, busy_neighbour="busy" in label)
        add_s = row["add_s"]
        worst[label] = row["max_ms"]
        lines.append(
            f"| {label} | {row['lookups']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f}"
            f" | {row['max_ms']:.1f} | {row['add_s']:.1f} | {row['build_s']:.1f} |"
        )
        del index
    after, idle = worst["beside, then swap (after)"], worst["no adds (baseline)"]
    busy = worst["no adds, a core kept busy (baseline)"]
    lines += [
        "",
        f"Worst lookup while adding: {after:.1f} ms, {after / idle:.1f}x the worst lookup of"
        f" the same lookups for as long with no adds ({idle:.1f} ms) and {after / busy:.1f}x"
        f" their worst beside a busy core ({busy:.1f} ms); under the lock it was"
        f" {worst['under the lock (before)'] / idle:.1f}x. The baseline rows' adds column is"
        " the time they ran.",
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
