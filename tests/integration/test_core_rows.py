"""store.database.one_row / core_rows: a Core read on the session's connection sees what the
session holds pending, as the ORM's autoflush would show it, and not inside `no_autoflush`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from takedown.runtime import Runtime
from takedown.store.database import core_rows, one_row
from takedown.store.models import Account

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
COUNT = select(func.count()).select_from(Account).where(Account.account_id.like("core-%"))


def test_a_core_read_flushes_what_is_pending_first(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        assert one_row(session, COUNT, {})[0] == 0
        session.add(Account(account_id="core-1", state="active", strikes=0, created_at=NOW))
        assert one_row(session, COUNT, {})[0] == 1  # flushed before the read
        assert not session.new
        session.add(Account(account_id="core-2", state="active", strikes=0, created_at=NOW))
        with session.no_autoflush:
            assert one_row(session, COUNT, {})[0] == 1  # held back, as the ORM would
        assert session.new
        ids = [
            row[0]
            for row in core_rows(
                session,
                select(Account.account_id).where(Account.account_id.like("core-%")),
                {},
            )
        ]
        assert sorted(ids) == ["core-1", "core-2"]
