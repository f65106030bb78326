"""Match indexes: exact range search over PDQ hashes, and exact lookup of digests.

`PdqIndex` finds every banked PDQ hash within a Hamming distance of a query, with exact
recall (an approximate index that loses 2% of matches loses 2% of abuse material), fast at
10^7 hashes, and takes new hashes at once without a rebuild (issue #3: a hash added to a
bank is matchable in under a second).

How: multi-index hashing with the generalised pigeonhole principle. The 256 bits are cut into
m chunks of w bits; if two hashes differ in at most r bits and the chunks get radii t_i with
sum(t_i + 1) >= r + 1, then some chunk differs in at most t_i bits. Every banked hash whose
chunk i lies within t_i of the query's chunk i is a candidate; candidates are verified by
their full distance. Each chunk is a counting-sorted table (bucket offsets over all 2^w
values and the slots in bucket order), so a probe costs two array reads, not a search.
The radii are chosen per query distance to minimise probes plus expected candidates. On the
2-core bench machine this answers a distance-31 query in about 0.2 ms at 10^6 hashes and
0.5 ms at 10^7 (BENCHMARKS.md).

New hashes go to a small segment that is scanned by brute force and merged into the tables
by a linear merge once it grows past `delta_limit`; tables are re-cut at a new chunk width
only when the index has doubled or halved since they were cut. Tables are numpy arrays; a
lookup's probe-and-verify loop and the merge are compiled with numba (index_compiled), so
that neither hands the GIL to another thread mid-way. faiss's multi-hash index (what
threatexchange uses) was slower at every size measured and its per-call OpenMP start-up
costs milliseconds on a busy machine (BENCHMARKS.md).
"""

from __future__ import annotations

import gc
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from takedown.signals import pdq
from takedown.signals.turns import TurnLock

logger = logging.getLogger(__name__)

BITS = 256
Words = NDArray[np.uint64]


def hashes_to_words(hashes: Sequence[str]) -> Words:
    """PDQ hex strings as an (n, 4) array of 64-bit words, most significant word first."""
    n = len(hashes)
    if n == 0:
        return np.empty((0, 4), dtype=np.uint64)
    joined = "".join(hashes)
    raw: bytes | None = None
    if len(joined) == 64 * n:
        try:
            raw = bytes.fromhex(joined)
        except ValueError:
            raw = None
    if raw is None or len(raw) != 32 * n:
        # Find and name the bad one; fromhex alone would skip spaces and hide it.
        for position, value in enumerate(hashes):
            try:
                pdq.validate(value)
            except ValueError as exc:
                raise ValueError(f"hash {position}: {exc}") from None
        raise ValueError("malformed PDQ hashes")
    return np.frombuffer(raw, dtype=">u8").reshape(n, 4).astype(np.uint64)


def _chunk_values(words: Words, start: int, width: int) -> NDArray[np.int64]:
    """Bits [start, start + width) of each 256-bit row, counted from the most significant."""
    word, offset = divmod(start, 64)
    mask = np.uint64((1 << width) - 1)
    if offset + width <= 64:
        return ((words[:, word] >> np.uint64(64 - offset - width)) & mask).astype(np.int64)
    high_bits = 64 - offset
    low_bits = width - high_bits
    high = (words[:, word] & np.uint64((1 << high_bits) - 1)) << np.uint64(low_bits)
    low = words[:, word + 1] >> np.uint64(64 - low_bits)
    return (high | low).astype(np.int64)


@cache
def _flip_masks(width: int, radius: int) -> NDArray[np.int64]:
    """Every w-bit value with at most `radius` bits set: XOR them into a key to probe."""
    masks = [0]
    for count in range(1, radius + 1):
        for bits in itertools.combinations(range(width), count):
            masks.append(sum(1 << b for b in bits))
    return np.asarray(masks, dtype=np.int64)


def ideal_width(count: int) -> int:
    """Chunk width for `count` hashes: about one entry per bucket, within memory bounds."""
    return min(24, max(16, round(math.log2(max(count, 2))) + 1))


def _chunk_widths(width: int) -> list[int]:
    chunks = -(-BITS // width)
    base, extra = divmod(BITS, chunks)
    return [base + 1] * extra + [base] * (chunks - extra)


@dataclass
class _ChunkTables:
    """Counting-sorted tables for the slots [0, count), one per chunk, laid end to end, and
    those slots' ids in sorted order (`id_keys`, with their slots in `id_slots`), so that a
    removal finds an id's slots by binary search rather than through a per-id Python object."""

    width: int
    widths: list[int]
    starts: list[int]
    table_base: list[int]
    offsets: NDArray[np.signedinteger[Any]]
    slots: NDArray[np.int32]
    count: int
    id_keys: NDArray[np.int64]
    id_slots: NDArray[np.int64]
    _radii: dict[int, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _plans: dict[int, _ProbePlan] = field(default_factory=dict, repr=False)

    @staticmethod
    def _layout(width: int) -> tuple[list[int], list[int], list[int]]:
        widths = _chunk_widths(width)
        starts = [sum(widths[:i]) for i in range(len(widths))]
        bases = [sum((1 << w) + 1 for w in widths[:i]) for i in range(len(widths))]
        return widths, starts, bases

    @staticmethod
    def _offset_type(chunks: int, count: int) -> type[np.int32] | type[np.int64]:
        return np.int32 if chunks * count < 2**31 else np.int64

    @classmethod
    def build(cls, words: Words, width: int, ids: NDArray[np.int64]) -> _ChunkTables:
        """Tables for `words`, written chunk by chunk into arrays allocated once at their
        final size: the peak is the result plus one chunk's keys, not twice the result."""
        widths, starts, bases = cls._layout(width)
        count = len(words)
        offset_type = cls._offset_type(len(widths), count)
        offsets = np.empty(bases[-1] + (1 << widths[-1]) + 1, dtype=offset_type)
        slots = np.empty(len(widths) * count, dtype=np.int32)
        for chunk, (start, w) in enumerate(zip(starts, widths, strict=True)):
            keys = _chunk_values(words, start, w).astype(np.int32)
            # Slot order inside a bucket does not matter (candidates are verified and
            # de-duplicated), so the faster unstable sort does.
            slots[chunk * count : (chunk + 1) * count] = np.argsort(keys)
            table = offsets[bases[chunk] : bases[chunk] + (1 << w) + 1]
            table[0] = 0
            np.cumsum(np.bincount(keys, minlength=1 << w), out=table[1:])
            table += chunk * count
            del keys
        id_slots = np.argsort(ids, kind="stable")
        return cls(
            width=width,
            widths=widths,
            starts=starts,
            table_base=bases,
            offsets=offsets,
            slots=slots,
            count=count,
            id_keys=ids[id_slots],
            id_slots=id_slots,
        )

    def merged(self, new_words: Words, new_ids: NDArray[np.int64]) -> _ChunkTables:
        """These tables with the next len(new_words) slots added, by a linear merge (compiled,
        GIL released: index_compiled)."""
        added = len(new_words)
        total = self.count + added
        chunks = len(self.widths)
        offsets = np.empty(len(self.offsets), dtype=self._offset_type(chunks, total))
        slots = np.empty(chunks * total, dtype=np.int32)
        from takedown.signals import index_compiled

        index_compiled.merge_tables(
            self.offsets,
            self.slots,
            self.count,
            np.ascontiguousarray(new_words),
            np.asarray(self.widths, dtype=np.int64),
            np.asarray(self.starts, dtype=np.int64),
            np.asarray(self.table_base, dtype=np.int64),
            offsets,
            slots,
        )
        id_order = np.argsort(new_ids, kind="stable")
        id_keys = np.empty(total, dtype=np.int64)
        id_slots = np.empty(total, dtype=np.int64)
        index_compiled.merge_ids(
            self.id_keys,
            self.id_slots,
            new_ids[id_order],
            id_order.astype(np.int64) + self.count,
            id_keys,
            id_slots,
        )
        return _ChunkTables(
            width=self.width,
            widths=self.widths,
            starts=self.starts,
            table_base=self.table_base,
            offsets=offsets,
            slots=slots,
            count=total,
            id_keys=id_keys,
            id_slots=id_slots,
        )

    def slots_of(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Every tabled slot added under one of `ids` (sorted, unique), dead ones included."""
        low = np.searchsorted(self.id_keys, ids, side="left")
        high = np.searchsorted(self.id_keys, ids, side="right")
        sizes = high - low
        if not sizes.any():
            return np.empty(0, dtype=np.int64)
        steps = np.arange(int(sizes.sum()), dtype=np.int64)
        firsts = np.repeat(low - (np.cumsum(sizes) - sizes), sizes)
        return self.id_slots[firsts + steps].astype(np.int64)

    def radii(self, max_distance: int) -> tuple[int, ...]:
        """Per-chunk probe radii (-1: chunk not probed) covering `max_distance`, cheapest first."""
        known = self._radii.get(max_distance)
        if known is not None:
            return known
        radii = [-1] * len(self.widths)
        fill = self.count / 1.0

        def cost(chunk: int) -> float:
            w = self.widths[chunk]
            probes = math.comb(w, radii[chunk] + 1)
            return probes * (1.0 + fill / (1 << w))

        while sum(r + 1 for r in radii) < max_distance + 1:
            cheapest = min(range(len(radii)), key=cost)
            radii[cheapest] += 1
        self._radii[max_distance] = tuple(radii)
        return self._radii[max_distance]

    def probe_count(self, max_distance: int) -> int:
        return sum(
            sum(math.comb(w, k) for k in range(r + 1))
            for w, r in zip(self.widths, self.radii(max_distance), strict=True)
        )

    def probe_plan(self, max_distance: int) -> _ProbePlan:
        """What a lookup at `max_distance` probes, laid out for `index_compiled.near`."""
        known = self._plans.get(max_distance)
        if known is not None:
            return known
        masks, ends, bases, shifts, key_masks = [], [], [], [], []
        for chunk, radius in enumerate(self.radii(max_distance)):
            if radius < 0:
                continue
            w = self.widths[chunk]
            masks.append(_flip_masks(w, radius))
            ends.append(sum(len(m) for m in masks))
            bases.append(self.table_base[chunk])
            shifts.append(BITS - self.starts[chunk] - w)
            key_masks.append((1 << w) - 1)
        plan = _ProbePlan(
            masks=np.concatenate(masks),
            mask_ends=np.asarray(ends, dtype=np.int64),
            bases=np.asarray(bases, dtype=np.int64),
            shifts=tuple(shifts),
            key_masks=tuple(key_masks),
        )
        self._plans[max_distance] = plan
        return plan


@dataclass(frozen=True)
class _ProbePlan:
    """The probed chunks' flip masks end to end (chunk i's end at `mask_ends[i]`), their
    tables' bases, and where each chunk's key sits in the 256-bit query."""

    masks: NDArray[np.int64]
    mask_ends: NDArray[np.int64]
    bases: NDArray[np.int64]
    shifts: tuple[int, ...]
    key_masks: tuple[int, ...]

    def keys(self, query: int) -> NDArray[np.int64]:
        return np.asarray(
            [(query >> s) & m for s, m in zip(self.shifts, self.key_masks, strict=True)],
            dtype=np.int64,
        )


_NO_PROBES = _ProbePlan(
    masks=np.zeros(0, dtype=np.int64),
    mask_ends=np.zeros(0, dtype=np.int64),
    bases=np.zeros(0, dtype=np.int64),
    shifts=(),
    key_masks=(),
)
_NO_TABLE = np.zeros(1, dtype=np.int64)
_NO_SLOTS = np.zeros(0, dtype=np.int32)


_loading: threading.Thread | None = None
_loading_lock = threading.Lock()


@cache
def load_compiled() -> None:
    """Load the compiled loops (index_compiled) now, once a process: numba costs a process
    about a second to load them from its cache, a few on a first run after an install."""
    from takedown.signals import index_compiled

    index_compiled.warm_up()
    # numba leaves about 90,000 long-lived objects, and every full collection walked them
    # with the GIL held: 14-17 ms in which no lookup ran (issue 15). Frozen, collections walk
    # only what is allocated later; collecting first keeps today's garbage out of the freeze.
    gc.collect()
    gc.freeze()


def load_compiled_soon() -> None:
    """`load_compiled` on a background thread, once a process: the first hash added starts it,
    so a process that never indexes a PDQ hash (most CLI commands) never loads numba, and one
    that does has it loaded before its first lookup rather than during it."""
    global _loading
    with _loading_lock:
        if _loading is None:
            _loading = threading.Thread(target=load_compiled, name="pdq-compiled", daemon=True)
            _loading.start()


# Above this many probes per query (distances far beyond PDQ's 31) a scan is cheaper.
_MAX_PROBES = 200_000


class PdqIndex:
    """Every banked PDQ hash within a distance of a query, exactly; thread-safe.

    Ids are the caller's (bank hash row ids); an id may be added with several hashes and
    `remove` drops them all. Results are (id, distance) pairs, nearest first, one per id.

    Lookups take `_lock` only for their own reading. Writers take turns on `_write_lock` and
    take `_lock` only to publish: array growth is copied beside the live arrays, and merges
    run on a background thread (one at a time) and are swapped in, so neither an add nor a
    merge holds a lookup up for longer than it takes to append or to swap a reference. A
    lookup's own loops (index_compiled.near) keep the GIL and a merge's let it go, so neither
    hands the other a switch interval mid-way. No per-hash Python object is kept (the garbage
    collector would walk millions of them).
    """

    def __init__(self, delta_limit: int = 4096) -> None:
        # Taken in turn (signals.turns): an RLock let the adding thread and the looking-up
        # thread each take it straight back from the other, starving whichever was woken.
        self._lock = TurnLock()
        self._write_lock = threading.RLock()
        self._delta_limit = delta_limit
        self._words: Words = np.empty((1024, 4), dtype=np.uint64)
        self._ids: NDArray[np.int64] = np.empty(1024, dtype=np.int64)
        self._alive: NDArray[np.bool_] = np.zeros(1024, dtype=bool)
        self._count = 0  # slots used
        self._live = 0  # slots not removed
        # The tables cover slots [0, tables.count); later slots are scanned.
        self._tables: _ChunkTables | None = None
        # A merge builds new tables outside the lock from a snapshot and swaps them in; a
        # compaction renumbers slots, so it bumps the generation and a stale merge is dropped.
        self._merging = False
        self._merger: threading.Thread | None = None
        self._generation = 0
        # Tables built whole (the first load, a re-cut after doubling or a compaction) and
        # merged from the scanned segment, for tests and benches to count.
        self.rebuilds = 0
        self.merges = 0
        # Tests pause a merge here (after building, before the swap) to look inside it.
        self._before_swap: Callable[[], None] | None = None

    def __len__(self) -> int:
        with self._lock:
            return self._live

    # -- writing -------------------------------------------------------------------------

    def add(self, ids: Sequence[int], hashes: Sequence[str], merge: bool = True) -> None:
        """Make `hashes` matchable under `ids` at once; ValueError on a malformed hash.

        `merge=False` leaves them in the scanned segment until an add that merges or
        `merge_due`: a bulk load in many steps then builds its tables once, at the end.
        """
        if len(ids) != len(hashes):
            raise ValueError("ids and hashes must have the same length")
        self.add_words(np.asarray(ids, dtype=np.int64), hashes_to_words(hashes), merge)

    def add_words(self, ids: NDArray[np.int64], words: Words, merge: bool = True) -> None:
        """`add` from arrays: ids (n,) and hashes as (n, 4) words (`hashes_to_words`)."""
        if words.ndim != 2 or words.shape[1] != 4 or len(ids) != len(words):
            raise ValueError("words must be (n, 4) with one id per row")
        if len(ids):
            load_compiled_soon()
        with self._write_lock:
            needed = self._count + len(ids)
            if needed > len(self._ids):
                self._grow(needed)
            with self._lock:
                self._append(ids.astype(np.int64, copy=False), words.astype(np.uint64))
                if merge:
                    self._start_merge()

    def merge_due(self) -> None:
        """Start the merge that adds made with `merge=False` put off, if one is due."""
        with self._write_lock, self._lock:
            self._start_merge()

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until no merge is running or due; False if `timeout` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                merger = self._merger if self._merging else None
            if merger is None:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            merger.join(left)

    def _start_merge(self) -> None:
        """Claim a merge if one is due and run it on its own thread; caller holds `_lock`."""
        plan = self._plan_merge()
        if plan is not None:
            self._merger = threading.Thread(
                target=self._merge_loop, args=plan, name="pdq-merge", daemon=True
            )
            self._merger.start()

    def _plan_merge(self) -> tuple[int, _ChunkTables | None, int, int] | None:
        """Claim the merge if the scanned segment outgrew `delta_limit`; caller holds the lock.

        Returns (generation, tables to extend or None to re-cut, first slot to table, slot
        count). Slots below `_count` are never written again in place (growth copies to new
        arrays, compaction starts new ones), so the merge reads a fixed snapshot unlocked.
        """
        if self._merging or self._count - self._tabled() <= self._delta_limit:
            return None
        self._merging = True
        count = self._count
        width = ideal_width(count)
        tables = self._tables
        if tables is None or (width != tables.width and self._grew_or_shrank(tables)):
            return self._generation, None, 0, count
        return self._generation, tables, tables.count, count

    def _merge_loop(
        self, generation: int, tables: _ChunkTables | None, first: int, count: int
    ) -> None:
        plan: tuple[int, _ChunkTables | None, int, int] | None = (generation, tables, first, count)
        while plan is not None:
            try:
                plan = self._merge(*plan)
            except Exception:
                logger.exception("PDQ index merge failed; the segment stays scanned")
                with self._lock:
                    if plan is not None and plan[0] == self._generation:
                        self._merging = False
                return

    def _merge(
        self, generation: int, tables: _ChunkTables | None, first: int, count: int
    ) -> tuple[int, _ChunkTables | None, int, int] | None:
        """Build the next tables beside the live ones, then swap them in under the lock.

        Lookups meanwhile use the old tables and scan the growing segment after them, so a
        merge costs them nothing but a slightly longer scan; removals only clear `_alive`,
        which the tables never hold, so none made during the merge is lost.
        """
        with self._lock:
            words, ids = self._words[first:count], self._ids[first:count]
        if tables is None:
            built = _ChunkTables.build(words, ideal_width(count), ids)
        else:
            built = tables.merged(words, ids)
        if self._before_swap is not None:
            self._before_swap()
        with self._lock:
            # A compaction since the snapshot renumbered the slots: drop this result (the
            # compaction already released the claim on merging).
            if generation != self._generation:
                return None
            self._tables = built
            if tables is None:
                self.rebuilds += 1
            else:
                self.merges += 1
            self._merging = False
            again = self._plan_merge()
            if again is None:
                self._merger = None
            return again

    def remove(self, ids: Iterable[int]) -> None:
        """Forget every hash added under these ids; unknown ids are ignored."""
        targets = np.unique(np.fromiter((int(i) for i in ids), dtype=np.int64))
        if not len(targets):
            return
        with self._write_lock, self._lock:
            tabled = self._tabled()
            found = [np.flatnonzero(np.isin(self._ids[tabled : self._count], targets)) + tabled]
            if self._tables is not None:
                found.append(self._tables.slots_of(targets))
            slots = np.concatenate(found)
            slots = slots[self._alive[slots]]
            self._alive[slots] = False
            self._live -= len(slots)
            dead = self._count - self._live
            if dead > self._delta_limit and dead > self._live:
                self._compact()
            self._start_merge()

    def _tabled(self) -> int:
        return self._tables.count if self._tables is not None else 0

    def _grow(self, needed: int) -> None:
        """Move to bigger arrays, copying beside the live ones; caller holds `_write_lock`.

        No writer runs meanwhile, so the copy is complete; lookups read the old arrays
        until the swap. A quarter spare after a bulk load, so that single adds to a big
        index do not each copy it; doubling otherwise.
        """
        capacity = max(needed + needed // 4, 2 * len(self._ids))
        count = self._count
        words = np.empty((capacity, 4), dtype=np.uint64)
        words[:count] = self._words[:count]
        ids = np.empty(capacity, dtype=np.int64)
        ids[:count] = self._ids[:count]
        alive = np.zeros(capacity, dtype=bool)
        alive[:count] = self._alive[:count]
        with self._lock:
            self._words, self._ids, self._alive = words, ids, alive

    def _append(self, ids: NDArray[np.int64], words: Words) -> None:
        needed = self._count + len(ids)
        if needed > len(self._ids):  # only from _compact, which starts from a small array
            self._grow(needed)
        first = self._count
        self._words[first:needed] = words
        self._ids[first:needed] = ids
        self._alive[first:needed] = True
        self._count = needed
        self._live += len(ids)

    def _grew_or_shrank(self, tables: _ChunkTables) -> bool:
        return self._count >= 2 * tables.count or 2 * self._count <= tables.count

    def _compact(self) -> None:
        keep = np.flatnonzero(self._alive[: self._count])
        ids = self._ids[keep]
        words = self._words[keep]
        # Fresh arrays: a merge in flight may still be reading the old ones.
        capacity = max(1024, len(keep) + len(keep) // 4)
        self._words = np.empty((capacity, 4), dtype=np.uint64)
        self._ids = np.empty(capacity, dtype=np.int64)
        self._alive = np.zeros(capacity, dtype=bool)
        self._count = 0
        self._live = 0
        self._tables = None
        self._generation += 1
        self._merging = False
        self._merger = None
        self._append(ids, words)

    # -- reading -------------------------------------------------------------------------

    def search(self, hash_hex: str, max_distance: int) -> list[tuple[int, int]]:
        """(id, distance) of every hash within `max_distance` of `hash_hex`, nearest first."""
        return self.search_many([hash_hex], max_distance)[0]

    def search_many(self, hashes: Sequence[str], max_distance: int) -> list[list[tuple[int, int]]]:
        """`search` for each hash, in order; for a file's eight dihedral variants, say."""
        if not 0 <= max_distance <= BITS:
            raise ValueError("max_distance must be between 0 and 256")
        words = hashes_to_words(hashes)
        with self._lock:
            return [self._search_one(words[i], max_distance) for i in range(len(words))]

    def _search_one(self, query: Words, max_distance: int) -> list[tuple[int, int]]:
        if not self._count:
            return []
        from takedown.signals import index_compiled

        tables = self._tables
        plan, offsets, table_slots, scan_first = _NO_PROBES, _NO_TABLE, _NO_SLOTS, 0
        if tables is not None and tables.count and tables.probe_count(max_distance) <= _MAX_PROBES:
            plan, offsets, table_slots = (
                tables.probe_plan(max_distance),
                tables.offsets,
                tables.slots,
            )
            scan_first = tables.count
        as_int = int.from_bytes(query.astype(">u8").tobytes(), "big")
        slots, distances = index_compiled.near(
            offsets,
            table_slots,
            plan.masks,
            plan.mask_ends,
            plan.keys(as_int),
            plan.bases,
            self._words,
            self._alive,
            query,
            max_distance,
            scan_first,
            self._count,
        )
        best: dict[int, int] = {}
        for identifier, distance in zip(self._ids[slots].tolist(), distances.tolist(), strict=True):
            if identifier not in best or distance < best[identifier]:
                best[identifier] = distance
        return sorted(best.items(), key=lambda pair: (pair[1], pair[0]))


class ExactIndex:
    """Exact lookup of digest values (MD5, SHA-256) to ids; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids_of: dict[str, set[int]] = {}
        self._values_of: dict[int, set[str]] = {}

    def __len__(self) -> int:
        with self._lock:
            return sum(len(ids) for ids in self._ids_of.values())

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values must have the same length")
        with self._lock:
            for identifier, value in zip(ids, values, strict=True):
                key = value.strip().lower()
                self._ids_of.setdefault(key, set()).add(int(identifier))
                self._values_of.setdefault(int(identifier), set()).add(key)

    def remove(self, ids: Iterable[int]) -> None:
        with self._lock:
            for identifier in ids:
                for key in self._values_of.pop(int(identifier), ()):
                    holders = self._ids_of.get(key)
                    if holders is not None:
                        holders.discard(int(identifier))
                        if not holders:
                            del self._ids_of[key]

    def search(self, value: str) -> list[int]:
        with self._lock:
            return sorted(self._ids_of.get(value.strip().lower(), ()))
