"""PDQ match latency and recall at 10^5, 10^6 and 10^7 banked hashes, in the same run.

Compared on the same hashes and queries: our `PdqIndex`, brute force (faiss's exact binary
flat index), and threatexchange's `PDQIndex` (faiss multi-index hashing, 16 tables, exact at
distance 31). Banks are random 256-bit hashes; half the queries are planted near neighbours
(a banked hash with 0 to 31 bits flipped), half are random and should match nothing. Every
method's answer is checked against brute force, so "recall" is the share of brute force's
matches found (exact = 100%). faiss runs on one thread, as a request does.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
from collections.abc import Callable

import faiss
import numpy as np

from takedown.signals.index import PdqIndex

THRESHOLD = 31
Search = Callable[[str], set[int]]


def random_bank(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(count, 32), dtype=np.uint8)


def planted_queries(bank: np.ndarray, count: int, seed: int) -> tuple[list[str], list[int]]:
    """Half near neighbours of banked hashes (target index), half random (target -1)."""
    rng = np.random.default_rng(seed)
    queries: list[str] = []
    targets: list[int] = []
    for i in range(count):
        if i % 2 == 0:
            target = int(rng.integers(len(bank)))
            row = bank[target].copy()
            for bit in rng.choice(256, int(rng.integers(0, THRESHOLD + 1)), replace=False):
                row[bit // 8] ^= np.uint8(1 << (bit % 8))
            queries.append(row.tobytes().hex())
            targets.append(target)
        else:
            queries.append(rng.bytes(32).hex())
            targets.append(-1)
    return queries, targets


def timed(search: Search, queries: list[str]) -> tuple[list[set[int]], list[float]]:
    results, times = [], []
    for query in queries:
        started = time.perf_counter()
        results.append(search(query))
        times.append(time.perf_counter() - started)
    return results, times


def summary(times: list[float]) -> tuple[float, float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.mean(ms), ms[len(ms) // 2], ms[int(len(ms) * 0.99) - 1]


def resident_mib() -> float:
    """This process's resident memory now, after a collection (for before/after deltas)."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def measure_ours(
    hexes: list[str], queries: list[str]
) -> tuple[float, list[set[int]], list[float], float, float]:
    """Build time, answers, latencies, the time to add one hash and have it matchable, and
    the memory the index holds (MiB)."""
    count = len(hexes)
    before = resident_mib()
    started = time.perf_counter()
    index = PdqIndex()
    index.add(list(range(count)), hexes)
    index.settle()  # the tables are built on the index's merge thread
    build = time.perf_counter() - started
    memory = resident_mib() - before
    results, times = timed(lambda q: {i for i, _ in index.search(q, THRESHOLD)}, queries)
    fresh = np.random.default_rng(count + 2).bytes(32).hex()
    started = time.perf_counter()
    index.add([count], [fresh])
    add_ms = (time.perf_counter() - started) * 1000
    assert index.search(fresh, 0) == [(count, 0)]
    return build, results, times, add_ms, memory


def run_size(count: int, query_count: int, with_pytx: bool) -> list[str]:
    bank = random_bank(count, seed=count)
    hexes = [row.tobytes().hex() for row in bank]
    queries, targets = planted_queries(bank, query_count, seed=count + 1)

    # Brute force: faiss's exact flat binary index.
    flat = faiss.IndexBinaryFlat(256)
    flat.add(bank)

    def brute(query: str) -> set[int]:
        vector = np.frombuffer(bytes.fromhex(query), dtype=np.uint8).reshape(1, 32)
        limits, _, labels = flat.range_search(vector, THRESHOLD + 1)
        return set(labels[limits[0] : limits[1]].tolist())

    truth, brute_times = timed(brute, queries)

    ours_build, ours_results, ours_times, add_ms, ours_memory = measure_ours(hexes, queries)

    rows = []
    planted = sum(1 for t in targets if t >= 0)

    def row(
        name: str,
        build: float | None,
        results: list[set[int]],
        times: list[float],
        memory: float | None = None,
    ) -> str:
        mean, p50, p99 = summary(times)
        found = sum(len(r & t) for r, t in zip(results, truth, strict=True))
        expected = sum(len(t) for t in truth)
        extra = sum(len(r - t) for r, t in zip(results, truth, strict=True))
        hits = sum(1 for r, t in zip(results, targets, strict=True) if t >= 0 and t in r)
        build_text = f"{build:.1f} s" if build is not None else "-"
        memory_text = f"{memory:,.0f}" if memory is not None else "-"
        return (
            f"| {count:.0e} | {name} | {mean:.3f} | {p50:.3f} | {p99:.3f} | "
            f"{100 * found / expected:.2f}% ({hits}/{planted} planted) | {extra} | {build_text}"
            f" | {memory_text} |"
        )

    brute_mean = summary(brute_times)[0]
    ours_mean = summary(ours_times)[0]
    rows.append(row("ours: PdqIndex", ours_build, ours_results, ours_times, ours_memory))
    rows.append(row("brute force (faiss flat)", None, truth, brute_times))
    ratios = [f"brute force takes {brute_mean / ours_mean:.1f}x our time"]

    gc.collect()
    if with_pytx:
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        before = resident_mib()
        started = time.perf_counter()
        pytx = PDQIndex(entries=[(h, i) for i, h in enumerate(hexes)])
        pytx_build = time.perf_counter() - started
        pytx_memory = resident_mib() - before
        pytx_results, pytx_times = timed(lambda q: {m.metadata for m in pytx.query(q)}, queries)
        rows.append(
            row("threatexchange PDQIndex", pytx_build, pytx_results, pytx_times, pytx_memory)
        )
        pytx_mean = summary(pytx_times)[0]
        ratios.append(
            f"threatexchange's PDQIndex {pytx_mean / ours_mean:.1f}x (memory"
            f" {pytx_memory / max(ours_memory, 1.0):.1f}x ours)"
        )
        del pytx
        gc.collect()
    rows.append("")
    rows.append(
        f"At {count:.0e}: {', '.join(ratios)}. Adding one hash to it took {add_ms:.1f} ms and"
        f" it was matchable when add() returned. Peak memory so far {rss_gib():.1f} GiB."
    )
    return rows


def run(sizes: list[int], query_count: int, pytx_sizes: set[int]) -> list[str]:
    faiss.omp_set_num_threads(1)
    lines = [
        "## PDQ matching (distance <= 31)",
        "",
        f"{query_count} queries per size, half planted near neighbours. Latency in ms per"
        " query (one query at a time, one thread). Recall: share of brute force's matches"
        " found; extra: matches brute force did not return (none is possible for exact"
        " methods). Build: time to load the bank. Memory: what the process's resident set"
        " grew by while the index was built and still holds (one replica's index; the bank"
        " itself, as strings, is held before and not counted).",
        "",
        "| banked | method | mean ms | p50 ms | p99 ms | recall | extra | build | memory MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for count in sizes:
        rows = run_size(count, query_count, count in pytx_sizes)
        table_rows = [r for r in rows if r.startswith("|")]
        lines += table_rows
        notes += [r for r in rows if r and not r.startswith("|")]
        print(f"matching: {count:.0e} done", file=sys.stderr)
    return [*lines, "", *notes, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1e5,1e6,1e7")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--pytx-sizes", default="1e5,1e6", help="sizes to run threatexchange at")
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    pytx = {int(float(s)) for s in args.pytx_sizes.split(",") if s}
    print("\n".join(run(sizes, args.queries, pytx)))


if __name__ == "__main__":
    main()
