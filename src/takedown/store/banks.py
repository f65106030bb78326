"""Banks of known material: named lists of hashes, each with the action a match triggers.

The hashes themselves come from outside (NCMEC, industry lists) or from confirmed cases
(DESIGN rule 6). Rows are only ever added; their autoincrement `id` lets every process's match
index follow new rows without rebuilding (services.matching).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takedown.store.models import Base
from takedown.store.types import UTCDateTime


class Bank(Base):
    """A named list of hashes and what a match against it means."""

    __tablename__ = "banks"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # block | hold | review (domain.banks.BankAction)
    action: Mapped[str] = mapped_column(String(10))
    child_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # PDQ Hamming distance for this bank; None uses the installation's TAKEDOWN_PDQ_THRESHOLD.
    pdq_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    # A suppression bank holds known benign media that collide with banked hashes: its entries
    # never act, they veto perceptual matches of the same media (services.match_policy).
    suppression: Mapped[bool] = mapped_column(Boolean, default=False)
    # HMA's matching_enabled_ratio: the share of /hma lookups this bank answers (a coin flip per
    # lookup, seeded by the caller), for trying a new bank on part of the traffic first.
    enabled_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    # Set when the bank is deleted through /hma: entries stay (the index only grows and events
    # name them) but the bank no longer answers or acts, and its name is free again.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BankHash(Base):
    """One hash in a bank. `digest` (SHA-256 of the value) keeps long vPDQ values unique
    without indexing their full text, which PostgreSQL's B-tree could not hold."""

    __tablename__ = "bank_hashes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bank_id: Mapped[str] = mapped_column(ForeignKey("banks.id"), index=True)
    signal: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(String(200))
    # The case these media were reported in (a hash-only report); a later upload that matches
    # joins that case while it waits for a decision, so the reporter sees it too.
    case_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Set when the decision that banked this hash is reversed on appeal: the row stays (the
    # index only grows) but no longer acts. Banking the same hash again brings it back.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # HMA's bank content id, shared by the signals added together as one piece of content
    # (`/hma/c/bank/{NAME}/content`); None means the row is content of its own, id `id`.
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # HMA's disable_until_ts: until then the entry answers raw lookups only.
    disabled_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # HMA's content metadata (content_id, content_uri, json), kept as sent.
    entry_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Flood quarantine: the entry matched too many distinct items in an hour and no longer acts
    # on its own; a lead decides (services.match_policy).
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    bank: Mapped[Bank] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("bank_id", "signal", "digest", name="uq_bank_hashes_bank_signal_digest"),
    )


class BankEntryHit(Base):
    """One stored item a bank entry matched, at the latest time it did: the flood count."""

    __tablename__ = "bank_entry_hits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hash_id: Mapped[int] = mapped_column(ForeignKey("bank_hashes.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("hash_id", "item_id", name="uq_bank_entry_hits_hash_item"),)


class HmaExchange(Base):
    """An exchange configured through `/hma/c/exchanges`: HMA's collaboration config, kept as
    python-threatexchange's config dataclass serialises it. It fills the bank of its name."""

    __tablename__ = "hma_exchanges"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    api: Mapped[str] = mapped_column(String(50))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class HmaExchangeApi(Base):
    """Credentials for one exchange API (`/hma/c/exchanges/api/{api}`), as HMA stores them."""

    __tablename__ = "hma_exchange_apis"
    api: Mapped[str] = mapped_column(String(50), primary_key=True)
    credentials: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
