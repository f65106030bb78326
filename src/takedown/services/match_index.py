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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from takedown.signals import SIGNAL_TYPES, indexed_signals
from takedown.signals.base import SignalIndex
from takedown.signals.hashing import PDQ_DIHEDRAL
from takedown.signals.index import PdqIndex
from takedown.signals.pdq import PDQ, QUALITY_MIN
from takedown.signals.vpdq import VideoMatch, VpdqFrame, match_video, parse_frames
from takedown.store.banks import Bank, BankHash
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

    def unseen(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if self.gaps:
            return or_(column > self.seen, column.in_(sorted(self.gaps)))
        return column > self.seen

    def saw(self, ids: list[int]) -> None:
        now = time.monotonic()
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
        self._lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        # Coalescing refreshes on PostgreSQL (`refresh`): numbered as they start and finish.
        self._refresh_turn = threading.Condition()
        self._refresh_running = False
        self._refresh_started = 0
        self._refresh_done = 0
        self._banks = _Side()
        self._entries: dict[int, BankEntry] = {}
        self._bank_follow = _Follower()
        self._max_threshold = pdq_threshold
        self._content = _Side()
        self._slot_item: dict[int, str] = {}  # content signal row id -> item id
        self._slot_quality: dict[int, int | None] = {}
        self._content_follow = _Follower()

    # -- following the database --------------------------------------------------------------

    # Rows read and applied per step of a refresh: a bulk load (an exchange adding millions
    # of hashes) is followed in bounded steps, so no step holds lookups up for long.
    REFRESH_BATCH = 10_000

    def refresh(self, session: Session) -> int:
        """Pull the bank hashes and content signals added since the last call; returns how
        many rows were added to the index.

        Refreshes take turns (`_refresh_lock`); lookups wait only while a batch's rows enter
        the maps (`_lock`), never for the database or for a PDQ index merge. Returns 0 to a
        caller another refresh served (PostgreSQL), whatever that refresh added.
        """
        if session.get_bind().dialect.name != "postgresql":
            with self._refresh_lock:
                return self._pull(session)
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
                added = self._pull(session)
            pulled = True
            return added
        finally:
            with self._refresh_turn:
                self._refresh_running = False
                if pulled:  # a failed refresh serves nobody: the next waiter runs its own
                    self._refresh_done = mine
                self._refresh_turn.notify_all()

    def _pull(self, session: Session) -> int:
        added = 0
        for step in (self._refresh_banks, self._refresh_content):
            while True:
                count = step(session)
                added += count
                if count < self.REFRESH_BATCH:
                    break
        return added

    def _refresh_banks(self, session: Session) -> int:
        rows = session.execute(
            select(
                BankHash.id,
                BankHash.signal,
                BankHash.value,
                Bank.id,
                Bank.name,
                Bank.action,
                Bank.child_safety,
                Bank.pdq_threshold,
            )
            .join(Bank, Bank.id == BankHash.bank_id)
            .where(self._bank_follow.unseen(BankHash.id))
            .order_by(BankHash.id)
            .limit(self.REFRESH_BATCH)
        ).all()
        pdq_ids, pdq_values = [], []
        pending: dict[str, tuple[list[int], list[str]]] = {
            n: ([], []) for n in self._banks.indexes
        }
        with self._lock:
            for hid, signal, value, bank_id, name, action, child_safety, threshold in rows:
                self._entries[hid] = BankEntry(
                    hid, bank_id, name, signal, action, child_safety, threshold
                )
                if threshold is not None:
                    self._max_threshold = max(self._max_threshold, threshold)
                if signal == "pdq":
                    pdq_ids.append(hid)
                    pdq_values.append(value)
                elif signal in pending:
                    pending[signal][0].append(hid)
                    pending[signal][1].append(value)
                elif signal == "vpdq":
                    self._banks.add_video(hid, frames_of(value))
        # Outside the lock: the entries are in, so a lookup that finds these ids can name
        # them, and the index lets lookups through while it merges.
        if pdq_ids:
            self._banks.pdq.add(pdq_ids, pdq_values)
        self._banks.add_values(pending)
        self._bank_follow.saw([r[0] for r in rows])
        return len(rows)

    def _refresh_content(self, session: Session) -> int:
        rows = session.execute(
            select(
                ContentSignal.id,
                ContentSignal.item_id,
                ContentSignal.signal,
                ContentSignal.value,
                ContentSignal.quality,
            )
            .where(
                ContentSignal.signal.in_(INDEXED_CONTENT_SIGNALS),
                self._content_follow.unseen(ContentSignal.id),
            )
            .order_by(ContentSignal.id)
            .limit(self.REFRESH_BATCH)
        ).all()
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
            self._content.pdq.add(pdq_ids, pdq_values)
        self._content.add_values(pending)
        self._content_follow.saw([r[0] for r in rows])
        return len(rows)

    # -- lookups -----------------------------------------------------------------------------

    def _pdq_usable(self, quality: int | None) -> bool:
        """Hashes below the quality floor are stored but never acted on alone (API.md)."""
        return PDQ.acts_alone(quality, self.quality_min)

    def entry(self, hash_id: int) -> BankEntry | None:
        with self._lock:
            return self._entries.get(hash_id)

    def banked_video(self, hash_id: int) -> list[VpdqFrame]:
        """The frames of a banked vPDQ entry (empty for other signals)."""
        with self._lock:
            return list(self._banks.videos.get(hash_id, []))

    def match_banks(self, query: MediaQuery) -> list[BankMatch]:
        """Bank entries the media matches, the nearest first; one result per entry."""
        with self._lock:
            best: dict[int, Closeness] = {}
            if query.pdq and self._pdq_usable(query.pdq_quality):
                for hid, distance in self._banks.pdq_hits(query.pdq, self._max_threshold).items():
                    entry = self._entries[hid]
                    limit = entry.pdq_threshold
                    if distance <= (self.pdq_threshold if limit is None else limit):
                        best[hid] = Closeness(distance=distance)
            for _, hid, distance in self._banks.signal_hits(query):
                best[hid] = Closeness(distance=distance)  # one signal per bank entry
            if query.vpdq:
                hits = self._banks.video_hits(query.vpdq, self.pdq_threshold, self.quality_min)
                for hid, video in hits.items():
                    best.setdefault(hid, Closeness(video=video))
            matches = [BankMatch(self._entries[hid], c) for hid, c in best.items()]
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
