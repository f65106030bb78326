"""case events chained by hash and carrying their changes; the staff audit log

Revision ID: 0006_audit
Revises: 0005_bank_hash_case
Create Date: 2026-12-01 08:10:00

Events stored before this revision are chained here, in their order, with no `changes`: the
chain covers them, but rebuilding a case from its events starts with cases opened after it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types
from takedown.domain import case_projection

revision: str = "0006_audit"
down_revision: str | Sequence[str] | None = "0005_bank_hash_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("event_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("event_hash", sa.String(length=64), nullable=False, server_default="")
        )
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", takedown.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _chain_existing_events()


def _chain_existing_events() -> None:
    events = sa.table(
        "case_events",
        sa.column("id", sa.String()),
        sa.column("case_id", sa.String()),
        sa.column("seq", sa.Integer()),
        sa.column("type", sa.String()),
        sa.column("actor", sa.String()),
        sa.column("at", takedown.store.types.UTCDateTime(timezone=True)),
        sa.column("data", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    cases = sa.table(
        "cases",
        sa.column("id", sa.String()),
        sa.column("event_seq", sa.Integer()),
        sa.column("event_hash", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(events).order_by(events.c.case_id, events.c.seq)).all()
    heads: dict[str, tuple[int, str]] = {}
    for row in rows:
        seq, prev = heads.get(row.case_id, (0, case_projection.GENESIS))
        # Renumber from 1 so the chain has no gaps that are not tampering.
        seq += 1
        fields = case_projection.event_fields(
            row.id, row.case_id, seq, row.type, row.actor, row.at, row.data or {}, {}
        )
        digest = case_projection.link_hash(prev, fields)
        bind.execute(
            events.update()
            .where(events.c.id == row.id)
            .values(seq=seq, prev_hash=prev, hash=digest)
        )
        heads[row.case_id] = (seq, digest)
    for case_id, (seq, digest) in heads.items():
        bind.execute(
            cases.update().where(cases.c.id == case_id).values(event_seq=seq, event_hash=digest)
        )


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("changes")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("event_hash")
        batch.drop_column("event_seq")
