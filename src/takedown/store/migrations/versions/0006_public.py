"""items without media (kind, text, views), reports and cases about an account

Revision ID: 0006_public
Revises: 0005_bank_hash_case
Create Date: 2026-12-01 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0006_public"
down_revision: str | Sequence[str] | None = "0005_bank_hash_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("content_items") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("views", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("views_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "content_view_counts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("observed_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_content_view_counts_item_at", "content_view_counts", ["item_id", "observed_at"]
    )
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("account_id", sa.String(length=200), nullable=True))
        batch.create_index("ix_reports_account_id", ["account_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("subject_account_id", sa.String(length=200), nullable=True))
        batch.create_index("ix_cases_subject_account_id", ["subject_account_id"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_subject_account_id")
        batch.drop_column("subject_account_id")
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_account_id")
        batch.drop_column("account_id")
    op.drop_index("ix_content_view_counts_item_at", table_name="content_view_counts")
    op.drop_table("content_view_counts")
    with op.batch_alter_table("content_items") as batch:
        batch.drop_column("views_at")
        batch.drop_column("views")
        batch.drop_column("text")
        batch.drop_column("kind")
