"""/staff/dashboard for leads and admins: time made visible (issue 14).

The case behind this project waited nine days and nobody inside noticed. This page shows the
queue now, deadlines met, time to action (p50, p90, p99) as charts drawn on the server, every
breached case with its history, and each reviewer's workload and exposure, with the daily
reveal cap that protects them.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from takedown.runtime import Runtime
from takedown.services import dashboard, transparency, wellness
from takedown.services.access import Role
from takedown.services.errors import ServiceError
from takedown.services.staff_sessions import StaffLogin
from takedown.web.staff.auth import allow, csrf_checked, runtime
from takedown.web.staff.charts import Bar, Group, bar_chart, count, duration
from takedown.web.staff.rendering import render

router = APIRouter(include_in_schema=False)
OVERSEERS = (Role.LEAD, Role.ADMIN)

MEASURE_LABELS = {
    "report_to_restriction_s": "Report → hidden",
    "report_to_decision_s": "Report → decision",
    "report_to_removal_s": "Report → removal",
}


def _page(
    request: Request,
    rt: Runtime,
    first: str,
    last: str,
    error: str | None = None,
    saved: bool = False,
) -> Response:
    now = rt.clock.now()
    try:
        period = transparency.parse_period(first or None, last or None, now.date())
    except ServiceError as exc:
        error = exc.message
        period = transparency.parse_period(None, None, now.date())
    with rt.transaction() as session:
        figures = dashboard.figures(session, period, now)
    ttas = figures["time_to_action"]
    tta_chart = bar_chart(
        "Time to action, p50 / p90 / p99",
        [
            Group(
                f"{MEASURE_LABELS[t.measure]} (n={t.count})",
                [Bar(f"p{p}", v) for p, v in t.values.items()],
            )
            for t in ttas
        ],
        duration,
        "time-to-action",
    )
    deadline_chart = bar_chart(
        "Decision deadlines met per priority",
        [
            Group(row.priority, [Bar("met", row.met), Bar("missed", row.missed)])
            for row in figures["deadlines"]
        ],
        count,
        "deadlines",
    )
    return render(
        request,
        "staff/dashboard.html",
        {
            **figures,
            "now": now,
            "tta_chart": tta_chart,
            "deadline_chart": deadline_chart,
            "labels": MEASURE_LABELS,
            "duration": duration,
            "error": error,
            "saved": saved,
            "max_cap": wellness.MAX_CAP,
        },
        422 if error else 200,
    )


@router.get("/staff/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    first: str = "",
    last: str = "",
    login: StaffLogin = Depends(allow(*OVERSEERS)),
    rt: Runtime = Depends(runtime),
) -> Response:
    # `from` is a Python keyword: read the query by its contract name.
    first = request.query_params.get("from", first)
    last = request.query_params.get("to", last)
    return _page(request, rt, first, last)


@router.post("/staff/dashboard/wellness", response_class=HTMLResponse)
def save_reveal_cap(
    request: Request,
    reveal_daily_cap: str = Form(""),
    login: StaffLogin = Depends(allow(*OVERSEERS)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    error = None
    try:
        with rt.transaction() as session:
            try:
                cap = int(reveal_daily_cap)
            except ValueError:
                cap = -1
            wellness.set_daily_reveal_cap(session, cap, login.user.name, rt.clock.now())
    except ServiceError as exc:
        error = exc.message
    return _page(request, rt, "", "", error=error, saved=error is None)
