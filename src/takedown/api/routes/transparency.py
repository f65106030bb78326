"""Transparency endpoints (roles `admin`, `legal`): DSA statements of reasons and the report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from takedown.api.deps import require, runtime
from takedown.runtime import Runtime
from takedown.services import transparency
from takedown.services.access import Principal, Role

router = APIRouter(tags=["transparency"])
READERS = (Role.ADMIN, Role.LEGAL)


@router.get("/v1/transparency/statements")
def statements(
    first: str | None = Query(None, alias="from", description="YYYY-MM-DD (UTC)"),
    last: str | None = Query(None, alias="to", description="YYYY-MM-DD (UTC), included"),
    who: Principal = Depends(require(*READERS)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    period = transparency.parse_period(first, last, rt.clock.now().date())
    with rt.transaction() as session:
        return {
            "period": period.as_json(),
            "statements": transparency.statements(session, period),
        }


@router.get("/v1/transparency/report")
def report(
    first: str | None = Query(None, alias="from", description="YYYY-MM-DD (UTC)"),
    last: str | None = Query(None, alias="to", description="YYYY-MM-DD (UTC), included"),
    who: Principal = Depends(require(*READERS)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    period = transparency.parse_period(first, last, rt.clock.now().date())
    with rt.transaction() as session:
        return transparency.report(session, period)
