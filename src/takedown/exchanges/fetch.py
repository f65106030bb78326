"""Checkpointed, resumable fetches that fill one bank per exchange.

Each page the API yields is stored in one transaction together with the checkpoint after it:
a fetch killed between pages resumes from the last stored page, and one killed inside a page
stored nothing of it. Records are keyed as the API keys them, so a page read twice (after a
kill, a retry or an out-of-order window read again) updates the same rows instead of adding
copies. A failed page is retried once from the stored checkpoint, less any paging link (which
may have gone stale); if it fails again the fetch stops there, failed, and the next one starts
from the same place, so nothing after the failure is skipped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from takedown.clock import Clock
from takedown.config import Settings
from takedown.exchanges import clients
from takedown.exchanges.records import UpstreamHash, hashes_of, record_key
from takedown.jobs import EXCHANGES, Job, JobContext, RetryPolicy, Sweep
from takedown.services import banks
from takedown.services.errors import NotFound
from takedown.store.banks import Bank, BankHash, HmaExchange, HmaExchangeApi
from takedown.store.database import transaction
from takedown.store.exchanges import ExchangeEntry, ExchangeFetch

log = logging.getLogger("takedown.exchanges")

EXCHANGE_FETCH = "exchange.fetch"
ACTOR = "exchange:{}"
# A fetch stops after this many pages and lets the next job go on, so one job stays well
# inside the worker's lease.
PAGES_PER_JOB = 200


@dataclass(frozen=True)
class FetchOutcome:
    exchange: str
    pages: int
    items: int
    succeeded: bool
    up_to_date: bool
    error: str | None = None


def _state(session: Session, name: str) -> ExchangeFetch:
    state = session.get(ExchangeFetch, name)
    if state is None:
        state = ExchangeFetch(exchange=name, last_items=0, up_to_date=False)
        session.add(state)
        session.flush()
    return state


def _bank(session: Session, name: str) -> Bank:
    bank = session.scalars(select(Bank).where(Bank.name == name, Bank.deleted_at.is_(None))).first()
    if bank is None:
        raise NotFound(f"exchange {name!r} has no bank", "bank_not_found")
    return bank


def apply_delta(
    session: Session,
    exchange: str,
    bank: Bank,
    records: dict[str, list[UpstreamHash]],
    now: datetime,
) -> set[int]:
    """Store one page: new records banked, records seen again refreshed, records deleted or
    emptied upstream marked deleted, and bank entries no live record holds retired. Returns
    the bank entry ids the page touched."""
    wanted = [h for hashes in records.values() for h in hashes]
    if wanted:
        entries = [banks.HashEntry(h.signal, h.value, note=f"exchange {exchange}") for h in wanted]
        banks.add_hashes(session, bank, entries, ACTOR.format(exchange), now)
    ids = {
        (row.signal, row.digest): row.id
        for row in session.scalars(
            select(BankHash).where(
                BankHash.bank_id == bank.id,
                BankHash.digest.in_(sorted({banks.digest(h.value) for h in wanted})),
            )
        )
    }
    existing: dict[str, list[ExchangeEntry]] = defaultdict(list)
    for row in session.scalars(
        select(ExchangeEntry).where(
            ExchangeEntry.exchange == exchange, ExchangeEntry.record_key.in_(sorted(records))
        )
    ):
        existing[row.record_key].append(row)
    touched: set[int] = set()
    for key, hashes in records.items():
        rows = {row.hash_id: row for row in existing.get(key, [])}
        keep: set[int] = set()
        for h in hashes:
            hash_id = ids[(h.signal, banks.digest(h.value))]
            keep.add(hash_id)
            row = rows.get(hash_id) or ExchangeEntry(
                exchange=exchange,
                record_key=key,
                hash_id=hash_id,
                first_seen=now,
            )
            if hash_id not in rows:
                session.add(row)
                rows[hash_id] = row
            row.upstream_id = h.upstream_id
            row.upstream_signal = h.upstream_signal
            row.member = h.member
            row.tags = list(h.tags)
            row.last_seen = now
            row.deleted_at = None
        for hash_id, row in rows.items():
            if hash_id not in keep and row.deleted_at is None:
                row.deleted_at = now
        touched |= set(rows)
    session.flush()
    retire_orphans(session, touched, now)
    return touched


def retire_orphans(session: Session, hash_ids: set[int], now: datetime) -> int:
    """Retire the bank entries among these that no live upstream record holds any more."""
    if not hash_ids:
        return 0
    live = set(
        session.scalars(
            select(ExchangeEntry.hash_id).where(
                ExchangeEntry.hash_id.in_(sorted(hash_ids)), ExchangeEntry.deleted_at.is_(None)
            )
        )
    )
    retired = 0
    for row in session.scalars(select(BankHash).where(BankHash.id.in_(sorted(hash_ids - live)))):
        if row.retired_at is None:
            row.retired_at = now
            retired += 1
    return retired


def _snapshot_removals(session: Session, exchange: str, started: datetime, now: datetime) -> None:
    """After a complete fetch of a whole-list exchange, records it no longer lists are gone."""
    gone = list(
        session.scalars(
            select(ExchangeEntry).where(
                ExchangeEntry.exchange == exchange,
                ExchangeEntry.deleted_at.is_(None),
                ExchangeEntry.last_seen < started,
            )
        )
    )
    for row in gone:
        row.deleted_at = now
    session.flush()
    retire_orphans(session, {row.hash_id for row in gone}, now)


def fetch_exchange(
    sessions: sessionmaker[Session],
    name: str,
    settings: Settings,
    clock: Clock,
    max_pages: int | None = PAGES_PER_JOB,
) -> FetchOutcome:
    """Fetch one exchange from its stored checkpoint; `max_pages` bounds this run (the rest
    is left for the next run, from the checkpoint stored with the last page)."""
    started = clock.now()
    with transaction(sessions) as session:
        exchange = session.get(HmaExchange, name)
        if exchange is None:
            raise NotFound(f"no exchange named {name!r}", "exchange_not_found")
        api_name, config = exchange.api, dict(exchange.config)
        creds_row = session.get(HmaExchangeApi, api_name)
        credentials = creds_row.credentials if creds_row is not None else None
        state = _state(session, name)
        state.running_since = started
        state.last_started_at = started
        stored = state.checkpoint
    pages = items = 0
    error: str | None = None
    complete = False
    try:
        api = clients.build(api_name, config, credentials, settings)
        collab = clients.collab_config(api_name, config)
        checkpoint = clients.load_checkpoint(api_name, stored)
        retries = 1
        while True:
            try:
                for delta in api.fetch_iter(clients.SIGNAL_TYPES, checkpoint):
                    records = {
                        record_key(key): hashes_of(api_name, key, value, collab)
                        for key, value in delta.updates.items()
                    }
                    now = clock.now()
                    with transaction(sessions) as session:
                        apply_delta(session, name, _bank(session, name), records, now)
                        state = _state(session, name)
                        state.checkpoint = clients.dump_checkpoint(delta.checkpoint)
                        state.checkpoint_ts = delta.checkpoint.get_progress_timestamp()
                    checkpoint = delta.checkpoint
                    pages += 1
                    items += len(records)
                    if max_pages is not None and pages >= max_pages:
                        break
                else:
                    complete = True
                break
            except Exception as exc:
                if retries <= 0:
                    raise
                retries -= 1
                log.warning("exchange %s: page failed (%s); retrying from checkpoint", name, exc)
                checkpoint = clients.without_cursor(checkpoint)
    except Exception as exc:  # any upstream failure: recorded, and the next fetch resumes
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("exchange %s: fetch failed after %s pages: %s", name, pages, error)
    now = clock.now()
    with transaction(sessions) as session:
        state = _state(session, name)
        if error is not None and state.checkpoint is not None:
            cp = clients.without_cursor(clients.load_checkpoint(api_name, state.checkpoint))
            state.checkpoint = clients.dump_checkpoint(cp)
        if complete and clients.is_snapshot(api_name):
            _snapshot_removals(session, name, started, now)
        state.running_since = None
        state.last_finished_at = now
        state.last_succeeded = error is None
        state.last_error = error
        state.last_items = items
        state.up_to_date = complete and error is None
    return FetchOutcome(name, pages, items, error is None, complete and error is None, error)


# -- running fetches from the worker ----------------------------------------------------------


def schedule_fetches(session: Session, now: datetime, every: timedelta) -> int:
    """The worker's periodic sweep: queue a fetch for each enabled exchange whose last one
    started `every` ago or more (one job per exchange and period, however many sweeps run)."""
    queued = 0
    for exchange in session.scalars(select(HmaExchange).where(HmaExchange.enabled.is_(True))):
        state = session.get(ExchangeFetch, exchange.name)
        last = state.last_started_at if state is not None else None
        if last is not None and now - last < every:
            continue
        slot = int(now.timestamp() // max(every.total_seconds(), 1))
        EXCHANGE_FETCH_JOB.enqueue(
            session,
            {"exchange": exchange.name},
            now,
            dedupe_key=f"{EXCHANGE_FETCH}:{exchange.name}:{slot}",
        )
        queued += 1
    return queued


def _run_fetch(ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime) -> None:
    name = str(payload["exchange"])
    if session.get(HmaExchange, name) is None:
        return  # deleted since it was queued
    fetch_exchange(ctx.sessions, name, ctx.settings, ctx.clock)


# A failed fetch is recorded in the exchange's health and tried again at the next period, not
# by the outbox: its checkpoint is the retry.
EXCHANGE_FETCH_JOB = Job(
    EXCHANGE_FETCH, _run_fetch, queue=EXCHANGES, retry=RetryPolicy(give_up_after=timedelta(0))
)


def _schedule(ctx: JobContext, session: Session, now: datetime) -> int:
    return schedule_fetches(session, now, timedelta(seconds=ctx.settings.exchange_fetch_seconds))


FETCH_SCHEDULE_SWEEP = Sweep("exchanges.schedule", _schedule)
