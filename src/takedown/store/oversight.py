"""Tables for oversight: each case's measures and the settings leads change from the
dashboard (the reviewers' daily reveal cap), and statements of reasons on their way to the
EU's Transparency Database. View counts are `store.exposure`'s.

`case_measures` is a projection like the case row: `services.measures` recomputes it from the
case's events whenever one is recorded, so it can always be rebuilt from the history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from takedown.store.models import Base
from takedown.store.types import UTCDateTime


class CaseMeasure(Base):
    """How long each step of a case took, counted from its first report (or bank match)."""

    __tablename__ = "case_measures"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    first_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_to_restriction_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    report_to_decision_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    report_to_removal_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    filing_delay_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    deadline_met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    take_it_down_met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    views_after_first_report: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Whether the case was acted on by rule alone (a bank match), with no human decision.
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_case_measures_first_report_at", "first_report_at"),)


class OversightSetting(Base):
    """A setting leads and admins change at run time (the environment gives the default)."""

    __tablename__ = "oversight_settings"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DsaSubmission(Base):
    """A statement of reasons queued for the EU's Transparency Database, by its `puid` (the
    id of the case event that recorded the decision). `status`: `pending`, `submitted`."""

    __tablename__ = "dsa_submissions"
    puid: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_dsa_submissions_status_created", "status", "created_at"),)
