"""cases know when the deadline sweep next has a step to take (indexed): no full scan a pass

Revision ID: 0012_due_cases
Revises: 0011_exact_value_index
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import takedown.store.types
from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.deadlines import next_escalation
from takedown.domain.vocabulary import CaseState

revision: str = "0012_due_cases"
down_revision: str | Sequence[str] | None = "0011_exact_value_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column(
                "next_escalation_at",
                takedown.store.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch.create_index("ix_cases_next_escalation_at", ["next_escalation_at"])
    t = takedown.store.types.UTCDateTime(timezone=True)
    cases = sa.table(
        "cases",
        sa.column("id", sa.String),
        sa.column("state", sa.String),
        sa.column("deadline_started_at", t),
        sa.column("deadline_at", t),
        sa.column("escalated_at", t),
        sa.column("breached_at", t),
        sa.column("next_escalation_at", t),
    )
    bind = op.get_bind()
    undecided = bind.execute(
        sa.select(cases).where(
            cases.c.state.in_([s.value for s in AWAITING_DECISION]), cases.c.breached_at.is_(None)
        )
    ).all()
    for row in undecided:
        due = next_escalation(
            CaseState(row.state) in AWAITING_DECISION,
            row.deadline_started_at,
            row.deadline_at,
            row.escalated_at,
            row.breached_at,
        )
        bind.execute(cases.update().where(cases.c.id == row.id).values(next_escalation_at=due))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_next_escalation_at")
        batch.drop_column("next_escalation_at")
