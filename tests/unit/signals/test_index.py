"""The PDQ index is exact: it returns what brute force returns, through adds and removes."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from takedown.signals.index import ExactIndex, PdqIndex, hashes_to_words


def random_hashes(rng: np.random.Generator, count: int) -> list[str]:
    return [rng.bytes(32).hex() for _ in range(count)]


def near(rng: np.random.Generator, hex_hash: str, bits: int) -> str:
    raw = bytearray(bytes.fromhex(hex_hash))
    for bit in rng.choice(256, bits, replace=False):
        raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex()


def brute_force(
    ids: list[int], hashes: list[str], query: str, max_distance: int
) -> list[tuple[int, int]]:
    words = hashes_to_words(hashes)
    distances = np.bitwise_count(words ^ hashes_to_words([query])[0]).sum(axis=1)
    best: dict[int, int] = {}
    for i in np.flatnonzero(distances <= max_distance):
        identifier, distance = ids[i], int(distances[i])
        best[identifier] = min(distance, best.get(identifier, distance))
    return sorted(best.items(), key=lambda pair: (pair[1], pair[0]))


@pytest.mark.parametrize("delta_limit", [50, 4096])
def test_search_equals_brute_force_through_adds_and_removes(delta_limit: int) -> None:
    rng = np.random.default_rng(7)
    index = PdqIndex(delta_limit=delta_limit)
    ids: list[int] = []
    hashes: list[str] = []
    # Clusters around a few centres so that many hashes lie within the distances searched.
    centres = random_hashes(rng, 20)
    next_id = 0
    for batch in range(12):
        size = int(rng.integers(1, 600))
        new = [
            near(rng, centres[int(rng.integers(20))], int(rng.integers(0, 40))) for _ in range(size)
        ]
        new_ids = list(range(next_id, next_id + size))
        next_id += size
        index.add(new_ids, new)
        ids += new_ids
        hashes += new
        if batch % 3 == 2:
            gone = set(rng.choice(ids, size=len(ids) // 5, replace=False).tolist())
            index.remove(gone)
            kept = [(i, h) for i, h in zip(ids, hashes, strict=True) if i not in gone]
            ids, hashes = [i for i, _ in kept], [h for _, h in kept]
        for max_distance in (0, 8, 31, 45):
            for centre in centres[:5]:
                query = near(rng, centre, 10)
                assert index.search(query, max_distance) == brute_force(
                    ids, hashes, query, max_distance
                )
    assert len(index) == len(ids)


def test_large_index_is_exact_for_planted_neighbours() -> None:
    rng = np.random.default_rng(8)
    count = 200_000
    hashes = random_hashes(rng, count)
    index = PdqIndex()
    index.add(list(range(count)), hashes)
    for target in rng.choice(count, 50, replace=False).tolist():
        query = near(rng, hashes[target], int(rng.integers(0, 32)))
        found = index.search(query, 31)
        assert found == brute_force(list(range(count)), hashes, query, 31)
        assert target in [i for i, _ in found]


def test_an_added_hash_is_matchable_at_once_and_gone_after_removal() -> None:
    rng = np.random.default_rng(9)
    index = PdqIndex()
    index.add(list(range(10_000)), random_hashes(rng, 10_000))
    fresh = rng.bytes(32).hex()
    index.add([99_999], [fresh])
    assert index.search(near(rng, fresh, 5), 31) == [(99_999, 5)]
    index.remove([99_999])
    assert index.search(fresh, 31) == []


def test_one_id_with_several_hashes_is_reported_once_at_its_nearest() -> None:
    index = PdqIndex()
    base = "0" * 64
    index.add([1, 1, 2], [base, "f" + "0" * 63, "ff" + "0" * 62])
    assert index.search(base, 31) == [(1, 0), (2, 8)]
    index.remove([1])
    assert index.search(base, 31) == [(2, 8)]


def test_search_many_keeps_query_order() -> None:
    index = PdqIndex()
    index.add([1, 2], ["0" * 64, "f" * 64])
    assert index.search_many(["F" * 64, "0" * 64], 0) == [[(2, 0)], [(1, 0)]]


def test_malformed_hashes_are_refused() -> None:
    index = PdqIndex()
    with pytest.raises(ValueError):
        index.add([1], ["xyz"])
    with pytest.raises(ValueError):
        index.add([1, 2], ["0" * 64])
    with pytest.raises(ValueError):
        index.search("0" * 63 + " ", 31)
    assert len(index) == 0


def test_concurrent_adds_and_searches_stay_consistent() -> None:
    rng = np.random.default_rng(10)
    index = PdqIndex(delta_limit=100)
    batches = [random_hashes(rng, 250) for _ in range(8)]
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            index.add(list(range(number * 1000, number * 1000 + 250)), batches[number])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for batch in batches:
                index.search(batch[0], 31)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(index) == 2000
    for number, batch in enumerate(batches):
        assert index.search(batch[7], 0) == [(number * 1000 + 7, 0)]


def test_exact_index_looks_up_digests() -> None:
    index = ExactIndex()
    index.add([1, 2, 3], ["AB" * 16, "ab" * 16, "cd" * 16])
    assert index.search("ab" * 16) == [1, 2]
    index.remove([1])
    assert index.search("AB" * 16) == [2]
    assert index.search("ef" * 16) == []
    assert len(index) == 2


def test_removing_most_hashes_compacts_and_stays_exact() -> None:
    rng = np.random.default_rng(11)
    hashes = random_hashes(rng, 3000)
    index = PdqIndex(delta_limit=100)
    index.add(list(range(3000)), hashes)
    index.remove(range(0, 2500))
    assert len(index) == 500
    assert index._count == 500  # compacted: removed slots are gone, not just hidden
    for target in (2500, 2750, 2999):
        query = near(rng, hashes[target], 12)
        assert index.search(query, 31) == brute_force(
            list(range(2500, 3000)), hashes[2500:], query, 31
        )
    index.add([5000], [hashes[0]])
    assert index.search(hashes[0], 0) == [(5000, 0)]


def test_lookups_and_removals_proceed_while_a_merge_is_paused_beside_the_live_tables() -> None:
    rng = np.random.default_rng(11)
    index = PdqIndex(delta_limit=64)
    old = random_hashes(rng, 64)
    index.add(list(range(64)), old)
    paused, release = threading.Event(), threading.Event()

    def pause() -> None:
        paused.set()
        assert release.wait(30), "test never released the merge"

    index._before_swap = pause
    trigger = random_hashes(rng, 1)
    adder = threading.Thread(target=index.add, args=([64], trigger))
    adder.start()
    assert paused.wait(30), "65th add should have started a merge"
    # The merge holds no lock the lookup needs: these return while it is paused.
    assert index.search(old[3], 0) == [(3, 0)]
    assert index.search(trigger[0], 0) == [(64, 0)]
    later = random_hashes(rng, 5)
    index.add([100, 101, 102, 103, 104], later)  # no second merge while one is in flight
    index.remove([3, 101])
    assert index.search(later[0], 0) == [(100, 0)]
    assert index.search(old[3], 0) == []
    release.set()
    adder.join(30)
    assert not adder.is_alive()
    index._before_swap = None
    # The removal made during the merge survived the swap; everything else is findable.
    assert index.search(old[3], 0) == []
    assert index.search(later[1], 0) == []
    assert index.search(old[4], 0) == [(4, 0)]
    assert index.search(trigger[0], 0) == [(64, 0)]
    assert index.search(later[4], 0) == [(104, 0)]
    assert len(index) == 64 + 1 + 5 - 2


def test_a_compaction_during_a_merge_discards_the_stale_tables() -> None:
    rng = np.random.default_rng(12)
    index = PdqIndex(delta_limit=20)
    hashes = random_hashes(rng, 61)
    index.add(list(range(40)), hashes[:40])
    paused, release = threading.Event(), threading.Event()

    def pause() -> None:
        paused.set()
        assert release.wait(30)

    index._before_swap = pause
    adder = threading.Thread(target=index.add, args=(list(range(40, 61)), hashes[40:]))
    adder.start()
    assert paused.wait(30)
    index._before_swap = None
    index.remove(range(0, 45))  # dead outnumber the living: renumbers every slot
    release.set()
    adder.join(30)
    for identifier in range(61):
        expected = [] if identifier < 45 else [(identifier, 0)]
        assert index.search(hashes[identifier], 0) == expected
    assert len(index) == 16


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 400), st.integers(1, 40)),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 2**32 - 1),
)
def test_matches_brute_force_with_merges_overlapping_adds_and_removes(
    steps: list[tuple[bool, int, int]], seed: int
) -> None:
    """Each merge is paused while the next step (an add or a remove) runs beside it."""
    rng = np.random.default_rng(seed)
    index = PdqIndex(delta_limit=16)
    banked: dict[int, str] = {}
    pending: list[threading.Event] = []

    def pause() -> None:
        gate = threading.Event()
        pending.append(gate)
        gate.wait(30)

    index._before_swap = pause
    threads: list[threading.Thread] = []
    next_id = 0
    for is_add, start, size in steps:
        if is_add:
            ids = list(range(next_id, next_id + size))
            next_id += size
            new = random_hashes(rng, size)
            banked.update(zip(ids, new, strict=True))
            thread = threading.Thread(target=index.add, args=(ids, new))
            thread.start()
            threads.append(thread)
            thread.join(0.05)  # returns at once unless it is merging (paused)
        else:
            gone = list(range(start, start + size))
            index.remove(gone)
            for identifier in gone:
                banked.pop(identifier, None)
        for query_id in list(banked)[:5]:
            assert (query_id, 0) in index.search(banked[query_id], 8)
        while pending:
            pending.pop().set()
    index._before_swap = None
    while pending or any(t.is_alive() for t in threads):
        while pending:
            pending.pop().set()
        for thread in threads:
            thread.join(0.01)
    ids = list(banked)
    hashes = [banked[i] for i in ids]
    for query in [*hashes[:10], *random_hashes(rng, 3)]:
        probe = near(rng, query, 6)
        assert index.search(probe, 31) == brute_force(ids, hashes, probe, 31)
    assert len(index) == len(banked)


def test_an_add_returns_while_its_merge_runs_and_settle_waits_for_the_swap() -> None:
    rng = np.random.default_rng(13)
    index = PdqIndex(delta_limit=32)
    hashes = random_hashes(rng, 200)
    index.add(list(range(100)), hashes[:100])  # the first load: tables built whole
    assert index.settle(30)
    assert (index.rebuilds, index.merges) == (1, 0)
    paused, release = threading.Event(), threading.Event()

    def pause() -> None:
        paused.set()
        assert release.wait(30)

    index._before_swap = pause
    index.add(list(range(100, 140)), hashes[100:140])  # returns: the merge is not its work
    assert paused.wait(30)
    assert not index.settle(0.05)
    index.add(list(range(140, 200)), hashes[140:200])  # more while the merge is paused
    assert index.search(hashes[150], 0) == [(150, 0)]
    index._before_swap = None
    release.set()
    assert index.settle(30)
    # The paused merge, then one more for what came meanwhile: nothing built whole again.
    assert (index.rebuilds, index.merges) == (1, 2)
    assert index._tabled() == 200
    for identifier in (0, 120, 199):
        assert index.search(hashes[identifier], 0) == [(identifier, 0)]
    index.remove([120, 199])
    assert index.search(hashes[120], 0) == [] and len(index) == 198


def test_add_words_takes_arrays_and_refuses_a_bad_shape() -> None:
    rng = np.random.default_rng(14)
    hashes = random_hashes(rng, 10)
    index = PdqIndex()
    index.add_words(np.arange(10, dtype=np.int64), hashes_to_words(hashes))
    assert index.search(hashes[4], 0) == [(4, 0)]
    with pytest.raises(ValueError):
        index.add_words(np.arange(3, dtype=np.int64), np.zeros((3, 2), dtype=np.uint64))


@pytest.mark.parametrize("count, added", [(5_000, 1), (5_000, 700), (40_000, 4_097)])
def test_a_merge_gives_the_tables_a_rebuild_would(count: int, added: int) -> None:
    """The compiled merge (index_compiled.merge_tables, merge_ids) against `build` over the
    same slots: the same bucket starts, the same slots in every bucket, the same id lists."""
    from takedown.signals.index import _ChunkTables, ideal_width

    rng = np.random.default_rng(count + added)
    words = hashes_to_words(random_hashes(rng, count + added))
    # Repeated ids, old and new, so that equal ids from both sides meet in merge_ids.
    ids = rng.integers(0, (count + added) // 3, size=count + added).astype(np.int64)
    width = ideal_width(count)
    merged = _ChunkTables.build(words[:count], width, ids[:count]).merged(
        words[count:], ids[count:]
    )
    rebuilt = _ChunkTables.build(words, width, ids)
    assert merged.count == rebuilt.count == count + added
    assert np.array_equal(merged.offsets, rebuilt.offsets)
    total = count + added
    for chunk, w in enumerate(rebuilt.widths):
        base = rebuilt.table_base[chunk]
        starts = rebuilt.offsets[base : base + (1 << w) + 1]
        for low, high in zip(
            starts[:-1][starts[1:] > starts[:-1]], starts[1:][starts[1:] > starts[:-1]], strict=True
        ):
            assert sorted(merged.slots[low:high]) == sorted(rebuilt.slots[low:high])
        assert chunk * total <= starts[0] and starts[-1] == (chunk + 1) * total
    assert np.array_equal(merged.id_keys, rebuilt.id_keys)
    for key in np.unique(ids):
        low, high = (
            np.searchsorted(merged.id_keys, key),
            np.searchsorted(merged.id_keys, key, "right"),
        )
        assert sorted(merged.id_slots[low:high]) == sorted(rebuilt.id_slots[low:high])
