"""store.new_rows: an object built by `new_row` is written as the class's constructor's would
be, by the insert-only flush and by the unit of work alike, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from takedown.runtime import Runtime
from takedown.store.insert_flush import flush_inserts
from takedown.store.models import Account, Case, CaseEvent, ContentItem, ContentSignal
from takedown.store.models import Report as ReportRow
from takedown.store.new_rows import new_row
from tests.integration.test_insert_flush import _graph, _stored

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)

# As in test_insert_flush: a case event written by hand is not the chain's.
pytestmark = pytest.mark.audit_trail_broken


def _graph_by_new_row(tag: str) -> list[Any]:
    """`test_insert_flush._graph`'s rows, each built by `new_row` and its relationships set
    afterwards through the ORM, as the services do."""
    built = _graph(tag)
    out: list[Any] = []
    for obj in built:
        state = inspect(obj)
        columns = {
            prop.key: state.dict[prop.key]
            for prop in state.mapper.column_attrs
            if prop.key in state.dict
        }
        out.append(new_row(type(obj), **columns))
    _, item, case, report, _, _, link = out
    item.signals = [
        new_row(ContentSignal, signal=s.signal, value=s.value, quality=s.quality)
        for s in built[1].signals
    ]
    case.reports = []
    case.links = []
    report.case = case
    link.case = case
    link.item = item
    return out


@pytest.mark.parametrize("flush", ["insert_flush", "unit_of_work"])
def test_new_rows_are_written_as_constructed_ones(runtime: Runtime, flush: str) -> None:
    rt = runtime
    ours = _graph_by_new_row("new")
    if flush == "insert_flush":
        with rt.transaction() as session:
            session.add_all(ours)
            assert flush_inserts(session), "fell back to the unit of work"
    else:
        with Session(rt.engine, expire_on_commit=False) as session, session.begin():
            session.add_all(ours)
            session.flush()
    theirs = _graph("old")
    with Session(rt.engine) as session, session.begin():
        session.add_all(theirs)
        session.flush()
    with rt.transaction() as session:
        stored = _stored(session, "new")
        assert stored == _stored(session, "old")
        assert all(stored.values()), stored  # every kind of row was written
    account, item, case, report, *_ = ours
    assert inspect(report).has_identity and report.case is case and case.reports == [report]
    assert report.case_id == case.id and report.source == "report"  # defaults on the object
    assert (account.state, account.strikes) == ("active", 0)
    assert [s.item_id for s in item.signals] == [item.id, item.id]


def test_a_new_row_is_refused_a_key_that_is_not_a_column() -> None:
    with pytest.raises(TypeError, match="no column attribute"):
        new_row(ReportRow, id="rep-1", case=object())  # a relationship goes through the ORM
    with pytest.raises(TypeError, match="no column attribute"):
        new_row(Account, account_id="a", nickname="x")


def test_a_new_row_holds_its_values_and_is_transient() -> None:
    event_row = new_row(CaseEvent, id="evt-1", case_id="case-1", seq=1, type="report", at=NOW)
    assert (event_row.id, event_row.seq, event_row.at) == ("evt-1", 1, NOW)
    assert inspect(event_row).transient
    item = new_row(ContentItem, id="item-1", content_id="c-1")
    assert item.url is None and item.signals == []  # unset attributes read as the ORM's
    assert isinstance(new_row(Case, id="case-1"), Case)
