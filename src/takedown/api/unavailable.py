"""Faults of the world, not of the request: the database gone, the disk full (issue 10.8).

They are answered 503 with Retry-After in the error shape, so a platform retries the report
later instead of treating a 500 as a bug (or losing it to a dropped connection). Mapped here,
in one place, for every route.
"""

from __future__ import annotations

import errno
import inspect
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from takedown.api.errors import error_response

log = logging.getLogger("takedown.api")

RETRY_AFTER_SECONDS = 30
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or what caused it, is the disk (or quota) running out."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            return True
        if isinstance(exc, OperationalError) and "disk" in str(exc.orig).lower():
            return True  # SQLite: "database or disk is full"
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def database_gone(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def unavailable(code: str, message: str) -> JSONResponse:
    return error_response(503, code, message, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _disk_full() -> JSONResponse:
    return unavailable("disk_full", "storage is full; nothing was recorded, try again later")


async def _call(handler: Any, request: Request, exc: Exception) -> JSONResponse:
    response = handler(request, exc)
    if inspect.isawaitable(response):
        response = await response
    assert isinstance(response, JSONResponse)
    return response


def answer(exc: BaseException) -> JSONResponse | None:
    """The 503 for a fault of the world, or None when `exc` is something else."""
    if disk_full(exc):
        log.error("disk full: %s", exc)
        return _disk_full()
    if isinstance(exc, Exception) and database_gone(exc):
        log.error("database unavailable: %s", exc)
        return unavailable(
            "database_unavailable", "the database is unavailable; nothing was recorded, try again"
        )
    return None


def install(app: FastAPI) -> None:
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        found = answer(exc)
        if found is not None:
            return found
        return await _fallback(request, exc)

    async def _fallback(request: Request, exc: Exception) -> JSONResponse:
        return await _call(app.exception_handlers[Exception], request, exc)

    previous = app.exception_handlers[StarletteHTTPException]

    async def _http(request: Request, exc: Exception) -> JSONResponse:
        # FastAPI turns any failure while reading a form into "400 error parsing the body";
        # a full disk while spooling an upload is ours, not the sender's.
        if disk_full(exc.__cause__):
            return _disk_full()
        return await _call(previous, request, exc)

    app.add_exception_handler(StarletteHTTPException, _http)
    for kind in (DBAPIError, DisconnectionError, PoolTimeout, OSError):
        app.add_exception_handler(kind, _database)
