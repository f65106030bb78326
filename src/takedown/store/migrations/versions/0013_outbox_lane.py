"""outbox jobs name their queue and lane, so each queue is leased on its own

Revision ID: 0013_outbox_lane
Revises: 0012_due_cases
Create Date: 2026-12-06 20:30:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_outbox_lane"
down_revision: str | Sequence[str] | None = "0012_due_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The queues of the kinds that existed when this migration was written; a job of a kind added
# later is recorded with its queue by the code that declares it.
_QUEUE_OF = {
    "webhook.deliver": "webhooks",
    "video.hash": "video",
    "bank.scan": "scans",
    "filing.send": "filings",
    "dsa.submit": "filings",
    "evidence.capture": "evidence",
    "evidence.purge": "evidence",
    "notify.email": "notices",
    "exchange.fetch": "exchanges",
    "exchange.opinion": "exchanges",
}


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("queue", sa.String(30), nullable=True))
        batch.add_column(sa.Column("lane", sa.String(100), nullable=True))
        batch.create_index("ix_outbox_queue_due", ["status", "queue", "next_attempt_at"])
        batch.create_index("ix_outbox_lane", ["lane", "status"])
    outbox = sa.table(
        "outbox",
        sa.column("kind", sa.String),
        sa.column("queue", sa.String),
        sa.column("status", sa.String),
    )
    bind = op.get_bind()
    for kind, queue in _QUEUE_OF.items():
        bind.execute(outbox.update().where(outbox.c.kind == kind).values(queue=queue))
    # Webhook deliveries still pending get their endpoint's lane; done ones need none.
    rows = bind.execute(
        sa.text(
            "SELECT id, payload FROM outbox WHERE kind = 'webhook.deliver' AND status = 'pending'"
        )
    ).all()
    for job_id, payload in rows:
        data = payload if isinstance(payload, dict) else json.loads(payload)
        bind.execute(
            sa.text("UPDATE outbox SET lane = :lane WHERE id = :id"),
            {"lane": f"webhook:{data['webhook_id']}", "id": job_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_lane")
        batch.drop_index("ix_outbox_queue_due")
        batch.drop_column("lane")
        batch.drop_column("queue")
