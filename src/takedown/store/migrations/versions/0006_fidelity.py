"""content signals' value index leaves out video features (kilobytes at four frames a second)

Revision ID: 0006_fidelity
Revises: 0005_bank_hash_case
Create Date: 2026-12-01 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_fidelity"
down_revision: str | Sequence[str] | None = "0005_bank_hash_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_VIDEO = sa.text("signal <> 'vpdq'")


def upgrade() -> None:
    with op.batch_alter_table("content_signals") as batch:
        batch.drop_index("ix_content_signals_signal_value")
        batch.create_index(
            "ix_content_signals_signal_value",
            ["signal", "value"],
            unique=False,
            postgresql_where=NOT_VIDEO,
            sqlite_where=NOT_VIDEO,
        )


def downgrade() -> None:
    with op.batch_alter_table("content_signals") as batch:
        batch.drop_index("ix_content_signals_signal_value")
        batch.create_index("ix_content_signals_signal_value", ["signal", "value"], unique=False)
