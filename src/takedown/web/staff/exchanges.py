"""The exchanges page: each hash exchange's health, for leads and admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from takedown.exchanges.health import all_health
from takedown.runtime import Runtime
from takedown.services.access import Role
from takedown.services.staff_sessions import StaffLogin
from takedown.web.staff.auth import allow, runtime
from takedown.web.staff.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/staff/exchanges", response_class=HTMLResponse)
def exchanges_page(
    request: Request,
    login: StaffLogin = Depends(allow(Role.LEAD, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> Response:
    now = rt.clock.now()
    with rt.transaction() as session:
        rows = [(h, h.lag_seconds(now)) for h in all_health(session)]
    return render(request, "staff/exchanges.html", {"rows": rows})
