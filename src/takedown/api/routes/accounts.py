"""Acting on the account a case is about (a report naming an account, not an item)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from takedown.api.deps import require, runtime
from takedown.api.presenters import case_detail
from takedown.domain.vocabulary import Policy
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role
from takedown.services.account_cases import suspend_subject
from takedown.services.cases import get_case

router = APIRouter(tags=["review"])


class SuspensionIn(BaseModel):
    policy: Policy
    reason: str = Field(min_length=1, max_length=10_000)


@router.post("/v1/cases/{case_id}/account-suspension")
def post_account_suspension(
    case_id: str,
    body: SuspensionIn,
    who: Principal = Depends(require(Role.LEAD, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A lead suspends the account the case is about; the platform is told by webhook."""
    with rt.transaction() as session:
        case = get_case(session, case_id)
        suspend_subject(session, case, who.name, body.policy, body.reason, rt.clock.now())
        return case_detail(session, case)
