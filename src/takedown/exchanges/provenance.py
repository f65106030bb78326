"""Which exchange and upstream record a bank entry came from, for matches to say so
(facebook/ThreatExchange #1681, #1827)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.store.exchanges import ExchangeEntry


def origins(session: Session, hash_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(exchange, upstream id) per bank entry id, from its earliest live upstream record."""
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    found: dict[int, tuple[str, str]] = {}
    for row in session.execute(
        select(ExchangeEntry.hash_id, ExchangeEntry.exchange, ExchangeEntry.upstream_id)
        .where(ExchangeEntry.hash_id.in_(ids), ExchangeEntry.deleted_at.is_(None))
        .order_by(ExchangeEntry.id)
    ):
        found.setdefault(row[0], (row[1], row[2]))
    return found
