"""who counts as a reporter, and limits: forwarded reports, staff log-in attempts

Revision ID: 0006_intake
Revises: 0005_bank_hash_case
Create Date: 2026-12-01 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0006_intake"
down_revision: str | Sequence[str] | None = "0005_bank_hash_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("forwarded_by", sa.String(length=200), nullable=True))
    op.create_table(
        "staff_login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_staff_login_attempts_name_at", "staff_login_attempts", ["name", "at"], unique=False
    )
    op.create_index(
        "ix_staff_login_attempts_address_at",
        "staff_login_attempts",
        ["address", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_staff_login_attempts_address_at", table_name="staff_login_attempts")
    op.drop_index("ix_staff_login_attempts_name_at", table_name="staff_login_attempts")
    op.drop_table("staff_login_attempts")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("forwarded_by")
