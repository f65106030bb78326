"""Report intake: which budget pays for a report, then filing it, for every door a report uses.

`POST /v1/reports`, the public report form and `POST /v1/hash-reports` all come through here,
so each accepts and limits exactly the same reports.

- A report with `forwarded_by` set was forwarded by the platform from its own report button
  (API.md, "Reports forwarded by the platform"): its reporter's account is believed, and the
  per-address limit does not apply (every forwarded report comes from the platform's address).
- Any other report is charged to its client address: child-safety reports to a budget of their
  own, everything else to the general one (domain.report_budget).
- A claimed account or email is also limited across addresses (the per-reporter limit).
- A report no limit may silence is accepted over its budget, held for review
  (domain.report_budget.admission).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from takedown.clock import Clock
from takedown.domain.report_budget import Budget, admission, budget_for
from takedown.domain.triage import triage_report
from takedown.services.banks import HashEntry
from takedown.services.errors import RateLimited
from takedown.services.hash_reports import file_hash_report
from takedown.services.installation import Installation
from takedown.services.rate_limits import RateLimit
from takedown.services.reports import (
    ReportInput,
    ReportReceipt,
    claim_key,
    file_report,
    reporter_key,
)
from takedown.store.database import Transaction


@dataclass(frozen=True)
class ReportBudgets:
    public: RateLimit
    child_safety: RateLimit
    reporter: RateLimit


@dataclass(frozen=True)
class Receipt:
    """What the reporter is told, read inside the report's transaction."""

    report_id: str
    case_id: str
    priority: str
    status_token: str
    content_state: str | None
    matched_content_ids: list[str]


def admit_report(
    budgets: ReportBudgets, secret_key: str, data: ReportInput, client: str
) -> ReportInput:
    """Charge the report to its budgets; raise the `RateLimited` of the first one it exceeds,
    unless it is a report no limit may silence (then it is accepted, held for review)."""
    triage = triage_report(data.category, data.reporter_role, data.depicts_minor)
    refusal: RateLimited | None = None
    try:
        if data.forwarded_by is None:
            if budget_for(triage) is Budget.CHILD_SAFETY:
                budgets.child_safety.hit(client)
            else:
                budgets.public.hit(client)
        claim = claim_key(secret_key, data)
        if claim is not None:
            budgets.reporter.hit(claim)
    except RateLimited as exc:
        refusal = exc
    decision = admission(refusal is None, triage, data.reporter_role)
    if not decision.admitted:
        assert refusal is not None
        raise refusal
    return replace(data, held_for_review=decision.held_for_review)


def _receipt(receipt: ReportReceipt, matched: list[str] | None = None) -> Receipt:
    return Receipt(
        report_id=receipt.report.id,
        case_id=receipt.case.id,
        priority=receipt.case.priority,
        status_token=receipt.status_token,
        content_state=receipt.item.state if receipt.item else None,
        matched_content_ids=matched or [],
    )


def take_report(
    transaction: Transaction,
    clock: Clock,
    inst: Installation,
    budgets: ReportBudgets,
    data: ReportInput,
    client: str,
    hashes: list[HashEntry] | None = None,
) -> Receipt:
    """Admit and file one report from `client` (its address); committed before it returns.

    With `hashes` it is a report made of hashes only (services.hash_reports): the hashes find
    the stored items it is about.
    """
    secret = inst.settings.secret_key
    data = admit_report(budgets, secret, data, client)
    reporter = reporter_key(secret, data, client)
    with transaction() as session:
        if hashes is None:
            return _receipt(file_report(session, inst, clock.now(), data, reporter))
        receipt, matched = file_hash_report(session, inst, clock.now(), hashes, data, reporter)
        return _receipt(receipt, [item.content_id for item in matched])
