"""The public pages: report an item, the confirmation, the status page, the hash-only report.

Server-rendered and usable without JavaScript (only the hash-only page needs it, to hash on the
person's own device). Thin adapters: filing goes through `services.intake`, as
`POST /v1/reports` does; the status page reads `services.status`, the appeal calls the review
service.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from takedown.api.deps import client_address, public_rate_limit, runtime, take_report
from takedown.api.schemas import ReportIn
from takedown.domain.take_it_down import REQUEST_CATEGORIES, REQUEST_ROLES
from takedown.domain.vocabulary import Category
from takedown.runtime import Runtime
from takedown.services import thumbnails
from takedown.services.errors import RateLimited, ServiceError
from takedown.services.reports import ReportInput, find_item, report_for_token
from takedown.services.status import ReportedThing, StatusView, describe, status_for_token
from takedown.web.public import appeals, choices, form_token
from takedown.web.public.rendering import render

router = APIRouter(include_in_schema=False)

FIELDS = (
    "content_id",
    "url",
    "account_id",
    "category",
    "reporter_role",
    "statement",
    "contact_email",
    "good_faith_statement",
    "signature",
)


def _own_origins(request: Request, rt: Runtime) -> set[str]:
    origins = {str(request.base_url).rstrip("/")}
    if rt.settings.public_url:
        parts = urlsplit(rt.settings.public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def _frame_policy(rt: Runtime, embeddable: bool) -> dict[str, str]:
    """The report form and its confirmation may be embedded by the platform; nothing else."""
    ancestors = rt.settings.report_frame_ancestors if embeddable else "'none'"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        **_frame_options(ancestors),
    }


def _frame_options(ancestors: str) -> dict[str, str]:
    """X-Frame-Options for browsers that ignore frame-ancestors; it cannot name other sites,
    so a page embeddable by a listed platform carries only the CSP rule."""
    if ancestors.strip() == "'none'":
        return {"X-Frame-Options": "DENY"}
    if ancestors.strip() == "'self'":
        return {"X-Frame-Options": "SAMEORIGIN"}
    return {}


def _page(
    request: Request,
    rt: Runtime,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    embeddable: bool = False,
) -> HTMLResponse:
    response = render(request, template, context, status)
    response.headers.update(_frame_policy(rt, embeddable))
    return response


def _reported(rt: Runtime, values: dict[str, str]) -> ReportedThing:
    """What the form is about, as the reporter knows it (its title or text), never the id."""
    if values.get("account_id") and not (values.get("content_id") or values.get("url")):
        return ReportedThing(account=values["account_id"])
    with rt.transaction() as session:
        item = find_item(session, values.get("content_id") or None, values.get("url") or None)
        return describe(item, values.get("url") or None)


def _form_context(
    request: Request, rt: Runtime, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "reported": _reported(rt, values),
        "values": values,
        "errors": errors,
        "categories": choices.CATEGORIES,
        "roles": choices.ROLES,
        "under_18": choices.UNDER_18,
        "form_token": form_token.issue(rt.settings.secret_key, client_address(request)),
    }


@router.get("/report", response_class=HTMLResponse)
def report_form(
    request: Request,
    content_id: str | None = None,
    url: str | None = None,
    account_id: str | None = None,
    rt: Runtime = Depends(runtime),
) -> HTMLResponse:
    values = {
        "content_id": (content_id or "")[:200],
        "url": (url or "")[:2000],
        "account_id": (account_id or "")[:200],
    }
    # From a link on an item (or a profile) the subject is known: the form does not ask for it.
    values["item_given"] = "1" if any(values.values()) else ""
    return _page(
        request, rt, "public/report.html", _form_context(request, rt, values, {}), embeddable=True
    )


def _values(form: FormData) -> dict[str, str]:
    values = {}
    for name in (*FIELDS, "under_18", "item_given"):
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    return values


def _validate(values: dict[str, str]) -> tuple[ReportInput | None, dict[str, str]]:
    """The API's own schema checks the form, so both doors accept exactly the same reports."""
    errors: dict[str, str] = {}
    if not values["category"]:
        errors["category"] = choices.N_("Choose what is wrong with the content.")
    if not values["reporter_role"]:
        errors["reporter_role"] = choices.N_("Choose who you are to the content.")
    if not values["content_id"] and not values["url"] and not values["account_id"]:
        errors["url"] = choices.N_("Give the link to the content.")
    # A child in sexual content is a minor by definition: no need to ask again.
    depicts_minor = (
        values["under_18"] == "yes" or values["category"] == Category.CHILD_SEXUAL_EXPLOITATION
    )
    removal_request = bool(values["good_faith_statement"] or values["signature"])
    if removal_request:
        errors.update(_removal_request_errors(values))
    body = {
        "content_id": values["content_id"] or None,
        "url": values["url"] or None,
        "account_id": values["account_id"] or None,
        "category": values["category"] or None,
        "reporter_role": values["reporter_role"] or None,
        "depicts_minor": depicts_minor,
        "statement": values["statement"] or None,
        "contact_email": values["contact_email"] or None,
        "good_faith_statement": values["good_faith_statement"] == "yes",
        "signature": values["signature"] or None,
    }
    try:
        parsed = ReportIn.model_validate(body)
    except ValidationError as exc:
        messages = {
            "category": choices.N_("Choose what is wrong with the content."),
            "reporter_role": choices.N_("Choose who you are to the content."),
            "url": choices.N_("Give a link that starts with http:// or https://."),
            "content_id": choices.N_("This item reference is too long."),
            "statement": choices.N_("Keep what you write under 10,000 characters."),
            "contact_email": choices.N_(
                "This does not look like an email address. Check it, or leave it empty."
            ),
            "signature": choices.N_("Keep your signature under 200 characters."),
        }
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "url"
            errors.setdefault(field, messages.get(field, messages["url"]))
        return None, errors
    if errors:
        return None, errors
    return ReportInput(**parsed.model_dump()), {}


def _removal_request_errors(values: dict[str, str]) -> dict[str, str]:
    """A TAKE IT DOWN Act request is valid with all the Act asks for: from the person in the
    images or their parent, about intimate images, signed, in good faith, with a way to reach
    them. Asked only of those who choose to make one (DESIGN rule 2)."""
    errors: dict[str, str] = {}
    if values["reporter_role"] and values["reporter_role"] not in REQUEST_ROLES:
        errors["take_it_down"] = choices.N_(
            "A removal request under the TAKE IT DOWN Act is for the person in the images, or "
            "their parent or guardian. Leave that part empty to send an ordinary report."
        )
    elif values["category"] and values["category"] not in REQUEST_CATEGORIES:
        errors["take_it_down"] = choices.N_(
            "A removal request under the TAKE IT DOWN Act is for nude or sexual images. Leave "
            "that part empty to send an ordinary report."
        )
    if values["good_faith_statement"] != "yes":
        errors["good_faith_statement"] = choices.N_(
            "Tick the box to confirm the images were shared without consent."
        )
    if not values["signature"]:
        errors["signature"] = choices.N_("Type your full name as your signature.")
    if not values["contact_email"]:
        errors["contact_email"] = choices.N_(
            "Give an email address so the platform can reach you about your removal request."
        )
    return errors


@router.post("/report", response_class=HTMLResponse)
async def report_submit(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    form = await request.form()
    values = _values(form)
    token = form.get("form_token")
    client = client_address(request)
    if not form_token.same_origin(request.headers.get("origin"), _own_origins(request, rt)):
        return _page(request, rt, "public/refused.html", {}, status=403)
    errors: dict[str, str] = {}
    if not isinstance(token, str) or not form_token.is_valid(rt.settings.secret_key, token, client):
        # An old or foreign form: show it again, filled in, so nothing the person wrote is lost.
        errors["form"] = choices.N_(
            "This form was open for a long time. Check your answers and send it again."
        )
    data, field_errors = _validate(values)
    errors.update(field_errors)
    if errors or data is None:
        context = _form_context(request, rt, values, errors)
        return _page(request, rt, "public/report.html", context, status=422, embeddable=True)
    try:
        receipt = take_report(request, data)
    except RateLimited as exc:
        return _limited_form(request, rt, values, exc.retry_after)
    # Post/redirect/get: reloading the confirmation must not file the report twice.
    return RedirectResponse(f"/report/received/{receipt.status_token}", status_code=303)


def _limited_form(
    request: Request, rt: Runtime, values: dict[str, str], retry_after: int
) -> Response:
    """A limited report comes back as the form, filled in, saying when to send it (DESIGN rule
    13): never "go back and send it again" with the statement lost."""
    errors = {
        "form": choices.N_(
            "Many reports came from your network just now, so we could not take yours yet. "
            "Everything you wrote is kept below."
        )
    }
    context = {
        **_form_context(request, rt, values, errors),
        "retry_minutes": max(1, -(-retry_after // 60)),
    }
    response = _page(request, rt, "public/report.html", context, status=429, embeddable=True)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _status_context(request: Request, rt: Runtime, token: str) -> dict[str, Any] | None:
    """What the confirmation and status pages show, read in one transaction."""
    try:
        with rt.transaction() as session:
            view = status_for_token(session, token)
            return _snapshot(request, rt, view, token)
    except ServiceError:
        return None


def _snapshot(request: Request, rt: Runtime, view: StatusView, token: str) -> dict[str, Any]:
    base = rt.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    case = view.case
    return {
        "case_id": case.id,
        "state": case.state,
        "priority": case.priority,
        "deadline_at": case.deadline_at,
        "awaiting_decision": case.state
        in ("open", "escalated", "pending_second_review", "appealed"),
        "content_state_key": view.content_state,
        "email_given": bool(view.report.contact_email),
        "updates": view.updates,
        "decision": view.decision,
        "can_appeal": view.can_appeal,
        "token": token,
        "status_url": f"{base}/status/{token}",
        "case_state": choices.CASE_STATES.get(case.state, case.state),
        "content_state": choices.CONTENT_STATES.get(view.content_state or ""),
        "reported": view.reported,
        "thumbnail_url": f"/status/{token}/thumbnail" if view.reported.thumbnail else None,
        "form_token": form_token.issue(rt.settings.secret_key, client_address(request)),
    }


def _not_found(request: Request, rt: Runtime) -> HTMLResponse:
    return _page(request, rt, "public/not_found.html", {}, status=404)


@router.get("/report/received/{token}", response_class=HTMLResponse)
def received(request: Request, token: str, rt: Runtime = Depends(runtime)) -> HTMLResponse:
    context = _status_context(request, rt, token)
    if context is None:
        return _not_found(request, rt)
    return _page(request, rt, "public/received.html", context, embeddable=True)


@router.get("/status/{token}", response_class=HTMLResponse)
def status_page(request: Request, token: str, rt: Runtime = Depends(runtime)) -> HTMLResponse:
    context = _status_context(request, rt, token)
    if context is None:
        return _not_found(request, rt)
    context["appealed"] = request.query_params.get("appealed")
    return _page(request, rt, "public/status.html", context)


# The thumbnail is a picture from a stranger's upload: never sniffed as anything else, never a
# document that can run or load anything, kept only in this reporter's browser, not leaked on.
THUMBNAIL_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=300",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
}


@router.get("/status/{token}/thumbnail")
def status_thumbnail(request: Request, token: str, rt: Runtime = Depends(runtime)) -> Response:
    """The safe thumbnail of what this reporter reported (services.thumbnails); keyed by the
    status token so nobody can walk through the platform's items by content id."""
    with rt.transaction() as session:
        report = report_for_token(session, token)
        small = thumbnails.for_report(session, report) if report is not None else None
    if small is None:
        return _not_found(request, rt)
    return Response(small, media_type="image/png", headers=THUMBNAIL_HEADERS)


@router.post("/status/{token}/appeal", response_class=HTMLResponse)
async def appeal(request: Request, token: str, rt: Runtime = Depends(runtime)) -> Response:
    form = await request.form()
    statement = form.get("statement")
    text = statement.strip() if isinstance(statement, str) else ""
    check = form.get("form_token")
    client = client_address(request)
    trusted = form_token.same_origin(request.headers.get("origin"), _own_origins(request, rt))
    if not trusted or not isinstance(check, str):
        return _page(request, rt, "public/refused.html", {}, status=403)
    if not form_token.is_valid(rt.settings.secret_key, check, client):
        return RedirectResponse(f"/status/{token}", status_code=303)
    try:
        public_rate_limit(request)
    except RateLimited:
        return _page(request, rt, "public/slow_down.html", {}, status=429)
    outcome = appeals.file_appeal(rt, token, text[:10_000])
    if outcome == "not_found":
        return _not_found(request, rt)
    flag = "1" if outcome == "filed" else "0"
    return RedirectResponse(f"/status/{token}?appealed={flag}", status_code=303)


@router.get("/report/hashes", response_class=HTMLResponse)
def hashes_page(request: Request, rt: Runtime = Depends(runtime)) -> HTMLResponse:
    context = {
        "categories": choices.HASH_CATEGORIES,
        "roles": choices.ROLES[:3],
        "under_18": choices.UNDER_18,
    }
    return _page(request, rt, "public/hashes.html", context)
