"""Who is reporting and which budget pays for it: forwarded reports and report rate limits.

- A report sent with a `platform` key is forwarded by the platform from its own report button
  (API.md, "Reports forwarded by the platform"): its reporter's account is believed, and the
  per-address limit does not apply (every forwarded report comes from the platform's address).
- A key-less report is charged to its client address: child-safety reports to a budget of
  their own, everything else to the general one (domain.report_budget).
- A claimed account or email is also limited across addresses (the per-reporter limit).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import Request

from takedown.api.deps import client_address, principal
from takedown.api.errors import ApiError
from takedown.domain.report_budget import Budget, admission, budget_for
from takedown.domain.triage import triage_report
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role
from takedown.services.reports import ReportInput, claim_key


def forwarding_platform(request: Request, rt: Runtime) -> Principal | None:
    """The platform forwarding this report, or None for a key-less report.

    A key that is sent must be valid and a platform's: a wrong key is refused, not quietly
    treated as a public report.
    """
    if "authorization" not in request.headers:
        return None
    who = principal(request, rt)
    if who.role is not Role.PLATFORM:
        raise ApiError(
            403,
            "forbidden",
            "only a platform key forwards reports; send a public report without a key",
        )
    return who


def admit_report(request: Request, rt: Runtime, data: ReportInput) -> ReportInput:
    """Charge the report to its budgets; raise the 429 of the first one it exceeds, unless it
    is a report no limit may silence (then it is accepted, held for review)."""
    state = request.app.state
    triage = triage_report(data.category, data.reporter_role, data.depicts_minor)
    refusal: ApiError | None = None
    try:
        if data.forwarded_by is None:
            if budget_for(triage) is Budget.CHILD_SAFETY:
                state.child_safety_limit.hit(client_address(request))
            else:
                state.public_limit.hit(client_address(request))
        claim = claim_key(rt.settings.secret_key, data)
        if claim is not None:
            state.reporter_limit.hit(claim)
    except ApiError as exc:
        if exc.status != 429:
            raise
        refusal = exc
    decision = admission(refusal is None, triage, data.reporter_role)
    if not decision.admitted:
        assert refusal is not None
        raise refusal
    return replace(data, held_for_review=decision.held_for_review)
