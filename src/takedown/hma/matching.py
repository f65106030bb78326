"""HMA's matcher over Takedown's match index: lookups, raw lookups, index status, compare.

Every lookup first pulls the rows added since the last one (services.match_index; rows from
other processes at most FOLLOW_SECONDS late), so content banked through
`/hma/c/bank/{NAME}/content` is found by the very next `/hma/m/lookup` of that process, where
HMA itself waits for its next index build. What may answer follows services.match_policy:
retired, deleted and disabled entries do not; suppression banks veto and are never answered;
quarantined entries answer raw lookups only, since an HMA client acts on what `lookup` says.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.hma.errors import HmaError
from takedown.hma.signals import SIGNALS, HmaSignal, hma_signal, pretty_distance, to_takedown
from takedown.services import match_policy
from takedown.services.match_index import BankMatch, Matcher, MediaQuery, frames_of
from takedown.signals import pdq as pdq_signal
from takedown.signals.vpdq import match_video
from takedown.store.banks import Bank, BankHash


def enabled_signal(name: str) -> HmaSignal:
    signal = hma_signal(name)
    if signal is None:
        raise HmaError(400, f"No such SignalType '{name}'", "invalid_signal_type")
    return signal


def checked_value(signal: HmaSignal, value: str) -> str:
    try:
        return to_takedown(signal, value)
    except ValueError as exc:
        raise HmaError(400, f"invalid signal: {exc}", "invalid_signal") from None


def _index_matches(matcher: Matcher, signal: HmaSignal, value: str) -> list[BankMatch]:
    return matcher.match_banks(MediaQuery.of_hash(signal.takedown, value))


def _distances(
    session: Session, matcher: Matcher, signal: HmaSignal, value: str, found: Sequence[BankMatch]
) -> dict[int, str]:
    """HMA's distance string per bank entry; vPDQ's needs both match percentages."""
    out = {}
    values: dict[int, str] = {}
    if signal.takedown == "vpdq" and found:
        ids = [m.entry.hash_id for m in found]
        values = dict(
            session.execute(select(BankHash.id, BankHash.value).where(BankHash.id.in_(ids))).all()
        )
    query = frames_of(value) if values else []
    for m in found:
        percents = None
        if m.entry.hash_id in values:
            result = match_video(
                query,
                frames_of(values[m.entry.hash_id]),
                pdq_threshold=matcher.pdq_threshold,
                quality_min=matcher.quality_min,
            )
            percents = (result.query_match_percent, result.compared_match_percent)
        out[m.entry.hash_id] = pretty_distance(signal.takedown, m.closeness.distance or 0, percents)
    return out


def coinflip(seed: str | None, bypass: bool) -> float:
    """HMA's per-lookup draw against each bank's matching_enabled_ratio; the same seed (a
    content id) always draws the same, so one item is matched consistently."""
    return 0.0 if bypass else random.Random(seed).random()


def lookup(
    session: Session,
    matcher: Matcher,
    signal: HmaSignal,
    value: str,
    now: datetime,
    draw: float,
    banks: set[str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """`{bank name: [{"bank_content_id", "distance"}]}` for one signal, as HMA's lookup."""
    found = _index_matches(matcher, signal, value)
    standing = [
        m
        for m in match_policy.live(session, found, now, matcher.pdq_threshold)
        if not m.quarantined
    ]
    names = {m.entry.bank for m in standing}
    ratios = dict(
        session.execute(select(Bank.name, Bank.enabled_ratio).where(Bank.name.in_(names))).all()
    )
    enabled = {name for name in names if ratios.get(name, 1.0) >= draw}
    if banks is not None:
        enabled &= banks
    distances = _distances(session, matcher, signal, value, standing)
    best: dict[tuple[str, int], tuple[tuple[float, float], str]] = {}
    for m in standing:
        if m.entry.bank not in enabled:
            continue
        key = (m.entry.bank, m.bank_content_id)
        if key not in best or m.closeness.rank < best[key][0]:
            best[key] = (m.closeness.rank, distances[m.entry.hash_id])
    out: dict[str, list[dict[str, Any]]] = {}
    for (bank, content_id), (_, distance) in sorted(best.items()):
        out.setdefault(bank, []).append({"bank_content_id": content_id, "distance": distance})
    return out


def raw_lookup(
    session: Session,
    matcher: Matcher,
    signal: HmaSignal,
    value: str,
    banks: set[str] | None,
) -> list[tuple[int, str]]:
    """Every entry still in a bank that the hash matches, enabled or not (HMA's raw lookup
    checks no enable state): (content id, distance), nearest first."""
    found = _index_matches(matcher, signal, value)
    states = match_policy.entry_states(session, [m.entry.hash_id for m in found])
    kept = [
        m
        for m in found
        if (s := states.get(m.entry.hash_id)) is not None
        and not (s.retired or s.deleted)
        and (banks is None or s.bank in banks)
    ]
    distances = _distances(session, matcher, signal, value, kept)
    best: dict[int, tuple[tuple[float, float], str]] = {}
    for m in kept:
        content_id = states[m.entry.hash_id].content_id
        if content_id not in best or m.closeness.rank < best[content_id][0]:
            best[content_id] = (m.closeness.rank, distances[m.entry.hash_id])
    ordered = sorted(best.items(), key=lambda kv: (kv[1][0], -kv[0]))
    return [(content_id, distance) for content_id, (_, distance) in ordered]


def index_sizes(session: Session) -> dict[str, tuple[int, int]]:
    """Per HMA signal: (entries that answer, unix time of the newest), from the database the
    index follows at every lookup, so the index is never behind it."""
    out = {}
    for name, signal in SIGNALS.items():
        count, newest = session.execute(
            select(func.count(), func.max(BankHash.added_at))
            .join(Bank, Bank.id == BankHash.bank_id)
            .where(
                BankHash.signal == signal.takedown,
                BankHash.retired_at.is_(None),
                Bank.deleted_at.is_(None),
            )
        ).one()
        out[name] = (int(count or 0), int(newest.timestamp()) if newest is not None else 0)
    return out


def selected_signals(name: str | None) -> list[str]:
    if name is None:
        return list(SIGNALS)
    signal = hma_signal(name)
    if signal is None:
        raise HmaError(400, f"No such signal type '{name}'", "invalid_signal_type")
    return [signal.name]


def compare(matcher: Matcher, body: object) -> dict[str, Any]:
    """`{signal type: [left, right]}` to `{signal type: [matched, {"distance": n}]}`."""
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict", "invalid_request")
    out: dict[str, Any] = {}
    for name, pair in body.items():
        if not isinstance(pair, list):
            raise HmaError(400, f"Comparison hashes for {name} was not a list", "invalid_request")
        if len(pair) != 2:
            raise HmaError(400, "Comparison hash list length must be exactly 2", "invalid_request")
        signal = enabled_signal(name)
        try:
            left, right = (to_takedown(signal, v) for v in pair)
        except ValueError as exc:
            raise HmaError(400, f"Invalid {name} hash: {exc}", "invalid_signal") from None
        if signal.takedown == "pdq":
            distance = pdq_signal.hamming(left, right)
            out[name] = [distance <= matcher.pdq_threshold, {"distance": distance}]
        elif signal.takedown == "vpdq":
            result = match_video(
                frames_of(left),
                frames_of(right),
                pdq_threshold=matcher.pdq_threshold,
                quality_min=matcher.quality_min,
            )
            out[name] = [
                result.matched,
                {
                    "query_match_percent": result.query_match_percent,
                    "compared_match_percent": result.compared_match_percent,
                },
            ]
        else:
            out[name] = [left == right, {"distance": 0 if left == right else 1}]
    return out
