"""Each exchange's health: its last fetch, whether it succeeded, how many items it holds and
how far behind upstream it is. One reading serves `/hma/c/exchange/{name}/status` (exactly
HMA's FetchStatus, whose `checkpoint_ts` gives the lag), and, with the last error and the lag
spelled out, the staff page, the CLI and `/metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takedown.store.banks import HmaExchange
from takedown.store.exchanges import ExchangeEntry, ExchangeFetch


@dataclass(frozen=True)
class ExchangeHealth:
    name: str
    api: str
    enabled: bool
    checkpoint_ts: int | None
    running_since: datetime | None
    last_finished_at: datetime | None
    last_succeeded: bool | None
    last_error: str | None
    items: int
    up_to_date: bool

    def lag_seconds(self, now: datetime) -> float | None:
        """How far the stored checkpoint trails now; None before anything was fetched."""
        if self.checkpoint_ts is None:
            return None
        return max(0.0, now.timestamp() - self.checkpoint_ts)

    def as_fetch_status(self, now: datetime) -> dict[str, Any]:
        def ts(at: datetime | None) -> int | None:
            return int(at.timestamp()) if at is not None else None

        return {
            "checkpoint_ts": self.checkpoint_ts,
            "running_fetch_start_ts": ts(self.running_since),
            "last_fetch_complete_ts": ts(self.last_finished_at),
            "last_fetch_succeeded": self.last_succeeded,
            "up_to_date": self.up_to_date,
            "fetched_items": self.items,
        }

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The FetchStatus with what HMA leaves out: the last error and the lag."""
        return {
            **self.as_fetch_status(now),
            "last_error": self.last_error,
            "lag_seconds": self.lag_seconds(now),
        }


def health(session: Session, exchange: HmaExchange) -> ExchangeHealth:
    state = session.get(ExchangeFetch, exchange.name)
    items = session.scalar(
        select(func.count(func.distinct(ExchangeEntry.hash_id))).where(
            ExchangeEntry.exchange == exchange.name, ExchangeEntry.deleted_at.is_(None)
        )
    )
    return ExchangeHealth(
        name=exchange.name,
        api=exchange.api,
        enabled=exchange.enabled,
        checkpoint_ts=state.checkpoint_ts if state else None,
        running_since=state.running_since if state else None,
        last_finished_at=state.last_finished_at if state else None,
        last_succeeded=state.last_succeeded if state else None,
        last_error=state.last_error if state else None,
        items=items or 0,
        up_to_date=bool(state.up_to_date) if state else False,
    )


def all_health(session: Session) -> list[ExchangeHealth]:
    exchanges = session.scalars(select(HmaExchange).order_by(HmaExchange.name))
    return [health(session, exchange) for exchange in exchanges]
