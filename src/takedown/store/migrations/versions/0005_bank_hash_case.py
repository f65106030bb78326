"""bank hashes remember their case and can be retired; outbox leases name their holder

Revision ID: 0005_bank_hash_case
Revises: 0002_banks, 0003_review, 0004_enforcement
Create Date: 2026-11-25 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0005_bank_hash_case"
down_revision: str | Sequence[str] | None = ("0002_banks", "0003_review", "0004_enforcement")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_hashes") as batch:
        batch.add_column(sa.Column("case_id", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("retired_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("locked_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("locked_by")
    with op.batch_alter_table("bank_hashes") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("case_id")
