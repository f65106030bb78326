"""The staff review workspace: server-rendered pages with htmx over the review services.

`install(app)` adds the routes, the handlers that turn sign-in and role refusals into pages,
and the security headers every staff page carries.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from takedown.web.staff import accounts, auth, dashboard, exchanges, media, pages
from takedown.web.staff.rendering import render

# Scripts and styles come only from this server (no CDN: the pages work with no network), and
# no page may be framed; no referrer, so media URLs never leave in a Referer header.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def install(app: FastAPI) -> None:
    for router in (
        auth.router,
        pages.router,
        media.router,
        accounts.router,
        dashboard.router,
        exchanges.router,
    ):
        app.include_router(router)

    @app.exception_handler(auth.SignInRequired)
    async def _sign_in(request: Request, _: Exception) -> Response:
        return auth.sign_in_redirect(request)

    @app.exception_handler(auth.RoleRefused)
    async def _role(request: Request, exc: Exception) -> Response:
        allowed = ", ".join(exc.allowed) if isinstance(exc, auth.RoleRefused) else ""
        return render(
            request,
            "staff/error.html",
            {"message": f"This page is for these roles only: {allowed}."},
            403,
        )

    @app.exception_handler(auth.CsrfRefused)
    async def _csrf(request: Request, _: Exception) -> Response:
        return render(
            request,
            "staff/error.html",
            {"message": "This form had expired or did not come from this site. Reload the page."},
            403,
        )

    app.add_middleware(StaffSecurityHeaders)


class StaffSecurityHeaders:
    """Adds SECURITY_HEADERS to every /staff response that does not set them itself.

    A plain ASGI middleware that leaves every other path untouched: an `@app.middleware`
    function wrapped every request of the API in a task and a stream pair (issue 15).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/staff"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
