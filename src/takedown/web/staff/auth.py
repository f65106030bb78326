"""Staff log-in, sessions, roles and CSRF for the review pages.

- The session cookie carries a random id signed with the installation's secret; the database
  keeps only its hash (services.staff_sessions). HttpOnly, SameSite=Strict, Secure over https.
- Every POST carries the session's CSRF token (a form field, or the `X-CSRF-Token` header that
  htmx sends); the log-in form uses a double-submit token because there is no session yet.
- Roles are checked on every page and endpoint by the `allow(...)` dependency.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from takedown.api.deps import client_address
from takedown.domain.login_throttle import ThrottlePolicy
from takedown.runtime import Runtime
from takedown.services import login_throttle, staff_sessions
from takedown.services.access import Role, authenticate_user
from takedown.services.audit_log import StaffAction, record_staff_action
from takedown.services.staff_sessions import StaffLogin
from takedown.web.public.choices import N_
from takedown.web.staff.rendering import render

SESSION_COOKIE = "takedown_staff"
LOGIN_COOKIE = "takedown_staff_login"
CSRF_HEADER = "x-csrf-token"

ALL_STAFF = frozenset({Role.REVIEWER, Role.LEAD, Role.ADMIN, Role.LEGAL})

router = APIRouter(include_in_schema=False)


def _throttle(rt: Runtime) -> ThrottlePolicy:
    return ThrottlePolicy(
        account_free=rt.settings.login_failures_free,
        address_free=rt.settings.login_address_failures_free,
    )


class SignInRequired(Exception):
    """No valid staff session: pages redirect to the log-in form, other requests get 401."""


class RoleRefused(Exception):
    """Signed in, but the role may not see this page or do this."""

    def __init__(self, allowed: Iterable[Role]) -> None:
        super().__init__("role refused")
        self.allowed = sorted(r.value for r in allowed)


class CsrfRefused(Exception):
    """A POST without the session's CSRF token: probably a forged cross-site request."""


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _signer(rt: Runtime, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(rt.settings.secret_key, salt=f"takedown.staff.{purpose}")


def secure_cookies(request: Request, rt: Runtime) -> bool:
    """Secure cookies whenever the pages are served over https (directly or via the proxy)."""
    return request.url.scheme == "https" or rt.settings.public_url.startswith("https://")


def signed_in(request: Request, rt: Runtime = Depends(runtime)) -> StaffLogin:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SignInRequired()
    try:
        raw = _signer(rt, "session").loads(cookie)
    except BadSignature:
        raise SignInRequired() from None
    if not isinstance(raw, str):
        raise SignInRequired()
    with rt.transaction() as session:
        login = staff_sessions.resolve(session, raw, rt.clock.now())
    if login is None:
        raise SignInRequired()
    request.state.staff = login
    return login


def allow(*roles: Role) -> Callable[..., StaffLogin]:
    """A dependency that admits a signed-in user whose role is one of `roles`."""
    allowed = frozenset(roles)

    def check(login: StaffLogin = Depends(signed_in)) -> StaffLogin:
        if Role(login.user.role) not in allowed:
            raise RoleRefused(allowed)
        return login

    return check


async def csrf_checked(request: Request, login: StaffLogin = Depends(signed_in)) -> None:
    """Refuse a POST whose CSRF token (form field or htmx header) is not the session's."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent, login.csrf_token):
        raise CsrfRefused()


def _safe_next(target: str | None) -> str:
    """Only paths inside the staff pages: never an open redirect to another site."""
    if target and target.startswith("/staff") and not target.startswith("//"):
        return target
    return "/staff"


@router.get("/staff/login", response_class=HTMLResponse)
def login_form(
    request: Request, next: str | None = None, rt: Runtime = Depends(runtime)
) -> Response:
    return _login_page(request, rt, _safe_next(next), None, 200)


def _login_page(
    request: Request,
    rt: Runtime,
    next_path: str,
    error: str | None,
    status: int,
    retry_minutes: int | None = None,
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "staff/login.html",
        {
            "next": next_path,
            "login_token": nonce,
            "error": error,
            "retry_minutes": retry_minutes,
        },
        status,
    )
    _set_staff_cookie(response, request, rt, LOGIN_COOKIE, "login", nonce, max_age=3600)
    return response


def _set_staff_cookie(
    response: Response,
    request: Request,
    rt: Runtime,
    name: str,
    purpose: str,
    value: str,
    max_age: int | None = None,
) -> None:
    """Set a signed cookie the staff pages alone read: never visible to scripts or sent from
    another site, only over HTTPS when the site is served so, and only under /staff."""
    response.set_cookie(
        name,
        _signer(rt, purpose).dumps(value),
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, rt),
        path="/staff",
        max_age=max_age,
    )


@router.post("/staff/login", response_class=HTMLResponse)
def login(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    login_token: str = Form(""),
    next: str = Form("/staff"),
    rt: Runtime = Depends(runtime),
) -> Response:
    try:
        expected = _signer(rt, "login").loads(request.cookies.get(LOGIN_COOKIE, ""))
    except BadSignature:
        expected = None
    if not isinstance(expected, str) or not secrets.compare_digest(expected, login_token):
        return _login_page(
            request, rt, _safe_next(next), "The form expired. Please sign in again.", 400
        )
    typed, address, now = name.strip()[:200], client_address(request), rt.clock.now()
    with rt.transaction() as session:
        wait = login_throttle.wait_before_attempt(session, typed, address, now, _throttle(rt))
        if wait:
            # Refused before the password is hashed: a flood of guesses costs no argon2 work.
            login_throttle.record_attempt(session, typed, address, now, login_throttle.THROTTLED)
            user = None
        else:
            user = authenticate_user(session, typed, password)
            outcome = login_throttle.SIGNED_IN if user else login_throttle.WRONG_PASSWORD
            login_throttle.record_attempt(session, typed, address, now, outcome)
            # Who tried, from where and how it went; never the password.
            record_staff_action(
                session,
                StaffAction.LOGIN if user else StaffAction.LOGIN_FAILED,
                typed or "(empty)",
                typed or "(empty)",
                now,
                {"client": address},
            )
        raw = staff_sessions.start(session, user, now) if user else None
    if wait:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        response = _login_page(
            request,
            rt,
            _safe_next(next),
            N_("Too many failed sign-ins. Wait, then try again."),
            429,
            retry_minutes=-(-seconds // 60),
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    if raw is None:
        return _login_page(request, rt, _safe_next(next), "Wrong name or password.", 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_staff_cookie(response, request, rt, SESSION_COOKIE, "session", raw)
    response.delete_cookie(LOGIN_COOKIE, path="/staff")
    return response


@router.post("/staff/logout")
def logout(
    request: Request,
    login: StaffLogin = Depends(signed_in),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    raw = _signer(rt, "session").loads(request.cookies[SESSION_COOKIE])
    with rt.transaction() as session:
        staff_sessions.end(session, raw, rt.clock.now())
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


def sign_in_redirect(request: Request) -> Response:
    if request.method == "GET" and "hx-request" not in request.headers:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/staff/login?next={quote(target)}", status_code=303)
    response = HTMLResponse("<p>Please sign in again.</p>", status_code=401)
    response.headers["HX-Redirect"] = "/staff/login"
    return response
