"""oversight: case measures, oversight settings, DSA statement submissions

Revision ID: 0006_oversight
Revises: 0005_bank_hash_case
Create Date: 2026-12-01 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0006_oversight"
down_revision: str | Sequence[str] | None = "0005_bank_hash_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_measures",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column(
            "first_report_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("report_to_restriction_s", sa.Float(), nullable=True),
        sa.Column("report_to_decision_s", sa.Float(), nullable=True),
        sa.Column("report_to_removal_s", sa.Float(), nullable=True),
        sa.Column("filing_delay_s", sa.Float(), nullable=True),
        sa.Column("deadline_met", sa.Boolean(), nullable=True),
        sa.Column("take_it_down_met", sa.Boolean(), nullable=True),
        sa.Column("views_after_first_report", sa.Integer(), nullable=True),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("updated_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_measures_first_report_at", "case_measures", ["first_report_at"])
    op.create_table(
        "oversight_settings",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "dsa_submissions",
        sa.Column("puid", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", takedown.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("puid"),
    )
    op.create_index(
        "ix_dsa_submissions_status_created", "dsa_submissions", ["status", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_dsa_submissions_status_created", table_name="dsa_submissions")
    op.drop_table("dsa_submissions")
    op.drop_table("oversight_settings")
    op.drop_index("ix_case_measures_first_report_at", table_name="case_measures")
    op.drop_table("case_measures")
