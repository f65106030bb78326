"""The `/hma` application: error shape, authentication, and the routes' assembly."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from takedown import __version__
from takedown.api.deps import client_address, principal, runtime
from takedown.api.errors import ApiError
from takedown.hma.errors import HmaError
from takedown.runtime import Runtime
from takedown.services.access import Role
from takedown.services.errors import ServiceError


def hma_error(status: int, message: str, code: str) -> JSONResponse:
    """HMA's error body, `{"message": ...}`, with Takedown's `error` object beside it."""
    return JSONResponse(
        {"message": message, "error": {"code": code, "message": message}}, status_code=status
    )


def caller(*roles: Role) -> Callable[..., str]:
    """Who is calling, for the record: a key's owner with one of `roles`, or, with no key, a
    client on a network in TAKEDOWN_HMA_OPEN_FROM (HMA's clients send no credentials)."""
    allowed = frozenset(roles)

    def check(request: Request, rt: Runtime = Depends(runtime)) -> str:
        if not request.headers.get("authorization"):
            address = client_address(request)
            if _open_to(address, rt.settings.hma_open_from):
                return f"hma:{address}"
        who = principal(request, rt)
        if who.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise ApiError(403, "forbidden", f"this needs one of the roles: {names}")
        return who.name

    return check


def _open_to(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


PLATFORM = caller(Role.PLATFORM)
CURATOR = caller(Role.LEAD, Role.ADMIN)


class _MergeSlashes:
    """`http://host/hma/` + `/c/banks` is how Coop joins its default HMA url: HMA's server
    merges the slashes, so this one does too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope.get("path", ""):
            scope = dict(scope)
            scope["path"] = re.sub("/{2,}", "/", scope["path"])
        await self.app(scope, receive, send)


def create_hma_app(rt: Runtime) -> ASGIApp:
    from takedown.api.hma import curation, exchanges, hashing, matching

    app = FastAPI(
        title="Takedown: HMA-compatible API",
        version=__version__,
        description="Meta's Hasher-Matcher-Actioner 1.1.7 API over Takedown's banks (API.md).",
        openapi_url="/openapi/openapi.json",
        docs_url="/openapi/swagger",
        redoc_url=None,
    )
    app.state.runtime = rt

    @app.exception_handler(HmaError)
    async def _hma(_: Request, exc: HmaError) -> JSONResponse:
        return hma_error(exc.status, exc.message, exc.code)

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        response = hma_error(exc.status, exc.message, exc.code)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        return hma_error(exc.status, exc.message, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query"))
            parts.append(f"{where or 'body'}: {e.get('msg')}")
        return hma_error(422, "; ".join(parts), "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return hma_error(exc.status_code, str(exc.detail), "http_error")

    @app.get("/status", response_class=PlainTextResponse, tags=["Core"])
    def status(request: Request) -> PlainTextResponse:
        """Ready: the index follows the database, so it is ready when the database answers."""
        try:
            with rt.sessions() as session:
                rt.matcher.refresh(session)
        except Exception:  # any database failure means not ready, which is what this says
            return PlainTextResponse("INDEX-STALE", 503, media_type="text/html")
        return PlainTextResponse("I-AM-ALIVE", 200, media_type="text/html")

    @app.get("/status/live", response_class=PlainTextResponse, tags=["Core"])
    def status_live() -> PlainTextResponse:
        return PlainTextResponse("I-AM-ALIVE", 200, media_type="text/html")

    app.include_router(hashing.router, prefix="/h", dependencies=[Depends(PLATFORM)])
    app.include_router(matching.router, prefix="/m", dependencies=[Depends(PLATFORM)])
    app.include_router(curation.router, prefix="/c")
    app.include_router(exchanges.router, prefix="/c")
    return _MergeSlashes(app)
