"""reports are indexed by when they came in, so the sweep that joins a report to an item
registered at the same moment reads only the last minutes

Revision ID: 0014_report_time
Revises: 0013_outbox_lane
Create Date: 2026-12-07 02:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_report_time"
down_revision: str | Sequence[str] | None = "0013_outbox_lane"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.create_index("ix_reports_created_at", ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_created_at")
