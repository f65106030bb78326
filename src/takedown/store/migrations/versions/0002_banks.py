"""banks: banks of known hashes and their entries

Revision ID: 0002_banks
Revises: 0001
Create Date: 2026-11-25 11:30:00

Hand-written (each feature area is its own branch from the core schema).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0002_banks"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("child_safety", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("pdq_threshold", sa.Integer(), nullable=True),
        sa.Column("created_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "bank_hashes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bank_id", sa.String(length=40), nullable=False),
        sa.Column("signal", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "bank_id", "signal", "digest", name="uq_bank_hashes_bank_signal_digest"
        ),
    )
    op.create_index("ix_bank_hashes_bank_id", "bank_hashes", ["bank_id"])


def downgrade() -> None:
    op.drop_index("ix_bank_hashes_bank_id", table_name="bank_hashes")
    op.drop_table("bank_hashes")
    op.drop_table("banks")
