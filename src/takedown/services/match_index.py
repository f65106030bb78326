"""The in-memory match index of one process: bank hashes and stored content signals.

Built from the database at start and kept current by following new rows (each table's
autoincrement id), so a hash added to a bank, by this process or any other, is matchable at
the next lookup with no rebuild (HMA's users' complaint: rebuilding the whole index on every
change). Every lookup first pulls the rows it has not seen; that is one indexed query.

Two sides share one shape: the bank side answers "which bank entries does this media match"
(uploads, `/v1/match`), the content side "which stored items does this media match" (copies,
retroactive scans), so neither is a table scan.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Executable,
    Integer,
    Result,
    Select,
    bindparam,
    cast,
    column,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from takedown.signals import SIGNAL_TYPES, indexed_signals
from takedown.signals.base import SignalIndex
from takedown.signals.hashing import PDQ_DIHEDRAL
from takedown.signals.index import PdqIndex
from takedown.signals.pdq import PDQ, QUALITY_MIN
from takedown.signals.turns import TurnLock
from takedown.signals.vpdq import VideoMatch, VpdqFrame, match_video, parse_frames
from takedown.store.banks import Bank, BankHash
from takedown.store.database import core_rows
from takedown.store.models import ContentItem, ContentSignal

INDEXED_CONTENT_SIGNALS = (*SIGNAL_TYPES, PDQ_DIHEDRAL)
VARIANTS = 8  # a PDQ and its 7 dihedral variants share one slot block in the content index


def frames_of(value: Any) -> list[VpdqFrame]:
    """A stored or submitted vPDQ value (JSON text or the list itself) as frames."""
    if isinstance(value, str):
        value = json.loads(value)
    return parse_frames(value)


@dataclass(frozen=True)
class BankEntry:
    hash_id: int
    bank_id: str
    bank: str
    signal: str
    action: str
    child_safety: bool
    pdq_threshold: int | None


@dataclass(frozen=True)
class Closeness:
    """How near a match is, in its signal's own terms: a Hamming `distance` for PDQ (0 for a
    digest), or for vPDQ the coverages and overlap of `video` (which has no distance)."""

    distance: int | None = None
    video: VideoMatch | None = None

    @property
    def rank(self) -> tuple[float, float]:
        """Sort key, nearest first: exact and PDQ by distance, then videos by coverage."""
        if self.video is None:
            return (0.0, float(self.distance or 0))
        return (1.0, -self.video.match_percent)

    @property
    def partial(self) -> bool:
        """A shared stretch of video and no more: never acted on without a reviewer."""
        return self.video is not None and not self.video.near_complete

    def as_json(self) -> dict[str, Any]:
        """`distance` for PDQ and digests (API.md); match_percent and overlap_s for vPDQ."""
        if self.video is None:
            return {"distance": self.distance}
        return self.video.as_json()

    def describe(self) -> str:
        if self.video is None:
            return f"distance {self.distance}"
        return f"{self.video.match_percent:g}% matched, {self.video.overlap_s:g} s shared"


@dataclass(frozen=True)
class BankMatch:
    entry: BankEntry
    closeness: Closeness

    @property
    def signal(self) -> str:
        return self.entry.signal

    @property
    def partial(self) -> bool:
        """A bank entry is known abuse as a whole: either video found whole in the other acts."""
        return self.closeness.partial


@dataclass(frozen=True)
class StoredMatch:
    """A stored item the query matched; `closeness.video` is oriented query -> stored item."""

    item_id: str
    signal: str
    closeness: Closeness

    @property
    def query_found_whole(self) -> bool:
        """All the query's media is in the stored item (or a non-video match)."""
        video = self.closeness.video
        return video is None or video.query_found_whole

    @property
    def stored_found_whole(self) -> bool:
        """All the stored item's media is in the query (or a non-video match)."""
        video = self.closeness.video
        return video is None or video.compared_found_whole


@dataclass
class MediaQuery:
    """The signals of one piece of media, as a lookup needs them."""

    pdq: list[str] = field(default_factory=list)  # the hash first, then its dihedral variants
    pdq_quality: int | None = None
    vpdq: list[VpdqFrame] | None = None
    # Digests and every other self-indexing signal (signals.indexed_signals), by name.
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, signals: Iterable[tuple[str, str, int | None]]) -> MediaQuery:
        query = cls()
        variants: list[str] = []
        for signal, value, quality in signals:
            if signal == "pdq":
                query.pdq.insert(0, value)
                query.pdq_quality = quality
            elif signal == PDQ_DIHEDRAL:
                variants.extend(v for v in value.split(",") if v)
            elif signal == "vpdq":
                query.vpdq = frames_of(value)
            elif signal in SIGNAL_TYPES:
                query.values[signal] = value
        query.pdq.extend(v for v in variants if v not in query.pdq)
        return query

    @classmethod
    def of_item(cls, item: ContentItem) -> MediaQuery:
        return cls.of((s.signal, s.value, s.quality) for s in item.signals)

    @classmethod
    def of_hash(cls, signal: str, value: str) -> MediaQuery:
        return cls.of([(signal, value, None)])

    def __bool__(self) -> bool:
        return bool(self.pdq or self.values or self.vpdq)


class _Follower:
    """Which rows of a table this replica has seen.

    Autoincrement ids are handed out before commit, so on PostgreSQL a row may become visible
    after a higher id was already read; ids skipped over are re-asked for a minute before they
    are taken to be rolled back.
    """

    GAP_SECONDS = 60.0
    GAP_SPAN = 1000

    def __init__(self) -> None:
        self.seen = 0
        self.gaps: dict[int, float] = {}

    def params(self, prefix: str = "") -> dict[str, object]:
        """The bound values of `unseen(column, self.gaps != {}, prefix)`."""
        return {f"{prefix}seen": self.seen, f"{prefix}gaps": sorted(self.gaps)}

    def saw(self, ids: list[int]) -> None:
        now = time.monotonic()
        if ids and not self.gaps and ids[0] == self.seen + 1 and ids[-1] - ids[0] == len(ids) - 1:
            self.seen = ids[-1]  # the common case: the next ids, in order, none missing
            return
        for row_id in sorted(ids):
            if row_id > self.seen:
                for gap in range(max(self.seen + 1, row_id - self.GAP_SPAN), row_id):
                    self.gaps[gap] = now
                self.seen = row_id
            else:
                self.gaps.pop(row_id, None)
        for gap, since in list(self.gaps.items()):
            if now - since > self.GAP_SECONDS:
                del self.gaps[gap]


def unseen(
    column: InstrumentedAttribute[int], with_gaps: bool, prefix: str = ""
) -> ColumnElement[bool]:
    """Rows past `:seen` (and those in `:gaps`): a condition built once per shape, since a
    pull runs on every registration and building its statement cost more than running it."""
    seen = bindparam(f"{prefix}seen", type_=Integer)
    if with_gaps:
        return or_(column > seen, column.in_(bindparam(f"{prefix}gaps", expanding=True)))
    return column > seen


@cache
def _bank_pull(with_gaps: bool, prefix: str = "") -> Select[int, str, str, str]:
    return (
        select(BankHash.id, BankHash.signal, BankHash.value, BankHash.bank_id)
        .where(unseen(BankHash.id, with_gaps, prefix))
        .order_by(BankHash.id)
        .limit(bindparam("batch", type_=Integer))
    )


@cache
def _content_pull(with_gaps: bool, prefix: str = "") -> Select[int, str, str, str, int | None]:
    return (
        select(
            ContentSignal.id,
            ContentSignal.item_id,
            ContentSignal.signal,
            ContentSignal.value,
            ContentSignal.quality,
        )
        .where(
            ContentSignal.signal.in_(INDEXED_CONTENT_SIGNALS),
            unseen(ContentSignal.id, with_gaps, prefix),
        )
        .order_by(ContentSignal.id)
        .limit(bindparam("batch", type_=Integer))
    )


_BANK_SIDE, _CONTENT_SIDE = 0, 1


@cache
def _both_pull(bank_gaps: bool, content_gaps: bool) -> CompoundSelect[Any]:
    """Both sides' first batch in one statement (one round trip a registration, not two):
    (side, id, signal, value, bank or item id, quality) in side and id order."""
    bank = _bank_pull(bank_gaps, "bank_").subquery()
    content = _content_pull(content_gaps, "content_").subquery()

    def side(code: int, pull: Any, ref: Any, quality: Any) -> Select[Any]:
        return select(
            literal(code).label("side"),
            pull.c.id,
            pull.c.signal,
            pull.c.value,
            ref.label("ref"),
            quality.label("quality"),
        )

    return union_all(
        side(_BANK_SIDE, bank, bank.c.bank_id, cast(null(), Integer)),
        side(_CONTENT_SIDE, content, content.c.item_id, content.c.quality),
    ).order_by(column("side"), column("id"))


class _BankHashes:
    """Which bank (and signal) each banked hash row belongs to, without an object per row.

    A replica holds every banked hash; at 10^7 a `BankEntry` each was gigabytes, and millions
    of objects that every full garbage collection walks while lookups wait. Banks are few, so
    each distinct bank (as it was when the row was read, like the entries were) gets a code,
    and rows keep (id, code) in arrays searched by binary search. Ids arrive in increasing
    order but for the rare row that commits after a higher id was read (see `_Follower`);
    those few sit in a dict.
    """

    _SIGNAL_BITS = 8

    def __init__(self) -> None:
        self._banks: list[tuple[str, str, str, bool, int | None]] = []
        self._code_of: dict[tuple[str, str, str, bool, int | None], int] = {}
        self._signals: list[str] = []
        self._signal_code: dict[str, int] = {}
        self._ids = np.empty(1024, dtype=np.int64)
        self._meta = np.empty(1024, dtype=np.int32)
        self._count = 0
        self._late: dict[int, int] = {}

    def __len__(self) -> int:
        return self._count + len(self._late)

    def code(self, bank: tuple[str, str, str, bool, int | None], signal: str) -> int:
        bank_code = self._code_of.get(bank)
        if bank_code is None:
            bank_code = self._code_of[bank] = len(self._banks)
            self._banks.append(bank)
        signal_code = self._signal_code.get(signal)
        if signal_code is None:
            signal_code = self._signal_code[signal] = len(self._signals)
            self._signals.append(signal)
        return (bank_code << self._SIGNAL_BITS) | signal_code

    def add(self, ids: list[int], codes: list[int]) -> None:
        """Rows in id order (as a refresh reads them)."""
        if not ids:
            return
        top = int(self._ids[self._count - 1]) if self._count else -1
        if ids[0] <= top:  # late rows: below what was already read
            late = [i for i, hid in enumerate(ids) if hid <= top]
            for i in late:
                self._late[ids[i]] = codes[i]
            kept = set(late)
            ids = [hid for i, hid in enumerate(ids) if i not in kept]
            codes = [c for i, c in enumerate(codes) if i not in kept]
        needed = self._count + len(ids)
        if needed > len(self._ids):
            capacity = max(needed + needed // 4, 2 * len(self._ids))
            self._ids = np.resize(self._ids, capacity)
            self._meta = np.resize(self._meta, capacity)
        self._ids[self._count : needed] = ids
        self._meta[self._count : needed] = codes
        self._count = needed

    def entry(self, hash_id: int) -> BankEntry | None:
        meta = self._late.get(hash_id)
        if meta is None:
            at = int(np.searchsorted(self._ids[: self._count], hash_id))
            if at == self._count or int(self._ids[at]) != hash_id:
                return None
            meta = int(self._meta[at])
        bank_id, name, action, child_safety, threshold = self._banks[meta >> self._SIGNAL_BITS]
        signal = self._signals[meta & ((1 << self._SIGNAL_BITS) - 1)]
        return BankEntry(hash_id, bank_id, name, signal, action, child_safety, threshold)


class _Side:
    """One side's indexes: PDQ by distance, digests exactly, vPDQ frames by distance with the
    videos they belong to (candidate videos are then compared whole)."""

    def __init__(self) -> None:
        self.pdq = PdqIndex()
        self.signals = {s.name: s for s in indexed_signals()}
        self.indexes: dict[str, SignalIndex] = {n: s.new_index() for n, s in self.signals.items()}
        self.frames = PdqIndex()
        self.frame_video: dict[int, int] = {}
        self.videos: dict[int, list[VpdqFrame]] = {}
        self._next_frame = 0

    def add_video(self, key: int, frames: list[VpdqFrame]) -> None:
        self.videos[key] = frames
        ids = list(range(self._next_frame, self._next_frame + len(frames)))
        self._next_frame += len(frames)
        for frame_id in ids:
            self.frame_video[frame_id] = key
        if ids:
            self.frames.add(ids, [f.pdq for f in frames])

    def pdq_hits(self, hashes: list[str], max_distance: int) -> dict[int, int]:
        best: dict[int, int] = {}
        for value in hashes:
            for key, distance in self.pdq.search(value, max_distance):
                if distance < best.get(key, max_distance + 1):
                    best[key] = distance
        return best

    def signal_hits(self, query: MediaQuery) -> list[tuple[str, int, int]]:
        """(signal, key, distance) for each self-indexing signal's hits, by its own rule."""
        hits: list[tuple[str, int, int]] = []
        for name, index in self.indexes.items():
            if value := query.values.get(name):
                threshold = self.signals[name].threshold
                hits.extend((name, key, d) for key, d in index.search(value, threshold))
        return hits

    def add_values(self, pending: dict[str, tuple[list[int], list[str]]]) -> None:
        for name, (keys, values) in pending.items():
            if keys:
                self.indexes[name].add(keys, values)

    def video_hits(
        self, frames: list[VpdqFrame], pdq_threshold: int, quality_min: int
    ) -> dict[int, VideoMatch]:
        """Videos matching `frames` in either direction, with how they match."""
        candidates: set[int] = set()
        for frame in frames:
            if frame.quality < quality_min:
                continue
            for frame_id, _ in self.frames.search(frame.pdq, pdq_threshold):
                candidates.add(self.frame_video[frame_id])
        out = {}
        for key in candidates:
            result = match_video(
                frames, self.videos[key], pdq_threshold=pdq_threshold, quality_min=quality_min
            )
            if result.matched:
                out[key] = result
        return out


class Matcher:
    """This process's replica of the match index. Thread-safe; `refresh` before each lookup.

    Refresh before writing in the same transaction: rows this session has flushed but not
    committed must not enter the index, since a rollback would leave them there.
    """

    def __init__(self, pdq_threshold: int = 31, quality_min: int = QUALITY_MIN) -> None:
        self.pdq_threshold = pdq_threshold
        self.quality_min = quality_min
        # In turn (signals.turns), so a refresh's batches and request lookups alternate.
        self._lock = TurnLock()
        self._refresh_lock = threading.Lock()
        # Coalescing refreshes on PostgreSQL (`refresh`): numbered as they start and finish.
        self._refresh_turn = threading.Condition()
        self._refresh_running = False
        self._refresh_started = 0
        self._refresh_done = 0
        self._banks = _Side()
        self._entries = _BankHashes()
        # The first refresh fills the replica whole (a process starting, a script); later
        # ones pull at most REFRESH_ROWS_PER_CALL rows, so a lookup behind an exchange's
        # million-row load is answered from what is in and leaves the rest to the next one.
        self._filled = False
        self._bank_follow = _Follower()
        self._max_threshold = pdq_threshold
        self._content = _Side()
        self._slot_item: dict[int, str] = {}  # content signal row id -> item id
        self._slot_quality: dict[int, int | None] = {}
        self._content_follow = _Follower()
        self.behind = False

    # -- following the database --------------------------------------------------------------

    # Rows read and applied per step of a refresh: a bulk load (an exchange adding millions
    # of hashes) is followed in bounded steps, so no step holds lookups up for long.
    REFRESH_BATCH = 10_000
    REFRESH_ROWS_PER_CALL = 50_000

    def refresh(self, session: Session, whole: bool = False) -> int:
        """Pull the bank hashes and content signals added since the last call; returns how
        many rows were added to the index. The first call (or `whole`) pulls everything;
        later ones stop after REFRESH_ROWS_PER_CALL rows per table, and `behind` says
        whether they left some for the next call.

        Refreshes take turns (`_refresh_lock`); lookups wait only while a batch's rows enter
        the maps (`_lock`), never for the database or for a PDQ index merge (merges run on
        the index's own thread). Returns 0 to a caller another refresh served (PostgreSQL),
        whatever that refresh added.
        """
        if whole or session.get_bind().dialect.name != "postgresql":
            with self._refresh_lock:
                return self._pull(session, whole)
        # Read committed: a query sees every row committed before it starts, whichever
        # session runs it. So a caller is served by any refresh that starts after it arrives,
        # and callers arriving during one refresh share the next instead of queueing one
        # each behind the lock (issue 15: two queries a registration, one at a time).
        with self._refresh_turn:
            wanted = self._refresh_started + 1
            while self._refresh_running:
                self._refresh_turn.wait()
                if self._refresh_done >= wanted:
                    return 0
            self._refresh_running = True
            self._refresh_started += 1
            mine = self._refresh_started
        pulled = False
        try:
            with self._refresh_lock:
                added = self._pull(session, whole)
            pulled = True
            return added
        finally:
            with self._refresh_turn:
                self._refresh_running = False
                if pulled:  # a failed refresh serves nobody: the next waiter runs its own
                    self._refresh_done = mine
                self._refresh_turn.notify_all()

    def _pull(self, session: Session, whole: bool) -> int:
        added = 0
        bounded = self._filled and not whole
        behind = False
        first = self._pull_both(session)
        steps = ((self._refresh_banks, first[0]), (self._refresh_content, first[1]))
        for step, batch in steps:
            rows: list[Any] | None = batch
            pulled = 0
            while True:
                count = step(session, rows)
                rows = None  # the next batch, if any, is this side's own query
                pulled += count
                if count < self.REFRESH_BATCH:
                    break
                if bounded and pulled >= self.REFRESH_ROWS_PER_CALL:
                    behind = True
                    break
            added += pulled
        if not self._filled:
            for index in (self._banks.pdq, self._content.pdq):
                index.merge_due()
        self._filled = True
        self.behind = behind
        return added

    def _pull_both(self, session: Session) -> tuple[list[Any], list[Any]]:
        """The first batch of each side, read in one statement: (bank rows, content rows),
        each shaped as its side's own query returns them."""
        banks, content = self._bank_follow, self._content_follow
        statement = _both_pull(bool(banks.gaps), bool(content.gaps))
        params = {**banks.params("bank_"), **content.params("content_")}
        sides: tuple[list[Any], list[Any]] = ([], [])
        # Core rows on the connection: every registration asks this first (issue 15).
        for side, row_id, signal, value, ref, quality in core_rows(
            session, statement, {**params, "batch": self.REFRESH_BATCH}
        ):
            if side == _BANK_SIDE:
                sides[0].append((row_id, signal, value, ref))
            else:
                sides[1].append((row_id, ref, signal, value, quality))
        return sides

    def _next_batch(
        self,
        execute: Callable[..., Result[Any]],
        pull: Callable[..., Executable],
        follow: _Follower,
    ) -> list[Any]:
        """The next batch of one side's unseen rows: `pull` is its query, `execute` the
        session's or its connection's (the bank side reads Core rows on the connection)."""
        statement = pull(bool(follow.gaps))
        return list(execute(statement, {**follow.params(), "batch": self.REFRESH_BATCH}).all())

    def _refresh_banks(self, session: Session, rows: list[Any] | None = None) -> int:
        """Apply `rows` (a batch already read), or read and apply the next batch."""
        # Core rows on the session's connection, four columns each: no ORM loading per row
        # and no bank columns repeated on every row (banks are few and read once a batch).
        connection = session.connection()
        if rows is None:
            rows = self._next_batch(connection.execute, _bank_pull, self._bank_follow)
        if not rows:
            self._bank_follow.saw([])
            return 0
        read_ids = [row[0] for row in rows]
        banks: dict[str, tuple[str, str, str, bool, int | None]] = {
            bank[0]: (bank[0], bank[1], bank[2], bool(bank[3]), bank[4])
            for bank in connection.execute(
                select(
                    Bank.id, Bank.name, Bank.action, Bank.child_safety, Bank.pdq_threshold
                ).where(Bank.id.in_({row[3] for row in rows}))
            ).all()
        }
        rows = [row for row in rows if row[3] in banks]  # as the join this replaced did
        pending: dict[str, tuple[list[int], list[str]]] = {n: ([], []) for n in self._banks.indexes}
        with self._lock:
            codes_of = {
                (bank_id, signal): self._entries.code(banks[bank_id], signal)
                for bank_id, signal in {(row[3], row[1]) for row in rows}
            }
            for bank in banks.values():
                if bank[4] is not None:
                    self._max_threshold = max(self._max_threshold, bank[4])
            self._entries.add([row[0] for row in rows], [codes_of[row[3], row[1]] for row in rows])
            pdq_ids = [row[0] for row in rows if row[1] == "pdq"]
            pdq_values = [row[2] for row in rows if row[1] == "pdq"]
            for hid, signal, value, _ in rows:
                if signal == "pdq":
                    continue
                if signal in pending:
                    pending[signal][0].append(hid)
                    pending[signal][1].append(value)
                elif signal == "vpdq":
                    self._banks.add_video(hid, frames_of(value))
        # Outside the lock: the entries are in, so a lookup that finds these ids can name
        # them, and the index lets lookups through while it merges.
        if pdq_ids:
            # The first fill builds the tables once, when it is done (see refresh).
            self._banks.pdq.add(pdq_ids, pdq_values, merge=self._filled)
        self._banks.add_values(pending)
        self._bank_follow.saw(read_ids)
        return len(read_ids)

    def _refresh_content(self, session: Session, rows: list[Any] | None = None) -> int:
        """Apply `rows` (a batch already read), or read and apply the next batch."""
        if rows is None:
            rows = self._next_batch(session.execute, _content_pull, self._content_follow)
        pdq_ids: list[int] = []
        pdq_values: list[str] = []
        pending: dict[str, tuple[list[int], list[str]]] = {
            n: ([], []) for n in self._content.indexes
        }
        with self._lock:
            for row_id, item_id, signal, value, quality in rows:
                self._slot_item[row_id] = item_id
                self._slot_quality[row_id] = quality
                if signal == "pdq":
                    pdq_ids.append(row_id * VARIANTS)
                    pdq_values.append(value)
                elif signal == PDQ_DIHEDRAL:
                    for k, variant in enumerate(value.split(",")[: VARIANTS - 1], start=1):
                        pdq_ids.append(row_id * VARIANTS + k)
                        pdq_values.append(variant)
                elif signal in pending:
                    pending[signal][0].append(row_id)
                    pending[signal][1].append(value)
                elif signal == "vpdq":
                    try:
                        self._content.add_video(row_id, frames_of(value))
                    except ValueError:
                        continue  # a malformed stored value cannot match; it is not fatal
        if pdq_ids:
            self._content.pdq.add(pdq_ids, pdq_values, merge=self._filled)
        self._content.add_values(pending)
        self._content_follow.saw([r[0] for r in rows])
        return len(rows)

    # -- lookups -----------------------------------------------------------------------------

    def _pdq_usable(self, quality: int | None) -> bool:
        """Hashes below the quality floor are stored but never acted on alone (API.md)."""
        return PDQ.acts_alone(quality, self.quality_min)

    def entry(self, hash_id: int) -> BankEntry | None:
        with self._lock:
            return self._entries.entry(hash_id)

    def _known(self, hash_id: int) -> BankEntry:
        """The entry of a hash the indexes returned; they hold only rows that have one."""
        entry = self._entries.entry(hash_id)
        if entry is None:
            raise KeyError(hash_id)
        return entry

    def banked_video(self, hash_id: int) -> list[VpdqFrame]:
        """The frames of a banked vPDQ entry (empty for other signals)."""
        with self._lock:
            return list(self._banks.videos.get(hash_id, []))

    def match_banks(self, query: MediaQuery) -> list[BankMatch]:
        """Bank entries the media matches, the nearest first; one result per entry."""
        with self._lock:
            best: dict[int, Closeness] = {}
            entries: dict[int, BankEntry] = {}
            if query.pdq and self._pdq_usable(query.pdq_quality):
                for hid, distance in self._banks.pdq_hits(query.pdq, self._max_threshold).items():
                    entry = entries[hid] = self._known(hid)
                    limit = entry.pdq_threshold
                    if distance <= (self.pdq_threshold if limit is None else limit):
                        best[hid] = Closeness(distance=distance)
            for _, hid, distance in self._banks.signal_hits(query):
                best[hid] = Closeness(distance=distance)  # one signal per bank entry
            if query.vpdq:
                hits = self._banks.video_hits(query.vpdq, self.pdq_threshold, self.quality_min)
                for hid, video in hits.items():
                    best.setdefault(hid, Closeness(video=video))
            matches = [
                BankMatch(entries.get(hid) or self._known(hid), c) for hid, c in best.items()
            ]
        return sorted(matches, key=lambda m: (m.closeness.rank, m.entry.bank, m.entry.hash_id))

    def find_stored(
        self, query: MediaQuery, exclude: set[str] | None = None, pdq_threshold: int | None = None
    ) -> list[StoredMatch]:
        """Stored items whose signals match the media, the nearest first; one per item."""
        exclude = exclude or set()
        threshold = self.pdq_threshold if pdq_threshold is None else pdq_threshold
        best: dict[str, StoredMatch] = {}

        def keep(item_id: str, signal: str, closeness: Closeness) -> None:
            if item_id in exclude:
                return
            if item_id not in best or closeness.rank < best[item_id].closeness.rank:
                best[item_id] = StoredMatch(item_id, signal, closeness)

        with self._lock:
            if query.pdq and self._pdq_usable(query.pdq_quality):
                for slot, distance in self._content.pdq_hits(query.pdq, threshold).items():
                    row_id = slot // VARIANTS
                    if self._pdq_usable(self._slot_quality.get(row_id)):
                        keep(self._slot_item[row_id], "pdq", Closeness(distance=distance))
            for signal, row_id, distance in self._content.signal_hits(query):
                keep(self._slot_item[row_id], signal, Closeness(distance=distance))
            if query.vpdq:
                hits = self._content.video_hits(query.vpdq, threshold, self.quality_min)
                for row_id, video in hits.items():
                    keep(self._slot_item[row_id], "vpdq", Closeness(video=video))
        return sorted(best.values(), key=lambda m: (m.closeness.rank, m.item_id))

    def size(self) -> dict[str, int]:
        with self._lock:
            return {"bank_hashes": len(self._entries), "content_signals": len(self._slot_item)}
