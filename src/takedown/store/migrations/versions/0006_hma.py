"""HMA-compatible API and match quality: bank suppression, HMA ratios, entry grouping and
flags, flood counts, exchange configurations

Revision ID: 0006_hma
Revises: 0005_bank_hash_case
Create Date: 2026-12-01 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0006_hma"
down_revision: str | Sequence[str] | None = "0005_bank_hash_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("banks") as batch:
        batch.add_column(
            sa.Column("suppression", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("enabled_ratio", sa.Float(), nullable=False, server_default="1.0")
        )
        batch.add_column(
            sa.Column("deleted_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("bank_hashes") as batch:
        batch.add_column(sa.Column("entry_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "disabled_until", takedown.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.add_column(sa.Column("entry_metadata", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column(
                "quarantined_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.create_index("ix_bank_hashes_entry_id", ["entry_id"])
    op.create_table(
        "bank_entry_hits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hash_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hash_id"], ["bank_hashes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash_id", "item_id", name="uq_bank_entry_hits_hash_item"),
    )
    op.create_index("ix_bank_entry_hits_hash_id", "bank_entry_hits", ["hash_id"])
    op.create_table(
        "hma_exchanges",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("api", sa.String(length=50), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "hma_exchange_apis",
        sa.Column("api", sa.String(length=50), nullable=False),
        sa.Column("credentials", sa.JSON(), nullable=True),
        sa.Column("updated_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("api"),
    )


def downgrade() -> None:
    op.drop_table("hma_exchange_apis")
    op.drop_table("hma_exchanges")
    op.drop_index("ix_bank_entry_hits_hash_id", table_name="bank_entry_hits")
    op.drop_table("bank_entry_hits")
    with op.batch_alter_table("bank_hashes") as batch:
        batch.drop_index("ix_bank_hashes_entry_id")
        batch.drop_column("quarantined_at")
        batch.drop_column("entry_metadata")
        batch.drop_column("disabled_until")
        batch.drop_column("entry_id")
    with op.batch_alter_table("banks") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("enabled_ratio")
        batch.drop_column("suppression")
