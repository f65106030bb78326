"""Public reporting: no key, no identity demanded, rate limited per address."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from takedown.api.deps import runtime, take_report
from takedown.api.intake import forwarding_platform
from takedown.api.schemas import ReportIn, ReportOut, StatusOut
from takedown.clock import rfc3339
from takedown.runtime import Runtime
from takedown.services.intake import Receipt
from takedown.services.reports import ReportInput
from takedown.services.status import status_for_token

# Rate limits are charged in services.intake, once the report says which budget it is for.
router = APIRouter(tags=["public"])


def status_url(request: Request, rt: Runtime, token: str) -> str:
    base = rt.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/status/{token}"


def receipt_out(request: Request, rt: Runtime, receipt: Receipt) -> dict[str, Any]:
    """The reporter's receipt as the contract's ReportOut."""
    return {
        "report_id": receipt.report_id,
        "case_id": receipt.case_id,
        "priority": receipt.priority,
        "status_token": receipt.status_token,
        "status_url": status_url(request, rt, receipt.status_token),
        "content_state": receipt.content_state,
    }


@router.post("/v1/reports", status_code=201, response_model=ReportOut)
async def post_report(
    body: ReportIn, request: Request, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    # `async def` with the blocking part on one worker thread: FastAPI runs a plain `def`
    # endpoint on the threadpool and then its response model's validation on it again, two
    # thread hand-offs a report where one does (issue 15).
    def take() -> dict[str, Any]:
        platform = forwarding_platform(request, rt)  # a sent key is looked up: blocking
        data = ReportInput(**body.model_dump(), forwarded_by=platform.name if platform else None)
        return receipt_out(request, rt, take_report(request, data))

    return await run_in_threadpool(take)


@router.get("/v1/status/{status_token}", response_model=StatusOut)
def get_status(status_token: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    with rt.transaction() as session:
        view = status_for_token(session, status_token)
        return {
            "case_id": view.case.id,
            "state": view.case.state,
            "priority": view.case.priority,
            "content_state": view.content_state,
            "updates": [{"at": rfc3339(u.at), "message": u.message} for u in view.updates],
            "decision": (
                {**view.decision, "decided_at": rfc3339(view.decision["decided_at"])}
                if view.decision
                else None
            ),
            "can_appeal": view.can_appeal,
        }
