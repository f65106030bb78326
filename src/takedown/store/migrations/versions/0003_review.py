"""review: case claims, decisions, appeals, staff log-in sessions

Revision ID: 0003_review
Revises: 0001
Create Date: 2026-11-25 11:50:00

Hand-written (each feature area is its own branch from the core schema).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0003_review"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, takedown.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "case_claims",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        _time("claimed_at"),
        _time("last_active_at"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_claims_claimed_by", "case_claims", ["claimed_by"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("policy", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("appeal_id", sa.String(length=40), nullable=True),
        _time("at"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_decisions_case_at", "decisions", ["case_id", "at"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=20), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=True),
        sa.Column("content_id", sa.String(length=200), nullable=True),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("against_decision_id", sa.String(length=40), nullable=False),
        _time("created_at"),
        _time("resolved_at", nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.ForeignKeyConstraint(["against_decision_id"], ["decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appeals_case_id", "appeals", ["case_id"])
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        _time("created_at"),
        _time("last_seen_at"),
        _time("expires_at"),
        _time("ended_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_sessions_user_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index("ix_appeals_case_id", table_name="appeals")
    op.drop_table("appeals")
    op.drop_index("ix_decisions_case_at", table_name="decisions")
    op.drop_table("decisions")
    op.drop_index("ix_case_claims_claimed_by", table_name="case_claims")
    op.drop_table("case_claims")
