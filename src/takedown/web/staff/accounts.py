"""The account a case is about, on the case page: its items, its cases, and its suspension."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from takedown.domain.vocabulary import Policy
from takedown.runtime import Runtime
from takedown.services import account_cases
from takedown.services.access import Role
from takedown.services.cases import get_case
from takedown.services.errors import Invalid, ServiceError
from takedown.services.staff_sessions import StaffLogin
from takedown.store.models import Case
from takedown.web.staff.auth import allow, csrf_checked, runtime

router = APIRouter(include_in_schema=False)


def subject_view(session: Session, case: Case) -> dict[str, Any] | None:
    """What the case page lists for a case about an account. Item texts are not shown here:
    a text is read on an item of the case, behind a recorded reveal (DESIGN rule 9)."""
    subject = account_cases.subject_of(session, case)
    if subject is None:
        return None
    return {
        "account_id": subject.account_id,
        "state": subject.state,
        "listed": subject.items,
        "cases": subject.other_cases,
    }


@router.post("/staff/cases/{case_id}/account-suspension")
def suspend_account(
    case_id: str,
    request: Request,
    policy: str = Form(""),
    reason: str = Form(""),
    login: StaffLogin = Depends(allow(Role.LEAD, Role.ADMIN)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    """A lead suspends the account the case is about (`POST /v1/cases/{id}/account-suspension`)."""
    from takedown.web.staff.pages import case_page

    try:
        if policy not in {p.value for p in Policy} or policy == Policy.NONE:
            raise Invalid("choose the policy the account breaks", "policy_required")
        if not reason.strip():
            raise Invalid("a suspension needs a written reason", "reason_required")
        with rt.transaction() as session:
            case = get_case(session, case_id)
            account_cases.suspend_subject(
                session,
                case,
                login.user.name,
                Policy(policy),
                reason.strip()[:10_000],
                rt.clock.now(),
            )
    except ServiceError as exc:
        return case_page(request, case_id, login, rt, error=exc)
    return RedirectResponse(f"/staff/cases/{case_id}?notice=suspended", status_code=303)
