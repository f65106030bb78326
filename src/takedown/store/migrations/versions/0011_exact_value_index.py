"""content signals' value index holds the exact digests only

Only digests are ever looked up by value (the match index answers every perceptual lookup),
and perceptual values can run past what a PostgreSQL B-tree entry holds: video features, and
the crop-robust `orb` keypoints (9 kB). The index kept `signal <> 'vpdq'`; it now keeps only
the digest signals, so a new signal type never needs a schema change to be stored.

Revision ID: 0011_exact_value_index
Revises: 0010_second_wave
Create Date: 2026-12-06 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_exact_value_index"
down_revision: str | Sequence[str] | None = "0010_second_wave"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXACT = sa.text("signal IN ('md5', 'sha256')")
NOT_VIDEO = sa.text("signal <> 'vpdq'")


def _index(where: sa.TextClause) -> None:
    with op.batch_alter_table("content_signals") as batch:
        batch.drop_index("ix_content_signals_signal_value")
        batch.create_index(
            "ix_content_signals_signal_value",
            ["signal", "value"],
            unique=False,
            postgresql_where=where,
            sqlite_where=where,
        )


def upgrade() -> None:
    _index(EXACT)


def downgrade() -> None:
    _index(NOT_VIDEO)
