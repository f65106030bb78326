"""The review pages: the queue, the case, decisions, settings, and the admin and legal lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.deadlines import EscalationStage, escalation_stage
from takedown.domain.vocabulary import CaseState, Category, EventType, Outcome, Policy, Priority
from takedown.runtime import Runtime
from takedown.services import case_log, possible_copies, review
from takedown.services.access import Role
from takedown.services.cases import get_case
from takedown.services.errors import Invalid, ServiceError
from takedown.services.staff_sessions import StaffLogin
from takedown.store.models import ApiKey, Case, User
from takedown.web.staff.accounts import subject_view
from takedown.web.staff.auth import ALL_STAFF, allow, csrf_checked, runtime
from takedown.web.staff.media import item_view
from takedown.web.staff.rendering import render, time_left

router = APIRouter(include_in_schema=False)

DECIDERS = (Role.REVIEWER, Role.LEAD, Role.ADMIN)


def idle_of(rt: Runtime) -> timedelta:
    return timedelta(minutes=rt.settings.claim_idle_minutes)


def urgency(case: Case, now: Any) -> str:
    """`overdue`, `near` (past half its time: leads were told) or `ok`, for the queue's marks."""
    if case.state not in {s.value for s in AWAITING_DECISION}:
        return "ok"
    stage = escalation_stage(case.deadline_started_at, case.deadline_at, now)
    return {EscalationStage.BREACHED: "overdue", EscalationStage.HALFWAY: "near"}.get(stage, "ok")


# -- the queue -------------------------------------------------------------------------------


@router.get("/staff", response_class=HTMLResponse)
def queue_page(
    request: Request,
    priority: str = "",
    category: str = "",
    state: str = "",
    message: str = "",
    login: StaffLogin = Depends(allow(*ALL_STAFF)),
    rt: Runtime = Depends(runtime),
) -> Response:
    now = rt.clock.now()
    priority = priority if priority in {p.value for p in Priority} else ""
    category = category if category in {c.value for c in Category} else ""
    state = state if state in {s.value for s in CaseState} else ""
    with rt.transaction() as session:
        review.release_idle_claims(session, now, idle_of(rt))
        query = select(Case)
        if state:
            query = query.where(Case.state == state)
        else:
            query = query.where(Case.state.in_([s.value for s in AWAITING_DECISION]))
        if priority:
            query = query.where(Case.priority == priority)
        if category:
            query = query.where(Case.category == category)
        order: list[Any] = [Case.priority, Case.deadline_at, Case.id]
        if login.user.role in (Role.LEAD, Role.ADMIN):
            # A lead is the one paged: breaches first, then escalations (issue 14, on call).
            breached = Case.breached_at.is_(None) & Case.removal_breached_at.is_(None)
            escalated = Case.escalated_at.is_(None) & Case.removal_escalated_at.is_(None)
            order = [breached, escalated, *order]
        cases = list(session.scalars(query.order_by(*order).limit(200)))
        holders = review.claims_by_case(session, [c.id for c in cases], now, idle_of(rt))
        rows = [
            {
                "case": c,
                "left": time_left(c.deadline_at, now),
                "urgency": urgency(c, now),
                "claimed_by": holders.get(c.id),
            }
            for c in cases
        ]
        return render(
            request,
            "staff/queue.html",
            {
                "rows": rows,
                "filters": {"priority": priority, "category": category, "state": state},
                "priorities": [p.value for p in Priority],
                "categories": [c.value for c in Category],
                "states": [s.value for s in CaseState],
                "message": message,
                "can_decide": Role(login.user.role) in DECIDERS,
            },
        )


@router.post("/staff/claim-next")
def claim_next(
    priority: str = Form(""),
    category: str = Form(""),
    login: StaffLogin = Depends(allow(*DECIDERS)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.transaction() as session:
        case = review.claim_next(
            session,
            login.principal,
            rt.clock.now(),
            idle_of(rt),
            priority if priority in {p.value for p in Priority} else None,
            category if category in {c.value for c in Category} else None,
        )
        case_id = case.id if case else None
    if case_id is None:
        return RedirectResponse("/staff?message=nothing_to_claim", status_code=303)
    return RedirectResponse(f"/staff/cases/{case_id}", status_code=303)


# -- the case page ---------------------------------------------------------------------------


@router.get("/staff/cases/{case_id}", response_class=HTMLResponse)
def show_case(
    case_id: str,
    request: Request,
    login: StaffLogin = Depends(allow(*ALL_STAFF)),
    rt: Runtime = Depends(runtime),
) -> Response:
    return case_page(request, case_id, login, rt)


def case_page(
    request: Request,
    case_id: str,
    login: StaffLogin,
    rt: Runtime,
    revealed: set[str] | None = None,
    error: ServiceError | None = None,
    notice: str | None = None,
) -> Response:
    now = rt.clock.now()
    idle = idle_of(rt)
    who = login.principal
    with rt.transaction() as session:
        try:
            case = get_case(session, case_id)
        except ServiceError:
            return render(request, "staff/error.html", {"message": "No such case."}, 404)
        held = review.active_claim(session, case.id, now, idle)
        mine = held is not None and held.claimed_by == who.name
        if mine:
            review.touch(session, case.id, who, now, idle)
        events = case_log.history(session, case.id)
        blocker = review.why_cannot_decide(session, case, who)
        first = review.pending_first_decision(session, case)
        context = {
            "case": case,
            "now": now,
            "left": time_left(case.deadline_at, now),
            "urgency": urgency(case, now),
            "claimed_by": held.claimed_by if held else None,
            "mine": mine,
            "can_claim": blocker is None and not mine and held is None,
            "can_decide": blocker is None and mine,
            "blocker": blocker.message if blocker and Role(who.role) in DECIDERS else None,
            "first_decision": first,
            "decisions": review.decisions_of(session, case.id),
            "appeal": review.open_appeal(session, case.id),
            "items": [
                item_view(session, rt, login, case, link.item_id, link.item_id in (revealed or ()))
                for link in case.links
            ],
            "matches": [e.data for e in events if e.type == EventType.MATCH],
            "possible_copies": possible_copies.proposals(session, case),
            "events": list(reversed(events)),
            "uploaders": review.uploaders(session, case),
            "unseen": review.unseen_media(session, case),
            "subject": subject_view(session, case),
            "can_suspend": Role(who.role) in (Role.LEAD, Role.ADMIN),
            "viewing": review.viewing_settings(login.user),
            "policies": [p.value for p in Policy],
            "error": error.message if error else None,
            "notice": notice or request.query_params.get("notice"),
        }
        return render(request, "staff/case.html", context, error.status if error else 200)


@router.post("/staff/cases/{case_id}/claim")
def claim_case(
    case_id: str,
    request: Request,
    login: StaffLogin = Depends(allow(*DECIDERS)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    try:
        with rt.transaction() as session:
            case = get_case(session, case_id)
            review.claim(session, case, login.principal, rt.clock.now(), idle_of(rt))
    except ServiceError as exc:
        return case_page(request, case_id, login, rt, error=exc)
    return RedirectResponse(f"/staff/cases/{case_id}", status_code=303)


@router.post("/staff/cases/{case_id}/release")
def release_case(
    case_id: str,
    login: StaffLogin = Depends(allow(*DECIDERS)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.transaction() as session:
        review.release(session, case_id, login.principal, rt.clock.now())
    return RedirectResponse("/staff", status_code=303)


@router.post("/staff/cases/{case_id}/decision")
def decide_case(
    case_id: str,
    request: Request,
    outcome: str = Form(""),
    policy: str = Form(""),
    reason: str = Form(""),
    without_media_reason: str = Form(""),
    login: StaffLogin = Depends(allow(*DECIDERS)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    """The same decision as `POST /v1/cases/{id}/decision`; the page also needs a claim."""
    try:
        if outcome not in {o.value for o in Outcome}:
            raise Invalid("choose an outcome", "outcome_required")
        if policy not in {p.value for p in Policy}:
            raise Invalid("choose the policy", "policy_required")
        with rt.transaction() as session:
            case = get_case(session, case_id)
            result = review.decide(
                session,
                case,
                login.principal,
                Outcome(outcome),
                Policy(policy),
                reason,
                rt.clock.now(),
                idle_of(rt),
                require_claim=True,
                without_media_reason=without_media_reason[:10_000],
            )
    except ServiceError as exc:
        return case_page(request, case_id, login, rt, error=exc)
    notice = "decided" if result.final else "pending_second_review"
    return RedirectResponse(f"/staff/cases/{case_id}?notice={notice}", status_code=303)


# -- settings --------------------------------------------------------------------------------


@router.get("/staff/settings", response_class=HTMLResponse)
def settings_page(request: Request, login: StaffLogin = Depends(allow(*ALL_STAFF))) -> Response:
    return render(
        request,
        "staff/settings.html",
        {
            "viewing": review.viewing_settings(login.user),
            "min_blur": review.MIN_BLUR_PX,
            "max_blur": review.MAX_BLUR_PX,
        },
    )


@router.post("/staff/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    blur_px: str = Form(""),
    greyscale: str = Form(""),
    login: StaffLogin = Depends(allow(*ALL_STAFF)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    error = None
    with rt.transaction() as session:
        user = session.get(User, login.user.id)
        assert user is not None
        try:
            blur = int(blur_px)
        except ValueError:
            blur = -1
        try:
            viewing = review.save_viewing_settings(
                session, user, blur, greyscale == "on", rt.clock.now()
            )
        except ServiceError as exc:
            error = exc.message
            viewing = review.viewing_settings(user)
    return render(
        request,
        "staff/settings.html",
        {
            "viewing": viewing,
            "min_blur": review.MIN_BLUR_PX,
            "max_blur": review.MAX_BLUR_PX,
            "error": error,
            "saved": error is None,
        },
        422 if error else 200,
    )


# -- admin and legal -------------------------------------------------------------------------


@router.get("/staff/admin", response_class=HTMLResponse)
def admin_page(
    request: Request,
    login: StaffLogin = Depends(allow(Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.transaction() as session:
        users = list(session.scalars(select(User).order_by(User.name)))
        keys = list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())))
        return render(request, "staff/admin.html", {"users": users, "keys": keys})


@router.get("/staff/legal", response_class=HTMLResponse)
def legal_page(
    request: Request,
    login: StaffLogin = Depends(allow(Role.LEGAL, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> Response:
    filings: list[Any] = []
    evidence: list[Any] = []
    holds: list[Any] = []
    with rt.transaction() as session:
        try:
            from takedown.store import filings as tables
        except ImportError:
            tables = None  # type: ignore[assignment]
        if tables is not None:
            filings = list(
                session.scalars(select(tables.Filing).order_by(tables.Filing.created_at.desc()))
            )
            evidence = list(
                session.scalars(
                    select(tables.EvidenceRecord)
                    .order_by(tables.EvidenceRecord.created_at.desc())
                    .limit(200)
                )
            )
            holds = list(
                session.scalars(select(tables.LegalHold).order_by(tables.LegalHold.set_at.desc()))
            )
        from takedown.services.filing import problem_of

        rows = [(f, problem_of(f) if f.status != "accepted" else None) for f in filings]
        return render(
            request,
            "staff/legal.html",
            {
                "filings": rows,
                "evidence": evidence,
                "holds": holds,
                "message": request.query_params.get("message"),
            },
        )


@router.post("/staff/cases/{case_id}/filing/retry")
def retry_filing_page(
    case_id: str,
    login: StaffLogin = Depends(allow(Role.LEGAL, Role.ADMIN)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    """Legal's retry button: the same service as POST /v1/cases/{id}/filing/retry."""
    from takedown.services.filing import retry_filing

    try:
        with rt.transaction() as session:
            retry_filing(session, case_id, login.principal.name, rt.clock.now())
    except ServiceError as exc:
        return RedirectResponse(f"/staff/legal?message={exc.code}", status_code=303)
    return RedirectResponse("/staff/legal?message=filing_retried", status_code=303)
