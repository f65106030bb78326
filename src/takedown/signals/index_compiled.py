"""The loops of `PdqIndex` that must not share the GIL, compiled with numba; imported on first
use (signals.index.load_compiled_soon).

- `near`, a lookup's inner loop: probe the chunk tables and verify, in one call.
- `merge_tables` and `merge_ids`, the merge of the scanned segment into the tables.

Why compiled, and why a lookup keeps the GIL (numba's default, `nogil=False`): written in
numpy, a lookup was a dozen array operations, and numpy lets the GIL go in each one over 500
elements. Each time it did, a busy thread in the process (the one adding hashes, say) could
take it and keep it for up to a switch interval (5 ms). Compiled, the probe-and-verify loop is
one call that keeps the GIL for the 0.1-0.3 ms it takes. Measured back to back (10^5 single
adds into 10^6, a lookup thread beside them): lookup p50 0.63-0.83 ms -> 0.38 ms, p99
2.5-4.4 ms -> 0.72 ms, and twice the lookups in the same time.

A merge does the opposite (`nogil=True`): in numpy it took the GIL back after each of some 150
operations; compiled, the merge of every chunk is one call that lets the GIL go throughout.

`cache=True` keeps the machine code beside this file, so only the first load after
an install compiles (a few seconds); `warm_up` loads every variant at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray


@intrinsic
def _popcount(typingctx: Any, value: Any) -> Any:
    """One `popcnt` instruction (LLVM's ctpop) on a 64-bit word."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


# The intrinsic's Python signature is its typing hook's; called in compiled code it takes a word.
_popcnt: Any = _popcount


@njit(cache=True)
def _distance(words: Any, slot: int, query: Any) -> int:
    return int(
        _popcnt(words[slot, 0] ^ query[0])
        + _popcnt(words[slot, 1] ^ query[1])
        + _popcnt(words[slot, 2] ^ query[2])
        + _popcnt(words[slot, 3] ^ query[3])
    )


@njit(cache=True)
def _keep(
    words: Any,
    alive: Any,
    slot: int,
    query: Any,
    max_distance: int,
    found: Any,
    distances: Any,
    count: int,
) -> Any:
    """`slot` appended to (found, distances) if it is live and near enough; the arrays double
    when full."""
    if alive[slot]:
        distance = _distance(words, slot, query)
        if distance <= max_distance:
            if count == len(found):
                found = np.concatenate((found, np.empty(count, dtype=np.int64)))
                distances = np.concatenate((distances, np.empty(count, dtype=np.int64)))
            found[count] = slot
            distances[count] = distance
            count += 1
    return found, distances, count


@njit(cache=True)
def _near(
    offsets: Any,
    table_slots: Any,
    masks: Any,
    mask_ends: Any,
    keys: Any,
    bases: Any,
    words: Any,
    alive: Any,
    query: Any,
    max_distance: int,
    scan_first: int,
    scan_end: int,
) -> Any:
    found = np.empty(64, dtype=np.int64)
    distances = np.empty(64, dtype=np.int64)
    count = 0
    first_mask = 0
    for chunk in range(len(keys)):
        for m in range(first_mask, mask_ends[chunk]):
            bucket = (masks[m] ^ keys[chunk]) + bases[chunk]
            for position in range(offsets[bucket], offsets[bucket + 1]):
                found, distances, count = _keep(
                    words,
                    alive,
                    table_slots[position],
                    query,
                    max_distance,
                    found,
                    distances,
                    count,
                )
        first_mask = mask_ends[chunk]
    for slot in range(scan_first, scan_end):
        found, distances, count = _keep(
            words, alive, slot, query, max_distance, found, distances, count
        )
    return found[:count], distances[:count]


def near(
    offsets: NDArray[np.signedinteger[Any]],
    table_slots: NDArray[np.int32],
    masks: NDArray[np.int64],
    mask_ends: NDArray[np.int64],
    keys: NDArray[np.int64],
    bases: NDArray[np.int64],
    words: NDArray[np.uint64],
    alive: NDArray[np.bool_],
    query: NDArray[np.uint64],
    max_distance: int,
    scan_first: int,
    scan_end: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(slots, distances) of the live slots within `max_distance` of `query` (4 words).

    Candidates are the tabled slots in the buckets `(masks[m] ^ keys[c]) + bases[c]` of
    `offsets` (chunk c's masks end at `mask_ends[c]`), then every slot in [scan_first,
    scan_end). A slot near the query in two chunks is listed twice; the caller keeps one.
    """
    found, distances = _near(
        offsets,
        table_slots,
        masks,
        mask_ends,
        keys,
        bases,
        words,
        alive,
        query,
        max_distance,
        scan_first,
        scan_end,
    )
    return found, distances


@njit(cache=True, nogil=True)
def _merge_chunk(
    old_table: Any,
    old_slots: Any,
    old_base: int,
    keys: Any,
    new_slots: Any,
    table: Any,
    slots: Any,
    base: int,
) -> None:
    buckets = len(old_table) - 1
    added = 0
    for bucket in range(buckets + 1):
        # A bucket starts after the new slots of the buckets before it (`keys` is sorted).
        while added < len(keys) and keys[added] < bucket:
            added += 1
        table[bucket] = old_table[bucket] - old_base + added + base
    # Runs of older slots copied whole, each new slot at the end of its bucket's run.
    copied = 0
    written = 0
    for j in range(len(keys)):
        end = old_table[keys[j] + 1] - old_base
        run = end - copied
        slots[written : written + run] = old_slots[copied:end]
        written += run
        copied = end
        slots[written] = new_slots[j]
        written += 1
    slots[written:] = old_slots[copied:]


@njit(cache=True)
def _chunk_key(words: Any, row: int, start: int, width: int) -> Any:
    word = start // 64
    offset = start % 64
    if offset + width <= 64:
        shifted = words[row, word] >> np.uint64(64 - offset - width)
        return np.int64(shifted & np.uint64((1 << width) - 1))
    high_bits = 64 - offset
    low_bits = width - high_bits
    high = (words[row, word] & np.uint64((1 << high_bits) - 1)) << np.uint64(low_bits)
    return np.int64(high | (words[row, word + 1] >> np.uint64(64 - low_bits)))


@njit(cache=True, nogil=True)
def _merge_tables(
    old_offsets: Any,
    old_slots: Any,
    old_count: int,
    new_words: Any,
    widths: Any,
    starts: Any,
    bases: Any,
    offsets: Any,
    slots: Any,
) -> None:
    added = len(new_words)
    total = old_count + added
    keys = np.empty(added, dtype=np.int64)
    for chunk in range(len(widths)):
        width = widths[chunk]
        for row in range(added):
            keys[row] = _chunk_key(new_words, row, starts[chunk], width)
        order = np.argsort(keys)
        end = bases[chunk] + (1 << width) + 1
        _merge_chunk(
            old_offsets[bases[chunk] : end],
            old_slots[chunk * old_count : (chunk + 1) * old_count],
            chunk * old_count,
            keys[order],
            (order + old_count).astype(np.int32),
            offsets[bases[chunk] : end],
            slots[chunk * total : (chunk + 1) * total],
            chunk * total,
        )


def merge_tables(
    old_offsets: NDArray[np.signedinteger[Any]],
    old_slots: NDArray[np.int32],
    old_count: int,
    new_words: NDArray[np.uint64],
    widths: NDArray[np.int64],
    starts: NDArray[np.int64],
    bases: NDArray[np.int64],
    offsets: NDArray[np.signedinteger[Any]],
    slots: NDArray[np.int32],
) -> None:
    """Every chunk's table (`_ChunkTables`' layout: chunk c's bucket starts at `bases[c]` in
    `offsets`, its slots at c * count in `slots`) with the slots old_count.. of `new_words`
    added, each at the end of its bucket: `offsets` and `slots` get the result."""
    _merge_tables(
        old_offsets, old_slots, old_count, new_words, widths, starts, bases, offsets, slots
    )


@njit(cache=True, nogil=True)
def _merge_ids(
    old_keys: Any, old_slots: Any, new_keys: Any, new_slots: Any, keys: Any, slots: Any
) -> None:
    i = 0
    j = 0
    for out in range(len(keys)):
        # Equal ids keep the older slot first, as a stable sort would.
        if j == len(new_keys) or (i < len(old_keys) and old_keys[i] <= new_keys[j]):
            keys[out] = old_keys[i]
            slots[out] = old_slots[i]
            i += 1
        else:
            keys[out] = new_keys[j]
            slots[out] = new_slots[j]
            j += 1


def merge_ids(
    old_keys: NDArray[np.int64],
    old_slots: NDArray[np.int64],
    new_keys: NDArray[np.int64],
    new_slots: NDArray[np.int64],
    keys: NDArray[np.int64],
    slots: NDArray[np.int64],
) -> None:
    """Two id-sorted (id, slot) lists merged into `keys` and `slots`, still sorted by id."""
    _merge_ids(old_keys, old_slots, new_keys, new_slots, keys, slots)


def warm_up() -> None:
    """Compile (or load from the cache) both table widths' machine code (index.load_compiled
    calls it once a process)."""
    words = np.zeros((1, 4), dtype=np.uint64)
    for offset_type in (np.int32, np.int64):
        near(
            np.zeros(2, dtype=offset_type),
            np.zeros(0, dtype=np.int32),
            np.zeros(1, dtype=np.int64),
            np.ones(1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
            words,
            np.ones(1, dtype=bool),
            words[0],
            31,
            0,
            1,
        )
        layout = np.asarray([16], dtype=np.int64), np.zeros(1, dtype=np.int64)
        merge_tables(
            np.zeros((1 << 16) + 1, dtype=offset_type),
            np.zeros(0, dtype=np.int32),
            0,
            words,
            layout[0],
            layout[1],
            layout[1],
            np.empty((1 << 16) + 1, dtype=offset_type),
            np.empty(1, dtype=np.int32),
        )
    one = np.zeros(1, dtype=np.int64)
    merge_ids(one, one, one, one, np.empty(2, dtype=np.int64), np.empty(2, dtype=np.int64))
