"""Tables for what happens after a decision: evidence, legal holds and CyberTipline filings.

The database holds only the bookkeeping of evidence (status, sizes, digests, where and until
when it is kept); the media and their metadata live encrypted in files under the data folder
(`services.evidence`), so a database dump or replica never carries abuse material.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takedown.store.models import Base
from takedown.store.types import UTCDateTime


class EvidenceRecord(Base):
    """The preserved copy of one item's media and metadata (encrypted on disk, never here).

    `status`: `pending` (capture queued), `stored`, `unavailable` (nothing could be fetched),
    `purged` (retention ended). `retain_until` None means "keep": nothing decides its end yet.
    """

    __tablename__ = "evidence_records"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("content_items.id"), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    content_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    source: Mapped[str | None] = mapped_column(String(20), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class LegalHold(Base):
    """A hold set by role `legal`: the case's evidence outlives its retention until released."""

    __tablename__ = "legal_holds"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Filing(Base):
    """One CyberTipline report for one case, and how far sending it has got.

    `status`: `pending` (not yet accepted by submit), `submitted` (NCMEC gave a report id; files
    may be in progress), `accepted` (finished), `failed` (gave up after the retry window),
    `invalid` (the report did not pass validation, ours or NCMEC's; a person must fix the data).
    `last_error`: JSON `{"reason", "fix", "ncmec_response_code", "request_id"}`
    (services.filing.problem_of reads it, and plain text written before).
    """

    __tablename__ = "filings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    ncmec_report_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_xml: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    files: Mapped[list[FilingFile]] = relationship(
        back_populates="filing", order_by="FilingFile.id", lazy="selectin"
    )


class FilingFile(Base):
    """One file of a filing: uploaded (NCMEC's file id) and described (`fileDetails` sent)."""

    __tablename__ = "filing_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_records.id"))
    content_id: Mapped[str] = mapped_column(String(200))
    ncmec_file_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    details_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    filing: Mapped[Filing] = relationship(back_populates="files")

    __table_args__ = (UniqueConstraint("filing_id", "evidence_id", name="uq_filing_files"),)
