"""Round trips per intake request (issue 15): a new report does not read back what it wrote.

Counted with SQLAlchemy's `before_cursor_execute`, so the figures are exact on both
databases; the speed they buy is measured in bench/http_load.py, not here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from takedown.domain.vocabulary import Category, EventType, ReporterRole
from takedown.runtime import Runtime
from takedown.services import case_log, fresh_cases
from takedown.services.reports import ReportInput, file_report
from takedown.store.database import transaction
from takedown.store.models import Account, ApiKey, Case, CaseEvent, CaseItem
from takedown.store.oversight import CaseMeasure
from tests.support.factories import Api


@contextmanager
def statements(rt: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()).upper())

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)


def inserted(seen: list[str]) -> list[str]:
    """The tables the statements insert into, a data-modifying CTE's included."""
    return [table for s in seen for table in re.findall(r"INSERT INTO (\w+)", s)]


def _report() -> ReportInput:
    return ReportInput(
        category=Category.CHILD_SEXUAL_EXPLOITATION,
        reporter_role=ReporterRole.THIRD_PARTY,
        content_id="not-yet-registered",
        depicts_minor=True,
    )


def test_a_new_report_writes_its_rows_and_reads_nothing_back(api: Api) -> None:
    rt = api.runtime
    with statements(rt) as seen:
        receipt = api.report(content_id="never-registered", depicts_minor=True)
    writes = [s for s in seen if not s.startswith(("SELECT", "BEGIN", "COMMIT", "ROLLBACK"))]
    reads = [s for s in seen if s.startswith("SELECT")]
    # Whether the item or cases waiting for it exist, in one look-up; nothing written is
    # read again.
    assert len(reads) == 1 and reads[0].startswith("SELECT EXISTS"), reads
    # Each row once; on PostgreSQL all four in one statement (store.insert_flush).
    assert sorted(inserted(writes)) == ["CASES", "CASE_EVENTS", "CASE_MEASURES", "REPORTS"]
    assert len(writes) == (1 if rt.engine.dialect.name == "postgresql" else 4), writes
    assert not any(re.search(r"\bUPDATE\b", s) for s in writes), writes
    # What was not read back is what a read would have found.
    with rt.transaction() as session:
        case = session.get(Case, receipt["case_id"])
        assert case is not None
        events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)))
        assert [(e.seq, e.type) for e in events] == [(1, EventType.REPORT.value)]
        assert case.event_seq == 1 and case.event_hash == events[0].hash
        measures = session.get(CaseMeasure, case.id)
        assert measures is not None and measures.first_report_at is not None


def test_a_case_opened_in_an_earlier_transaction_is_read_and_locked_again(
    runtime: Runtime,
) -> None:
    rt = runtime
    session = rt.sessions()
    try:
        receipt = file_report(session, rt.installation, rt.clock.now(), _report(), "reporter-a")
        case = receipt.case
        assert fresh_cases.opened_here(session, case)
        session.commit()
        # Committed: others may append now, and this session's copy of the head is stale.
        assert not fresh_cases.opened_here(session, case)
        with transaction(rt.sessions) as other:
            theirs = other.get(Case, case.id)
            assert theirs is not None
            case_log.record(other, theirs, EventType.EVIDENCE, "rita", rt.clock.now(), {"n": 1})
        mine = case_log.record(session, case, EventType.EVIDENCE, "lena", rt.clock.now(), {"n": 2})
        session.commit()
        # The head was read from the database: the chain did not fork on the stale copy.
        assert mine.seq == 3
        with transaction(rt.sessions) as check:
            seqs = check.scalars(
                select(CaseEvent.seq).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
            )
            assert list(seqs) == [1, 2, 3]
            row = check.get(CaseMeasure, case.id)
            assert row is not None
    finally:
        session.close()  # the runtime fixture then verifies every chain and projection


def test_a_rolled_back_case_leaves_nothing_held(runtime: Runtime) -> None:
    rt = runtime
    session = rt.sessions()
    try:
        receipt = file_report(session, rt.installation, rt.clock.now(), _report(), "reporter-a")
        session.rollback()
        assert not fresh_cases.opened_here(session, receipt.case)
        again = file_report(session, rt.installation, rt.clock.now(), _report(), "reporter-b")
        session.commit()
        assert again.case.event_seq == 1
    finally:
        session.close()


def test_a_revoked_key_is_refused_from_the_next_request(api: Api) -> None:
    headers = api.key("platform")
    body = {"content_id": "k-1", "account_id": "acct-1", "signals": '{"md5": "' + "a" * 32 + '"}'}
    assert api.client.post("/v1/content", data=body, headers=headers).status_code == 200
    with api.runtime.transaction() as session:
        for key in session.scalars(select(ApiKey)):
            key.revoked_at = api.runtime.clock.now()
    body["content_id"] = "k-2"
    refused = api.client.post("/v1/content", data=body, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"


def test_a_new_registration_asks_once_before_it_writes(api: Api) -> None:
    """Item, account and waiting reports in one look-up; the signals written, nothing read
    back."""
    headers = api.key("platform")
    api.register("warm-1", account_id="acct-old")  # the account exists from here on

    def register(content_id: str, account_id: str, md5: str) -> list[str]:
        body = {
            "content_id": content_id,
            "account_id": account_id,
            # Signals of their own: a copy of a stored item is looked up further (its cases).
            "signals": json.dumps({"md5": md5, "pdq": md5 * 2, "pdq_quality": 100}),
        }
        with statements(api.runtime) as seen:
            response = api.client.post("/v1/content", data=body, headers=headers)
        assert response.status_code == 200, response.text
        return seen

    for account_id, tables in (
        ("acct-old", {"CONTENT_ITEMS", "CONTENT_SIGNALS"}),
        ("acct-new", {"ACCOUNTS", "CONTENT_ITEMS", "CONTENT_SIGNALS"}),
    ):
        seen = register(
            f"rt-{account_id}", account_id, hashlib.md5(account_id.encode()).hexdigest()
        )
        # The match index's catch-up pulls (bank hashes, content signals by id) aside.
        reads = [s for s in seen if s.startswith("SELECT") and not re.search(r"\.ID > ", s)]
        assert len(reads) == 2, reads  # the key, then the one look-up
        assert "FROM API_KEYS" in reads[0] and reads[1].startswith("SELECT EXISTS"), reads
        # SQLite writes the signals a row at a time, PostgreSQL in one statement.
        written = set(inserted(seen))
        assert written == tables, seen
        assert not any(s.startswith("UPDATE") for s in seen), seen
    # What was not read is what a read would have found: one account each, and a report
    # waiting for an item still joins it when the item arrives.
    receipt = api.report(content_id="rt-late", depicts_minor=True)
    api.register("rt-late", account_id="acct-new", md5="d" * 32)
    with api.runtime.transaction() as session:
        assert session.get(Account, "acct-new") is not None
        links = session.scalars(select(CaseItem).where(CaseItem.case_id == receipt["case_id"]))
        assert len(list(links)) == 1
