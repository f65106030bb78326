"""Tables of the review workspace: claims, decisions, appeals and staff log-in sessions.

A decision row is the structured twin of its `decide` event: the event is the history the
reporter and auditors read, the row is what the two-person rule and the appeal rule query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from takedown.store.models import Base
from takedown.store.types import UTCDateTime


class CaseClaim(Base):
    """A case held by one reviewer. The primary key makes "two reviewers, one case" impossible.

    A claim lapses when `last_active_at` is older than the idle limit; the next claimant takes
    it over (and the lapse is recorded as a `release` event).
    """

    __tablename__ = "case_claims"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(200), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Decision(Base):
    """One person's decision on a case, at one stage (`first`, `second` or `appeal`).

    `final` is False for a child-safety dismissal waiting for a second, senior reviewer
    (DESIGN rule 5: no silent dismissal).
    """

    __tablename__ = "decisions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    policy: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(10))
    final: Mapped[bool] = mapped_column(Boolean)
    appeal_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_decisions_case_at", "case_id", "at"),)


class Appeal(Base):
    """A request to look again: by a reporter against a dismissal, or by the uploader (relayed
    by the platform) against a removal. It goes to a lead who has not decided the case."""

    __tablename__ = "appeals"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    by: Mapped[str] = mapped_column(String(20))
    report_id: Mapped[str | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    content_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    against_decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class StaffSession(Base):
    """A staff member's log-in. The cookie carries the signed id; only its hash is stored, so a
    database reader cannot take over a session. Log-out and disabling the user end it."""

    __tablename__ = "staff_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
