"""Two reports of one registered item at the same moment find one case (issue 15).

Each once looked for the item's case before the other committed, found none and opened its
own; the second's evidence record then broke the one-record-per-item rule and its reporter got
a 500. Here the first report is held just before it writes, after it has looked; the second
must wait for it rather than look past it.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, select

from takedown.domain.vocabulary import Category, ReporterRole
from takedown.runtime import Runtime
from takedown.services.reports import ReportInput, file_report
from takedown.store.filings import EvidenceRecord
from takedown.store.models import Case, CaseItem, ContentItem
from tests.support.factories import Api

# Long enough for a blocked thread to show, never reached when the code is right.
GUARD_SECONDS = 10.0


def _report(rt: Runtime, reporter: str, out: dict[str, Any]) -> None:
    data = ReportInput(
        category=Category.CHILD_SEXUAL_EXPLOITATION,
        reporter_role=ReporterRole.THIRD_PARTY,  # P1: its evidence is captured at once
        content_id="p-both",
        depicts_minor=True,
    )
    try:
        with rt.transaction() as session:
            receipt = file_report(session, rt.installation, rt.clock.now(), data, reporter)
            out["case_id"] = receipt.case.id
    except Exception as exc:  # the thread's failure is the test's to report
        out["error"] = exc


def test_two_reports_at_once_join_one_case(api: Api) -> None:
    rt = api.runtime
    api.register("p-both")
    first_wrote, first_go, second_moved = threading.Event(), threading.Event(), threading.Event()
    threads: dict[str, threading.Thread] = {}

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        me = threading.current_thread()
        sql = " ".join(statement.split()).upper()
        if me is threads.get("first") and sql.startswith(("INSERT", "WITH")):
            first_wrote.set()  # it has looked for the case, and found none
            first_go.wait(GUARD_SECONDS)
        elif me is threads.get("second") and ("PG_ADVISORY" in sql or "WHERE 0" in sql):
            second_moved.set()  # at the item's turn: it waits there, or goes on

    first_out: dict[str, Any] = {}
    second_out: dict[str, Any] = {}
    threads["first"] = threading.Thread(target=_report, args=(rt, "reporter-a", first_out))
    threads["second"] = threading.Thread(target=_report, args=(rt, "reporter-b", second_out))
    event.listen(rt.engine, "before_cursor_execute", watch)
    try:
        threads["first"].start()
        assert first_wrote.wait(GUARD_SECONDS), "the first report never wrote"
        threads["second"].start()

        def second_done() -> None:
            threads["second"].join(GUARD_SECONDS)
            second_moved.set()

        # Either the second report reaches the item's turn, or it finishes without taking one.
        threading.Thread(target=second_done, daemon=True).start()
        assert second_moved.wait(GUARD_SECONDS)
        first_go.set()
        for thread in threads.values():
            thread.join(GUARD_SECONDS)
    finally:
        first_go.set()
        event.remove(rt.engine, "before_cursor_execute", watch)
    assert "error" not in first_out and "error" not in second_out, (first_out, second_out)
    assert first_out["case_id"] == second_out["case_id"]
    with rt.transaction() as session:
        cases = session.scalars(
            select(Case.id).join(CaseItem).where(CaseItem.item_id == _item_id(session))
        )
        assert list(cases) == [first_out["case_id"]]
        records = session.scalars(
            select(EvidenceRecord).where(EvidenceRecord.content_id == "p-both")
        )
        assert len(list(records)) == 1


def _item_id(session: Any) -> str:
    item = session.scalars(select(ContentItem).where(ContentItem.content_id == "p-both")).one()
    return str(item.id)
