"""Banks of known material: named lists of hashes, each with the action a match triggers.

The hashes themselves come from outside (NCMEC, industry lists) or from confirmed cases
(DESIGN rule 6). Rows are only ever added; their autoincrement `id` lets every process's match
index follow new rows without rebuilding (services.matching).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
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

    bank: Mapped[Bank] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("bank_id", "signal", "digest", name="uq_bank_hashes_bank_signal_digest"),
    )
