"""Tables. The case row is a projection of its events; events are never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from takedown.store.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Account(Base):
    """An account on the platform that uploaded content."""

    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ContentItem(Base):
    """One upload on the platform, known by the platform's own id."""

    __tablename__ = "content_items"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    content_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"))
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(20), default="visible")
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Items without media (a message, a post, a profile) carry their text instead, kept for
    # review and evidence like media (migration 0006_public). `kind`: domain.vocabulary.ItemKind.
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What the public sees the item called (a video's title): shown to reporters instead of
    # the platform's internal id.
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The platform's latest view count and when it said so; each figure is also kept in
    # store.exposure so exposure after the first report can be measured.
    views: Mapped[int | None] = mapped_column(Integer, nullable=True)
    views_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    signals: Mapped[list[ContentSignal]] = relationship(
        back_populates="item", cascade="all, delete-orphan", lazy="selectin"
    )


class ContentSignal(Base):
    """A hash of an item's media. The media themselves are not kept here."""

    __tablename__ = "content_signals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("content_items.id"), index=True)
    signal: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)

    item: Mapped[ContentItem] = relationship(back_populates="signals")

    # Only digests are looked up by value; perceptual values (video features, keypoints) run
    # to kilobytes, past what a PostgreSQL B-tree entry holds, and go through the match index.
    # A new exact signal type needs a migration widening this (0011_exact_value_index).
    __table_args__ = (
        Index(
            "ix_content_signals_signal_value",
            "signal",
            "value",
            postgresql_where=text("signal IN ('md5', 'sha256')"),
            sqlite_where=text("signal IN ('md5', 'sha256')"),
        ),
    )


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    priority: Mapped[str] = mapped_column(String(2), index=True)
    state: Mapped[str] = mapped_column(String(30), index=True)
    category: Mapped[str] = mapped_column(String(50))
    child_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    restrict_required: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the deadline sweep next has a step to take (halfway, then the deadline); None once
    # decided or breached. Derived in case_projection.apply from the fields above (0012_due_cases).
    next_escalation_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, index=True
    )
    # The TAKE IT DOWN Act's 48-hour removal clock, apart from the decision deadline
    # (services.take_it_down; migration 0004_enforcement).
    removal_due_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, index=True
    )
    removal_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    removal_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    removal_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when the case is about an account rather than one item (a report naming only an
    # account): its registered items are listed on the case (migration 0006_public).
    subject_account_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    # The head of the case's event chain (services.case_log): how many events it has and the
    # hash of the last, so deleting the newest event is as visible as editing an old one.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    event_hash: Mapped[str] = mapped_column(String(64), default="")

    reports: Mapped[list[Report]] = relationship(
        back_populates="case", order_by="Report.created_at", lazy="selectin"
    )
    links: Mapped[list[CaseItem]] = relationship(
        back_populates="case", order_by="CaseItem.linked_at", lazy="selectin"
    )


class CaseItem(Base):
    """A content item that belongs to a case: the reported one and every copy of it."""

    __tablename__ = "case_items"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("content_items.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="reported")

    case: Mapped[Case] = relationship(back_populates="links")
    item: Mapped[ContentItem] = relationship(lazy="joined")


class Report(Base):
    __tablename__ = "reports"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    content_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True, index=True)
    # The account a report names instead of an item (migration 0006_public).
    account_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    category: Mapped[str] = mapped_column(String(50))
    reporter_role: Mapped[str] = mapped_column(String(30))
    depicts_minor: Mapped[bool] = mapped_column(Boolean, default=False)
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    reporter_account_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Who reported, as a keyed hash: enough to count distinct reporters, not to identify anyone.
    reporter_key: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(2))
    status_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="report")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # A TAKE IT DOWN Act request: the depicted person's good-faith statement and their own
    # electronic signature (migration 0004_enforcement). Optional on every other report.
    good_faith_statement: Mapped[bool] = mapped_column(Boolean, default=False)
    signature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The platform key that forwarded the report (API.md, "Reports forwarded by the platform");
    # only then is reporter_account_id more than a claim (migration 0006_intake).
    forwarded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    case: Mapped[Case] = relationship(back_populates="reports")


class CaseEvent(Base):
    """One step in a case's history. Append-only: no code path updates or deletes these."""

    __tablename__ = "case_events"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the event did to the case row (domain.case_projection); rebuilding a case applies
    # these in order. Chained by hash: `hash` covers every field here and `prev_hash`.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)


class Webhook(Base):
    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxJob(Base):
    """A side effect recorded in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Makes enqueuing idempotent: the same side effect is recorded once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Which worker holds the lease: "host:pid:nonce", so a restarted process can free the
    # leases its killed predecessor on the same host left behind.
    locked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Which queue's workers run it (takedown.jobs), and the lane within it (one webhook
    # endpoint) that may hold only a few of that queue's slots at once.
    queue: Mapped[str | None] = mapped_column(String(30), nullable=True)
    lane: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_queue_due", "status", "queue", "next_attempt_at"),
        Index("ix_outbox_lane", "lane", "status"),
    )


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class User(Base):
    """A staff member who logs in to the web pages."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
