"""Gathers what domain.corroboration needs to decide whether a bystander's child-safety report
is corroborated: the case's child-safety reports, its bank matches, the uploaders' records."""

from __future__ import annotations

from sqlalchemy.orm import Session

from takedown.domain.corroboration import Corroboration, agreeing_signal
from takedown.domain.triage import Triage, triage_report
from takedown.domain.vocabulary import Category, ReporterRole
from takedown.services import case_reports
from takedown.store.models import Account, Case


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
    triaged = [_triage(*kind) for kind in case_reports.report_kinds(session, case)]
    bystander = any(t.child_safety and not t.restrict for t in triaged)
    return _agreeing(session, case) if bystander else None


def _agreeing(session: Session, case: Case) -> Corroboration | None:
    # Bounded reads (services.case_reports): a case may hold thousands of reports.
    reports = case_reports.child_safety_reporters(session, case)
    bank_match = case_reports.has_bank_match(session, case)
    uploaders = {link.item.account_id for link in case.links}
    # An account new in this transaction has no strike: no flush is needed to read them.
    with session.no_autoflush:
        accounts = [session.get(Account, a) for a in sorted(uploaders)]
    confirmed_before = any(a is not None and a.strikes > 0 for a in accounts)
    return agreeing_signal(reports, bank_match, confirmed_before)


def _triage(category: str, role: str, depicts_minor: bool) -> Triage:
    return triage_report(Category(category), ReporterRole(role), depicts_minor)
