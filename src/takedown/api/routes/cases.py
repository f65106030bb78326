"""Staff endpoints: the queue, a case, its history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from takedown.api.deps import STAFF, require, runtime
from takedown.api.presenters import case_detail, case_summary, event_json
from takedown.api.schemas import EventOut
from takedown.domain.vocabulary import CaseState, Category, Priority
from takedown.runtime import Runtime
from takedown.services import case_log
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case, queue
from takedown.services.possible_copies import confirm_copy, mark_bank_part

router = APIRouter(tags=["staff"])

# Far past any real queue, and far inside what every database's integer types hold: the probe's
# offset of 2**63 reached the database and came back as a 500 (issue 10.7).
MAX_OFFSET = 1_000_000


@router.get("/v1/cases")
def list_cases(
    state: CaseState | None = None,
    priority: Priority | None = None,
    category: Category | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    who: Principal = Depends(require(*STAFF)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        cases = queue(
            session,
            state.value if state else None,
            priority.value if priority else None,
            category.value if category else None,
            limit,
            offset,
        )
        return {"cases": [case_summary(c) for c in cases]}


@router.get("/v1/cases/{case_id}")
def show_case(
    case_id: str, who: Principal = Depends(require(*STAFF)), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.transaction() as session:
        return case_detail(session, get_case(session, case_id))


@router.get("/v1/cases/{case_id}/events", response_model=list[EventOut])
def case_events(
    case_id: str, who: Principal = Depends(require(*STAFF)), rt: Runtime = Depends(runtime)
) -> list[dict[str, Any]]:
    with rt.transaction() as session:
        get_case(session, case_id)
        return [event_json(e) for e in case_log.history(session, case_id)]


class BankPartIn(BaseModel):
    segments: list[Any] = Field(description="[[start_s, end_s], ...] of the video's timeline")


@router.put("/v1/cases/{case_id}/content/{content_id}/bank-part")
def put_bank_part(
    case_id: str,
    content_id: str,
    body: BankPartIn,
    who: Principal = Depends(require(Role.REVIEWER, Role.LEAD, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A reviewer marks the abusive stretches of a linked video (a compilation): a csam
    decision banks only those. 404 not on the case; 409 decided; 422 not a video or bad
    segments."""
    with rt.transaction() as session:
        case = get_case(session, case_id)
        segments = mark_bank_part(
            session, case, content_id, body.segments, who.name, rt.clock.now()
        )
        return {"content_id": content_id, "segments": [list(s) for s in segments]}


@router.post("/v1/cases/{case_id}/possible-copies/{content_id}/link")
def link_possible_copy(
    case_id: str,
    content_id: str,
    who: Principal = Depends(require(Role.REVIEWER, Role.LEAD, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A reviewer links a possible copy (a partial video match) to the case: from then on it
    is hidden with the case and acted on by its decision. 404 if the case shows no such
    possible copy; 409 once the case is decided."""
    with rt.transaction() as session:
        case = get_case(session, case_id)
        confirm_copy(session, case, content_id, who.name, rt.clock.now())
        return case_detail(session, case)
