"""store.insert_flush: an insert-only flush written as Core inserts leaves the database and the
session as the unit of work would have, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg import _queries as psycopg_queries
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from takedown.runtime import Runtime
from takedown.store.insert_flush import InsertFlushSession, flush_inserts
from takedown.store.models import Account, Case, CaseEvent, CaseItem, ContentItem, ContentSignal
from takedown.store.models import Report as ReportRow
from takedown.store.oversight import CaseMeasure
from tests.support.factories import Api

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

# The graphs below hold a case event written by hand, not through services.case_log, so its
# hash is not the chain's: the after-test audit would report exactly that.
pytestmark = pytest.mark.audit_trail_broken


@contextmanager
def statements(rt: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)


def _graph(tag: str) -> list[Any]:
    """New rows of the kinds a report and a registration write, related by relationships
    only where the services do (a signal's item, a report's case), with defaults left out."""
    account = Account(account_id=f"acct-{tag}", created_at=NOW)
    item = ContentItem(
        id=f"item-{tag}",
        content_id=f"content-{tag}",
        account_id=account.account_id,
        state="visible",
        created_at=NOW,
        updated_at=NOW,
    )
    item.signals = [
        ContentSignal(signal="md5", value=f"{tag:0>32}"[:32]),
        ContentSignal(signal="pdq", value="f" * 64, quality=90),
    ]
    case = Case(
        id=f"case-{tag}",
        priority="P0",
        state="open",
        category="child_sexual_exploitation",
        opened_at=NOW,
        deadline_started_at=NOW,
        deadline_at=NOW,
        updated_at=NOW,
        reports=[],
        links=[],
    )
    report = ReportRow(
        id=f"rep-{tag}",
        content_id=item.content_id,
        category="child_sexual_exploitation",
        reporter_role="third_party",
        reporter_key="k" * 64,
        priority="P0",
        created_at=NOW,
        case=case,
    )
    event_row = CaseEvent(
        id=f"evt-{tag}", case_id=case.id, seq=1, type="report", actor="reporter", at=NOW
    )
    measures = CaseMeasure(case_id=case.id, updated_at=NOW, automated=False)
    link = CaseItem(case=case, item=item, reason="reported", linked_at=NOW)  # item: one-way
    return [account, item, case, report, event_row, measures, link]


def _stored(session: Session, tag: str) -> dict[str, Any]:
    """Every column of every row of `tag`'s graph as the database has it, less the tag."""

    def row(model: Any, where: Any) -> list[dict[str, Any]]:
        table = model.__table__
        rows = session.execute(select(table).where(where).order_by(*table.primary_key)).all()
        return [{k: str(v).replace(tag, "<tag>") for k, v in r._mapping.items()} for r in rows]

    return {
        "account": row(Account, Account.account_id == f"acct-{tag}"),
        "item": row(ContentItem, ContentItem.id == f"item-{tag}"),
        "signals": [
            {k: v for k, v in r.items() if k != "id"}
            for r in row(ContentSignal, ContentSignal.item_id == f"item-{tag}")
        ],
        "case": row(Case, Case.id == f"case-{tag}"),
        "report": row(ReportRow, ReportRow.id == f"rep-{tag}"),
        "event": row(CaseEvent, CaseEvent.id == f"evt-{tag}"),
        "measures": row(CaseMeasure, CaseMeasure.case_id == f"case-{tag}"),
        "link": row(CaseItem, CaseItem.case_id == f"case-{tag}"),
    }


def _write(rt: Runtime, objects: list[Any], flush: Callable[[Session], None]) -> None:
    with rt.transaction() as session:
        session.add_all(objects)
        flush(session)


def test_the_rows_written_are_the_ones_the_unit_of_work_writes(runtime: Runtime) -> None:
    rt = runtime
    ours = _graph("1st")
    _write(rt, ours, lambda s: _assert_took(flush_inserts(s)))
    # The same graph through the ORM's own unit of work, on a plain session.
    theirs = _graph("2nd")
    with Session(rt.engine) as session, session.begin():
        session.add_all(theirs)
        session.flush()
    with rt.transaction() as session:
        assert _stored(session, "1st") == _stored(session, "2nd")
    # Defaults applied on the objects too, as the unit of work leaves them.
    account, item, case, report, event_row, *_ = ours
    assert (account.state, account.strikes) == ("active", 0)
    assert (event_row.data, event_row.changes, event_row.prev_hash) == ({}, {}, "")
    assert report.case_id == case.id and report.source == "report"
    assert [s.item_id for s in item.signals] == [item.id, item.id]
    # Each signal object holds the id of its own row (the keys come back a row each).
    with rt.transaction() as session:
        for signal in item.signals:
            stored = session.execute(
                select(ContentSignal.__table__).where(ContentSignal.id == signal.id)
            ).one()
            assert (stored.signal, stored.value, stored.item_id) == (
                signal.signal,
                signal.value,
                item.id,
            )


def _assert_took(took: bool) -> None:
    assert took, "flush_inserts fell back to the unit of work"


def test_the_objects_are_persistent_and_nothing_is_read_back(runtime: Runtime) -> None:
    rt = runtime
    session = rt.sessions()
    assert isinstance(session, InsertFlushSession)
    try:
        objects = _graph("p")
        session.add_all(objects)
        with statements(rt) as seen:
            session.flush()
            for obj in objects:
                assert inspect(obj).persistent
                for attr in inspect(type(obj)).column_attrs:
                    getattr(obj, attr.key)
            assert session.get(ContentItem, "item-p") is objects[1]
            assert session.get(Case, "case-p") is objects[2]
        # Each table once, a parent's in a statement no later than its children's; on
        # PostgreSQL all of them in one statement, the signals' ids coming back from it.
        # No read at all.
        assert not [s for s in seen if s.upper().startswith("SELECT")], seen
        statement_of: dict[str, int] = {}
        for n, statement in enumerate(seen):
            for table in re.findall(r"INSERT INTO (\w+)", statement):
                statement_of.setdefault(table, n)
        written = {"accounts", "cases", "content_items", "case_events", "case_items"}
        written |= {"case_measures", "content_signals", "reports"}
        assert set(statement_of) == written, seen
        for parent, child in [
            ("accounts", "content_items"),
            ("content_items", "content_signals"),
            ("content_items", "case_items"),
            ("cases", "case_items"),
            ("cases", "reports"),
            ("cases", "case_events"),
        ]:
            assert statement_of[parent] <= statement_of[child], (parent, child, seen)
        if rt.engine.dialect.name == "postgresql":
            assert len(seen) == 1, seen
        session.commit()
    finally:
        session.close()
    with rt.transaction() as session:
        assert session.get(ContentItem, "item-p") is not None
        assert len(session.get_one(Case, "case-p").reports) == 1


def test_a_flush_that_changes_a_loaded_row_goes_through_the_unit_of_work(
    runtime: Runtime,
) -> None:
    rt = runtime
    _write(rt, _graph("u"), lambda s: _assert_took(flush_inserts(s)))
    with rt.transaction() as session:
        item = session.get_one(ContentItem, "item-u")
        item.state = "restricted"
        other = Account(account_id="acct-other", created_at=NOW)
        session.add(other)
        assert flush_inserts(session) is False  # a change: nothing written by it
        assert inspect(other).pending
    with rt.transaction() as session:
        assert session.get_one(ContentItem, "item-u").state == "restricted"
        assert session.get(Account, "acct-other") is not None


def test_a_flush_with_a_delete_goes_through_the_unit_of_work(runtime: Runtime) -> None:
    rt = runtime
    _write(rt, _graph("d"), lambda s: _assert_took(flush_inserts(s)))
    with rt.transaction() as session:
        session.delete(session.get_one(CaseMeasure, "case-d"))
        session.add(Account(account_id="acct-d2", created_at=NOW))
        assert flush_inserts(session) is False
    with rt.transaction() as session:
        assert session.get(CaseMeasure, "case-d") is None
        assert session.get(Account, "acct-d2") is not None


def test_a_rollback_leaves_no_row_and_the_objects_new_again(runtime: Runtime) -> None:
    rt = runtime
    objects = _graph("r")
    session = rt.sessions()
    try:
        session.add_all(objects)
        _assert_took(flush_inserts(session))
        session.rollback()
        assert all(inspect(obj).transient for obj in objects)
        # Added again, the same objects are written again, as after the unit of work's
        # rollback.
        session.add_all(objects)
        session.commit()
    finally:
        session.close()
    with rt.transaction() as session:
        assert session.get(ContentItem, "item-r") is not None
        assert len(session.scalars(select(ContentSignal).filter_by(item_id="item-r")).all()) == 2


def test_a_failed_insert_rolls_back_like_any_other(runtime: Runtime) -> None:
    rt = runtime
    _write(rt, _graph("f"), lambda s: _assert_took(flush_inserts(s)))
    duplicate = Account(account_id="acct-f", created_at=NOW)
    fresh = Account(account_id="acct-f-new", created_at=NOW)
    session = rt.sessions()
    try:
        session.add_all([fresh, duplicate])
        try:
            session.flush()
        except Exception as exc:  # the driver's unique-violation error, by database
            assert "acct-f" in str(exc)
        else:
            raise AssertionError("a duplicate key was written")
        session.rollback()
        assert inspect(fresh).transient
    finally:
        session.close()
    with rt.transaction() as session:
        assert session.get(Account, "acct-f-new") is None


def test_a_new_report_and_a_registration_write_in_statements_psycopg_parses_once(
    api: Api,
) -> None:
    """psycopg converts a statement's `%(name)s` placeholders on every execution unless the
    statement is within its cache's bounds; a new case's rows once went past them."""
    rt = api.runtime
    api.key("platform")  # made before: its own rows are not what is measured
    executed: list[tuple[str, int]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "INSERT INTO" in statement:
            executed.append((statement, len(parameters)))

    event.listen(rt.engine, "before_cursor_execute", record)
    try:
        api.report(content_id="never-registered", depicts_minor=True)
        api.register("fresh-upload", account_id="acct-fresh")
    finally:
        event.remove(rt.engine, "before_cursor_execute", record)
    if rt.engine.dialect.name == "postgresql":
        assert len(executed) == 2, [s[:80] for s, _ in executed]  # one statement each
    for statement, count in executed:
        assert len(statement.encode()) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, statement
        assert count <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS, (count, statement)


def test_without_returning_rows_that_need_a_key_back_go_through_the_unit_of_work(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older SQLite has no RETURNING: the signals' ids must then come from the unit of
    work (one row at a time, by the cursor's last row id), not from a statement it refuses."""
    rt = runtime
    monkeypatch.setattr(
        rt.engine.dialect, "insert_executemany_returning_sort_by_parameter_order", False
    )
    objects = _graph("noret")
    with rt.transaction() as session:
        session.add_all(objects)
        assert flush_inserts(session) is False
    item = objects[1]
    assert all(isinstance(s.id, int) for s in item.signals)
    # Without a key to read back, the insert path is still taken.
    with rt.transaction() as session:
        session.add(Account(account_id="acct-noret-2", created_at=NOW))
        assert flush_inserts(session) is True
