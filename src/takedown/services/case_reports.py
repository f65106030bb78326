"""What a case's reports add up to, asked without loading them (issue 15).

A viral item, or a brigade, puts thousands of reports on one case. Each new report used to load
every earlier one as an ORM object, several times over (for the priority, the P0 test, the
burst check, corroboration and the reporters' e-mails), so a report cost O(n) in the reports
already on its case and a burst O(n²): intake on one item fell from 49 reports/s to 20/s within
370 reports, and slowed every other report sharing the process's threads.

Each question here is one SQL aggregate over `reports.case_id` that returns a bounded number of
rows. A case whose reports are already in memory (one opened in this transaction, whose list
starts empty, or one loaded whole for a page) is answered from memory instead, which also
counts reports added in this transaction and not yet flushed. Either way the answer is the
same; tests/integration/test_case_reports.py checks both against each other.

The report path reads its cases with `not_loaded` so that a read of the case does not load its
reports either (the relationship is eager by default, for the pages that show them).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.interfaces import LoaderOption

from takedown.domain.corroboration import ChildSafetyReport
from takedown.domain.triage import is_child_safety
from takedown.domain.vocabulary import AccountState, Category, Priority
from takedown.store.models import Account, Case, Report


def not_loaded() -> LoaderOption:
    """The loader option for a case read on the report path: its reports stay in the
    database until something asks for them whole."""
    return lazyload(Case.reports)


def _in_memory(case: Case) -> list[Report] | None:
    """The case's reports if the session holds them all already, else None."""
    if "reports" in instance_state(case).unloaded:
        return None
    return list(case.reports)


@dataclass(frozen=True)
class Tally:
    """What the case's priority is computed from (domain.triage.case_priority)."""

    # The distinct priorities of its reports and bank matches.
    priorities: frozenset[Priority]
    # Distinct reporters among people's reports (bank matches are no reporter).
    distinct_reporters: int


def tally(session: Session, case: Case) -> Tally:
    held = _in_memory(case)
    if held is not None:
        return Tally(
            frozenset(Priority(r.priority) for r in held),
            len({r.reporter_key for r in held if r.source == "report"}),
        )
    priorities = session.scalars(
        select(Report.priority).where(Report.case_id == case.id).distinct()
    )
    distinct = session.scalar(
        select(func.count(Report.reporter_key.distinct())).where(
            Report.case_id == case.id, Report.source == "report"
        )
    )
    return Tally(frozenset(Priority(p) for p in priorities), int(distinct or 0))


def _anonymous(forwarded_by: str | None, reporter_account_id: str | None) -> bool:
    """No platform account vouches for the reporter (domain.report_abuse)."""
    return forwarded_by is None or reporter_account_id is None


def recent_anonymous_reporters(
    session: Session, case: Case, since: datetime, until: datetime
) -> dict[str, datetime]:
    """Each reporter key with an anonymous report on the case in [since, until], and the
    earliest such report: the one that best shows a reporter new at the time."""
    held = _in_memory(case)
    if held is not None:
        earliest: dict[str, datetime] = {}
        for r in held:
            if (
                r.source == "report"
                and since <= r.created_at <= until
                and _anonymous(r.forwarded_by, r.reporter_account_id)
            ):
                at = earliest.get(r.reporter_key)
                earliest[r.reporter_key] = r.created_at if at is None else min(at, r.created_at)
        return earliest
    rows = session.execute(
        select(Report.reporter_key, func.min(Report.created_at))
        .where(
            Report.case_id == case.id,
            Report.source == "report",
            Report.created_at >= since,
            Report.created_at <= until,
            or_(Report.forwarded_by.is_(None), Report.reporter_account_id.is_(None)),
        )
        .group_by(Report.reporter_key)
    )
    return {key: at for key, at in rows}


def has_bank_match(session: Session, case: Case) -> bool:
    held = _in_memory(case)
    if held is not None:
        return any(r.source == "match" for r in held)
    found = session.scalar(
        select(exists().where(Report.case_id == case.id, Report.source == "match"))
    )
    return bool(found)


def child_safety_reporters(
    session: Session, case: Case, enough: int = 2
) -> list[ChildSafetyReport]:
    """Reporters of child-safety reports on the case, one each, whose word counts towards
    corroboration (a forwarded report only from an account in good standing), forwarded
    ones first; at most `enough` of them, which is all that domain.corroboration asks."""
    held = _in_memory(case)
    if held is not None:
        counted: dict[str, ChildSafetyReport] = {}
        for r in held:
            if r.source != "report" or not is_child_safety(Category(r.category), r.depicts_minor):
                continue
            forwarded = r.forwarded_by is not None
            if forwarded and not _in_good_standing(session, r.reporter_account_id):
                continue
            counted.setdefault(r.reporter_key, ChildSafetyReport(r.reporter_key, forwarded))
        ordered = sorted(counted.values(), key=lambda c: not c.forwarded)
        return ordered[:enough]
    forwarded_any = func.max(when((Report.forwarded_by.is_not(None), 1), else_=0))
    rows = session.execute(
        select(Report.reporter_key, forwarded_any)
        .outerjoin(Account, Account.account_id == Report.reporter_account_id)
        .where(
            Report.case_id == case.id,
            Report.source == "report",
            _child_safety_condition(),
            or_(
                Report.forwarded_by.is_(None),
                Account.account_id.is_(None),
                and_(Account.state != AccountState.SUSPENDED.value, Account.strikes == 0),
            ),
        )
        .group_by(Report.reporter_key)
        .order_by(forwarded_any.desc(), Report.reporter_key)
        .limit(enough)
    )
    return [ChildSafetyReport(key, bool(forwarded)) for key, forwarded in rows]


def report_kinds(session: Session, case: Case) -> set[tuple[str, str, bool]]:
    """The distinct (category, reporter role, depicts minor) of people's reports on the case:
    at most a few dozen, whatever the number of reports."""
    held = _in_memory(case)
    if held is not None:
        return {
            (r.category, r.reporter_role, r.depicts_minor) for r in held if r.source == "report"
        }
    rows = session.execute(
        select(Report.category, Report.reporter_role, Report.depicts_minor)
        .where(Report.case_id == case.id, Report.source == "report")
        .distinct()
    )
    return {(c, role, bool(m)) for c, role, m in rows}


def contact_report_ids(
    session: Session, case: Case, among: Collection[str] | None = None
) -> list[str]:
    """The case's reports whose reporter left an address, oldest first; only those in
    `among` when it is given."""
    held = _in_memory(case)
    if held is not None:
        return [r.id for r in held if r.contact_email and (among is None or r.id in among)]
    query = select(Report.id).where(
        Report.case_id == case.id, Report.contact_email.is_not(None), Report.contact_email != ""
    )
    if among is not None:
        query = query.where(Report.id.in_(sorted(among)))
    return list(session.scalars(query.order_by(Report.created_at, Report.id)))


def _in_good_standing(session: Session, account_id: str | None) -> bool:
    """An account Takedown has nothing against: unknown to it, or active with no strike."""
    if account_id is None:
        return True
    # Reports write no accounts: nothing pending here could change the answer.
    with session.no_autoflush:
        account = session.get(Account, account_id)
    if account is None:
        return True
    return account.state != AccountState.SUSPENDED and account.strikes == 0


@cache
def _child_safety_condition() -> ColumnElement[bool]:
    """domain.triage.is_child_safety as SQL, derived from it rather than restated."""
    always = [c.value for c in Category if is_child_safety(c, False)]
    with_minor = [c.value for c in Category if is_child_safety(c, True) and c.value not in always]
    return or_(
        Report.category.in_(always),
        and_(Report.category.in_(with_minor), Report.depicts_minor.is_(True)),
    )
