"""merge the public side's and oversight's schema changes

Revision ID: 0007_merge_oversight
Revises: 0006_public, 0006_oversight
Create Date: 2026-12-01 08:20:00
"""

from collections.abc import Sequence

revision: str = "0007_merge_oversight"
down_revision: str | Sequence[str] | None = ("0006_public", "0006_oversight")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
