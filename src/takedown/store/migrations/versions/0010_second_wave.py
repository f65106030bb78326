"""join the second wave's schema changes into one head

Revision ID: 0010_second_wave
Revises: the second wave's feature migrations
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

revision: str = "0010_second_wave"
down_revision: str | Sequence[str] | None = (
    "0006_audit",
    "0006_fidelity",
    "0007_exchange",
    "0006_intake",
    "0007_merge_oversight",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
