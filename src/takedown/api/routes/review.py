"""Decisions and appeals over HTTP: the same services as the review pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from takedown.api.deps import public_rate_limit, require, runtime
from takedown.api.presenters import case_detail
from takedown.clock import rfc3339
from takedown.domain.vocabulary import Outcome, Policy
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role
from takedown.services.appeals import appeal_by_reporter, appeal_by_uploader
from takedown.services.cases import get_case
from takedown.services.review import decide
from takedown.store.review import Appeal

router = APIRouter(tags=["review"])


class DecisionIn(BaseModel):
    outcome: Outcome
    policy: Policy
    reason: str = Field(max_length=10_000)
    # Needed when no one could see the media of an item the decision acts on (issue 13): the
    # decider confirms they decide without them, and why (an exact hash match, say).
    without_media_reason: str | None = Field(default=None, max_length=10_000)


class AppealIn(BaseModel):
    statement: str | None = Field(default=None, max_length=10_000)


def claim_idle(rt: Runtime) -> timedelta:
    return timedelta(minutes=rt.settings.claim_idle_minutes)


@router.post("/v1/cases/{case_id}/decision", response_model=None)
def post_decision(
    case_id: str,
    body: DecisionIn,
    who: Principal = Depends(require(Role.REVIEWER, Role.LEAD, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> JSONResponse:
    """200 with the case once the decision is final; 202 while it waits for a second review."""
    with rt.transaction() as session:
        case = get_case(session, case_id)
        result = decide(
            session,
            case,
            who,
            body.outcome,
            body.policy,
            body.reason,
            rt.clock.now(),
            claim_idle(rt),
            without_media_reason=body.without_media_reason,
        )
        out = case_detail(session, case)
    return JSONResponse(out, status_code=200 if result.final else 202)


def appeal_json(appeal: Appeal, state: str, deadline_at: Any) -> dict[str, Any]:
    return {
        "appeal_id": appeal.id,
        "case_id": appeal.case_id,
        "state": state,
        "deadline_at": rfc3339(deadline_at),
    }


@router.post(
    "/v1/status/{status_token}/appeal",
    status_code=201,
    tags=["public"],
    dependencies=[Depends(public_rate_limit)],
)
def post_reporter_appeal(
    status_token: str, body: AppealIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """The reporter's one-click appeal of a dismissal; goes to a lead who did not decide it."""
    with rt.transaction() as session:
        appeal = appeal_by_reporter(
            session, status_token, body.statement, rt.clock.now(), rt.deadlines
        )
        case = get_case(session, appeal.case_id)
        return appeal_json(appeal, case.state, case.deadline_at)


@router.post("/v1/content/{content_id}/appeal", status_code=201, tags=["platform"])
def post_uploader_appeal(
    content_id: str,
    body: AppealIn,
    who: Principal = Depends(require(Role.PLATFORM)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """The uploader's appeal of a removal, relayed by the platform with their statement."""
    with rt.transaction() as session:
        appeal = appeal_by_uploader(
            session, content_id, body.statement, who.name, rt.clock.now(), rt.deadlines
        )
        case = get_case(session, appeal.case_id)
        return appeal_json(appeal, case.state, case.deadline_at)
