"""A report on a crowded case costs what a report on a quiet one does (issue 15).

A viral item or a brigade puts thousands of reports on one case; each new report used to load
all of them. services.case_reports answers the report path's questions with bounded SQL, or
from memory for a case the session holds whole: the two must agree, and the SQL must be what
the report path uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, inspect, select

from takedown.domain.corroboration import Signal, agreeing_signal
from takedown.domain.vocabulary import Category, ReporterRole
from takedown.runtime import Runtime
from takedown.services import case_reports
from takedown.services.reports import ReportInput, file_report
from takedown.store.models import Account, Case, Report
from takedown.store.types import new_id
from tests.support.factories import Api


@contextmanager
def watched(rt: Runtime) -> Iterator[tuple[list[str], list[Report]]]:
    """The statements sent, and the Report rows loaded as objects, while the block runs."""
    statements: list[str] = []
    loaded: list[Report] = []

    def sent(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    def load(report: Report, _context: Any) -> None:
        loaded.append(report)

    event.listen(rt.engine, "before_cursor_execute", sent)
    event.listen(Report, "load", load)
    try:
        yield statements, loaded
    finally:
        event.remove(rt.engine, "before_cursor_execute", sent)
        event.remove(Report, "load", load)


def _file(rt: Runtime, data: ReportInput, reporter: str) -> str:
    with rt.transaction() as session:
        receipt = file_report(session, rt.installation, rt.clock.now(), data, reporter)
        return receipt.case.id


@pytest.mark.parametrize(
    "category",
    [
        # Bystanders' reports of violence, with addresses: the third raises the case a level,
        # and every report is e-mailed news to someone.
        Category.VIOLENCE,
        # Bystanders' child-safety reports, anonymous and new within minutes: corroboration,
        # the P0 test and the burst check read the case's reporters on every report.
        Category.CHILD_SEXUAL_EXPLOITATION,
    ],
)
def test_a_report_on_a_crowded_case_reads_none_of_its_reports(api: Api, category: Category) -> None:
    rt = api.runtime
    api.register("viral-1")
    bystander = ReportInput(
        category=category,
        reporter_role=ReporterRole.THIRD_PARTY,
        content_id="viral-1",
        contact_email="someone@example.org" if category is Category.VIOLENCE else None,
    )
    costs: dict[int, int] = {}
    for n in range(1, 41):
        with watched(rt) as (statements, loaded):
            _file(rt, bystander, f"reporter-{n}")
        # Never the case's earlier reports, as objects: only the new one is written.
        assert loaded == [], n
        costs[n] = len(statements)
    # The first few reports change the case (raised, hidden, flagged); from then on each
    # report costs the same, whether it is the fifth or the fortieth.
    assert costs[40] == costs[5], costs
    with rt.transaction() as session:
        case = session.scalars(select(Case).join(Report).where(Report.content_id == "viral-1"))
        assert len(case.first().reports) == 40  # type: ignore[union-attr]


def _varied_case(rt: Runtime) -> str:
    """One case holding every kind of report the questions tell apart."""
    with rt.transaction() as session:
        now = rt.clock.now()
        session.add_all(
            [
                Account(account_id="acct-good", state="active", strikes=0, created_at=now),
                Account(account_id="acct-banned", state="suspended", strikes=0, created_at=now),
                Account(account_id="acct-struck", state="active", strikes=1, created_at=now),
            ]
        )

    def report(category: Category, **fields: Any) -> ReportInput:
        fields.setdefault("reporter_role", ReporterRole.THIRD_PARTY)
        return ReportInput(category=category, content_id="varied-1", **fields)

    filed = [
        (report(Category.SPAM, contact_email="a@example.org"), "old-spammer"),
        (report(Category.NON_CONSENSUAL_INTIMATE_IMAGERY, depicts_minor=False), "ncii"),
    ]
    case_id = ""
    for data, key in filed:
        case_id = _file(rt, data, key)
    rt.clock.advance(timedelta(hours=2))  # the reports above fall outside any burst window
    for data, key in [
        (report(Category.NON_CONSENSUAL_INTIMATE_IMAGERY, depicts_minor=True), "minor-ncii"),
        (report(Category.GROOMING, contact_email=""), "groomer-seen"),
        (
            report(
                Category.CHILD_SEXUAL_EXPLOITATION,
                forwarded_by="platform-1",
                reporter_account_id="acct-banned",
            ),
            "banned",
        ),
        (
            report(
                Category.CHILD_SEXUAL_EXPLOITATION,
                forwarded_by="platform-1",
                reporter_account_id="acct-good",
                contact_email="b@example.org",
            ),
            "good",
        ),
        (report(Category.CHILD_SEXUAL_EXPLOITATION, forwarded_by="platform-1"), "platform"),
        (report(Category.VIOLENCE, reporter_account_id="acct-struck"), "claims-an-account"),
        (report(Category.VIOLENCE), "claims-an-account"),
        (report(Category.HARASSMENT, contact_email="c@example.org"), "old-spammer"),
    ]:
        rt.clock.advance(timedelta(minutes=1))
        assert _file(rt, data, key) == case_id
    with rt.transaction() as session:
        # A bank match's report row, as matching.py files it.
        session.add(
            Report(
                id=new_id("rep"),
                case_id=case_id,
                content_id="varied-1",
                category=Category.CHILD_SEXUAL_EXPLOITATION.value,
                reporter_role="system",
                reporter_key="bank:1",
                priority="P0",
                status_token_hash=new_id("tok"),
                source="match",
                created_at=rt.clock.now(),
            )
        )
    return case_id


def _answers(rt: Runtime, case: Case) -> dict[str, Any]:
    session = inspect(case).session
    assert session is not None
    now = rt.clock.now()
    everyone = case_reports.child_safety_reporters(session, case, enough=100)
    two = case_reports.child_safety_reporters(session, case)
    return {
        "tally": case_reports.tally(session, case),
        "recent": case_reports.recent_anonymous_reporters(
            session, case, now - timedelta(minutes=15), now
        ),
        "bank_match": case_reports.has_bank_match(session, case),
        "child_safety_reporters": {(r.reporter_key, r.forwarded) for r in everyone},
        "corroboration": agreeing_signal(two, False, False),
        "kinds": case_reports.report_kinds(session, case),
        "contacts": case_reports.contact_report_ids(session, case),
    }


def test_the_bounded_reads_agree_with_the_reports_in_memory(api: Api) -> None:
    rt = api.runtime
    api.register("varied-1")
    case_id = _varied_case(rt)
    with rt.transaction() as session:
        lazy = session.scalars(
            select(Case).where(Case.id == case_id).options(case_reports.not_loaded())
        ).one()
        assert "reports" in inspect(lazy).unloaded
        from_sql = _answers(rt, lazy)
        assert "reports" in inspect(lazy).unloaded  # answered without loading them
    with rt.transaction() as session:
        whole = session.get(Case, case_id)
        assert whole is not None and "reports" not in inspect(whole).unloaded
        from_memory = _answers(rt, whole)
    assert from_sql == from_memory
    # And what they agree on is right, not only the same.
    assert from_sql["bank_match"] is True
    # Anonymous: no platform vouches for an account (a claimed one is no vouching).
    assert set(from_sql["recent"]) == {
        "minor-ncii",
        "groomer-seen",
        "platform",
        "claims-an-account",
        "old-spammer",
    }
    # The banned account's word does not count; the good account's and the platform's do,
    # and so do key-less reporters of a minor in sexual content and of grooming.
    assert from_sql["child_safety_reporters"] == {
        ("minor-ncii", False),
        ("groomer-seen", False),
        ("good", True),
        ("platform", True),
    }
    assert from_sql["corroboration"] is not None and from_sql["corroboration"].by_reporters
    assert from_sql["corroboration"].signal is Signal.FORWARDED_IN_GOOD_STANDING
    assert len(from_sql["contacts"]) == 3  # the empty address is no address
    assert from_sql["tally"].distinct_reporters == 8
