"""Gathers what domain.corroboration needs to decide whether a bystander's child-safety report
is corroborated: the case's child-safety reports, its bank matches, the uploaders' records."""

from __future__ import annotations

from sqlalchemy.orm import Session

from takedown.domain.corroboration import ChildSafetyReport, Corroboration, agreeing_signal
from takedown.domain.triage import Triage, triage_report
from takedown.domain.vocabulary import AccountState, Category, ReporterRole
from takedown.store.models import Account, Case, Report


def bystander_report_corroborated(
    session: Session, case: Case, triage: Triage
) -> Corroboration | None:
    """For a child-safety report that does not hide content on its own word: the second signal
    that agrees, if there is one. None for every other report."""
    if not triage.child_safety or triage.restrict:
        return None
    return _agreeing(session, case)


def bystander_case_corroborated(session: Session, case: Case) -> Corroboration | None:
    """For a signal that arrives after the reports (a bank match found at upload or by a
    scan): whether it agrees with a bystander's child-safety report already on the case."""
    bystanders = [
        r for r in case.reports if r.source == "report" and _child_safety(r) and not _restricting(r)
    ]
    return _agreeing(session, case) if bystanders else None


def _agreeing(session: Session, case: Case) -> Corroboration | None:
    reports = [
        ChildSafetyReport(
            reporter_key=r.reporter_key,
            forwarded=r.forwarded_by is not None,
            account_in_good_standing=_in_good_standing(session, r.reporter_account_id),
        )
        for r in case.reports
        if r.source == "report" and _child_safety(r)
    ]
    bank_match = any(r.source == "match" for r in case.reports)
    uploaders = {link.item.account_id for link in case.links}
    confirmed_before = any(
        account is not None and account.strikes > 0
        for account in (session.get(Account, a) for a in uploaders)
    )
    return agreeing_signal(reports, bank_match, confirmed_before)


def _triage(report: Report) -> Triage:
    return triage_report(
        Category(report.category), ReporterRole(report.reporter_role), report.depicts_minor
    )


def _child_safety(report: Report) -> bool:
    return _triage(report).child_safety


def _restricting(report: Report) -> bool:
    return _triage(report).restrict


def _in_good_standing(session: Session, account_id: str | None) -> bool:
    """An account Takedown has nothing against: unknown to it, or active with no strike."""
    if account_id is None:
        return True
    account = session.get(Account, account_id)
    if account is None:
        return True
    return account.state != AccountState.SUSPENDED and account.strikes == 0
