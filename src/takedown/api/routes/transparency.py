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


def period(
    first: str | None = Query(None, alias="from", description="YYYY-MM-DD (UTC)"),
    last: str | None = Query(None, alias="to", description="YYYY-MM-DD (UTC), included"),
    rt: Runtime = Depends(runtime),
) -> transparency.Period:
    """The `from` and `to` days both transparency endpoints take."""
    return transparency.parse_period(first, last, rt.clock.now().date())


@router.get("/v1/transparency/statements")
def statements(
    # The key is checked before the days are read: a caller without one learns nothing.
    who: Principal = Depends(require(*READERS)),
    days: transparency.Period = Depends(period),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        return {
            "period": days.as_json(),
            "statements": transparency.statements(session, days),
        }


@router.get("/v1/transparency/report")
def report(
    # The key is checked before the days are read: a caller without one learns nothing.
    who: Principal = Depends(require(*READERS)),
    days: transparency.Period = Depends(period),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        return transparency.report(session, days)
