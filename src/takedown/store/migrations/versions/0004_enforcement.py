"""enforcement: evidence, legal holds, CyberTipline filings, the TAKE IT DOWN removal clock

Revision ID: 0004_enforcement
Revises: 0001
Create Date: 2026-11-25 11:40:00

Hand-written (each feature area is its own branch from the core schema).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types

revision: str = "0004_enforcement"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, takedown.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "evidence_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("content_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        _time("created_at", nullable=False),
        _time("captured_at"),
        _time("retain_until"),
        _time("purged_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    op.create_index("ix_evidence_records_case_id", "evidence_records", ["case_id"])

    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        _time("set_at", nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        _time("released_at"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_case_id", "legal_holds", ["case_id"])

    op.create_table(
        "filings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ncmec_report_id", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("report_xml", sa.Text(), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        _time("submitted_at"),
        _time("finished_at"),
        _time("escalated_at"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )

    op.create_table(
        "filing_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("filing_id", sa.String(length=40), nullable=False),
        sa.Column("evidence_id", sa.String(length=40), nullable=False),
        sa.Column("content_id", sa.String(length=200), nullable=False),
        sa.Column("ncmec_file_id", sa.String(length=100), nullable=True),
        _time("uploaded_at"),
        _time("details_sent_at"),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence_records.id"]),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("filing_id", "evidence_id", name="uq_filing_files"),
    )
    op.create_index("ix_filing_files_filing_id", "filing_files", ["filing_id"])

    with op.batch_alter_table("cases") as batch:
        batch.add_column(_time("removal_due_at"))
        batch.add_column(_time("removal_escalated_at"))
        batch.add_column(_time("removal_breached_at"))
        batch.add_column(_time("removal_closed_at"))
        batch.create_index("ix_cases_removal_due_at", ["removal_due_at"])
    with op.batch_alter_table("reports") as batch:
        batch.add_column(
            sa.Column(
                "good_faith_statement", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("signature", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("signature")
        batch.drop_column("good_faith_statement")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_removal_due_at")
        batch.drop_column("removal_closed_at")
        batch.drop_column("removal_breached_at")
        batch.drop_column("removal_escalated_at")
        batch.drop_column("removal_due_at")
    op.drop_index("ix_filing_files_filing_id", table_name="filing_files")
    op.drop_table("filing_files")
    op.drop_table("filings")
    op.drop_index("ix_legal_holds_case_id", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_index("ix_evidence_records_case_id", table_name="evidence_records")
    op.drop_table("evidence_records")
