"""Legal endpoints: the evidence package for law enforcement, legal holds, filings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from takedown.api.deps import require, runtime
from takedown.clock import rfc3339
from takedown.runtime import Runtime
from takedown.services import evidence
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case
from takedown.services.filing import filing_json, retry_filing
from takedown.store.filings import Filing

router = APIRouter(tags=["legal"])


class HoldIn(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)


@router.get(
    "/v1/cases/{case_id}/evidence-package",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def evidence_package(
    case_id: str, who: Principal = Depends(require(Role.LEGAL)), rt: Runtime = Depends(runtime)
) -> Response:
    """A zip of the case's preserved media, metadata, events and hashes. The export is logged."""
    with rt.transaction() as session:
        case = get_case(session, case_id)
        now = rt.clock.now()
        data = evidence.evidence_package(session, case, who.name, now)
    name = f"takedown-evidence-{case_id}-{now:%Y%m%dT%H%M%SZ}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/v1/cases/{case_id}/legal-hold", status_code=201)
def set_hold(
    case_id: str,
    body: HoldIn,
    who: Principal = Depends(require(Role.LEGAL)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        case = get_case(session, case_id)
        hold = evidence.set_legal_hold(session, case, who.name, body.reason, rt.clock.now())
        return {
            "case_id": case_id,
            "hold_id": hold.id,
            "reason": hold.reason,
            "set_by": hold.set_by,
            "set_at": rfc3339(hold.set_at),
        }


@router.delete("/v1/cases/{case_id}/legal-hold")
def release_hold(
    case_id: str, who: Principal = Depends(require(Role.LEGAL)), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.transaction() as session:
        case = get_case(session, case_id)
        released = evidence.release_legal_hold(session, case, who.name, rt.clock.now())
        return {"case_id": case_id, "released": released}


@router.get("/v1/filings")
def list_filings(
    status: str | None = None,
    who: Principal = Depends(require(Role.LEGAL, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """The legal queue: filings, those escalated to legal first."""
    with rt.transaction() as session:
        query = select(Filing)
        if status:
            query = query.where(Filing.status == status)
        filings = session.scalars(
            query.order_by(Filing.escalated_at.is_(None), Filing.created_at).limit(500)
        )
        return {
            "filings": [
                {"case_id": f.case_id, **(filing_json(session, f.case_id) or {})} for f in filings
            ]
        }


@router.post("/v1/cases/{case_id}/filing/retry")
def retry_case_filing(
    case_id: str,
    who: Principal = Depends(require(Role.LEGAL, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Send a stuck CyberTipline filing again once legal has fixed its cause."""
    with rt.transaction() as session:
        get_case(session, case_id)
        retry_filing(session, case_id, who.name, rt.clock.now())
        return filing_json(session, case_id) or {}
