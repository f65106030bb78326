"""Hash exchanges: fetch state and checkpoints, provenance of every exchange-filled entry

Revision ID: 0007_exchange
Revises: 0006_hma
Create Date: 2026-12-01 08:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0007_exchange"
down_revision: str | Sequence[str] | None = "0006_hma"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_fetches",
        sa.Column("exchange", sa.String(length=100), nullable=False),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("checkpoint_ts", sa.Integer(), nullable=True),
        sa.Column("running_since", takedown.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_started_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_finished_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_succeeded", sa.Boolean(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_items", sa.Integer(), nullable=False),
        sa.Column("up_to_date", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("exchange"),
    )
    op.create_table(
        "exchange_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("exchange", sa.String(length=100), nullable=False),
        sa.Column("record_key", sa.String(length=300), nullable=False),
        sa.Column("upstream_id", sa.String(length=300), nullable=False),
        sa.Column("member", sa.String(length=100), nullable=True),
        sa.Column("hash_id", sa.Integer(), nullable=False),
        sa.Column("upstream_signal", sa.String(length=50), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("first_seen", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hash_id"], ["bank_hashes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exchange", "record_key", "hash_id", name="uq_exchange_entries_record"),
    )
    op.create_index("ix_exchange_entries_exchange", "exchange_entries", ["exchange"])
    op.create_index("ix_exchange_entries_hash_id", "exchange_entries", ["hash_id"])


def downgrade() -> None:
    op.drop_index("ix_exchange_entries_hash_id", table_name="exchange_entries")
    op.drop_index("ix_exchange_entries_exchange", table_name="exchange_entries")
    op.drop_table("exchange_entries")
    op.drop_table("exchange_fetches")
