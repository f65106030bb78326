"""Hash exchanges: each exchange's fetch state and where every entry it banked came from.

An exchange (store.banks.HmaExchange) fills the bank of its name. `ExchangeFetch` keeps the
checkpoint a fetch resumes from and the health the status routes and `/metrics` report.
`ExchangeEntry` is one upstream record's hash in that bank: the API's own record key, the
upstream id and member, its tags, and when it was first and last seen. An upstream deletion
sets `deleted_at`; a bank entry no live record holds any more is retired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from takedown.store.models import Base
from takedown.store.types import UTCDateTime


class ExchangeFetch(Base):
    """The fetch state of one exchange: its checkpoint, the running fetch and the last one."""

    __tablename__ = "exchange_fetches"
    exchange: Mapped[str] = mapped_column(String(100), primary_key=True)
    # python-threatexchange's checkpoint dataclass for the exchange's API, as JSON.
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The checkpoint's progress timestamp (epoch seconds): fetched up to here.
    checkpoint_ts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_succeeded: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Upstream records received by the last fetch (every page, kept or not).
    last_items: Mapped[int] = mapped_column(Integer, default=0)
    up_to_date: Mapped[bool] = mapped_column(Boolean, default=False)


class ExchangeEntry(Base):
    """One hash of one upstream record, banked in the exchange's bank."""

    __tablename__ = "exchange_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exchange: Mapped[str] = mapped_column(String(100), index=True)
    # The API's key for the record (NCMEC `member-id`, StopNCII and files `type:value`): a
    # later page with the same key replaces the record.
    record_key: Mapped[str] = mapped_column(String(300))
    upstream_id: Mapped[str] = mapped_column(String(300))
    member: Mapped[str | None] = mapped_column(String(100), nullable=True)
    hash_id: Mapped[int] = mapped_column(ForeignKey("bank_hashes.id"), index=True)
    # The upstream signal type and fingerprint name (NCMEC `PDQ`, StopNCII `ImagePDQ`, ...),
    # which the feedback call names.
    upstream_signal: Mapped[str] = mapped_column(String(50))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("exchange", "record_key", "hash_id", name="uq_exchange_entries_record"),
    )
