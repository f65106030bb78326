"""The JSON API's part of the application: its error shape and its routes (API.md).

The application itself is assembled in `takedown.app`, which adds the web pages beside these.
"""

from __future__ import annotations

from fastapi import FastAPI

from takedown.api import errors, unavailable
from takedown.api.hma import create_hma_app
from takedown.api.routes import (
    accounts,
    cases,
    content,
    evidence,
    hash_reports,
    operations,
    reports,
    transparency,
    webhooks,
)
from takedown.api.routes import banks as bank_routes
from takedown.api.routes import review as review_routes
from takedown.runtime import Runtime


def install(app: FastAPI, rt: Runtime) -> None:
    """The error shape (for every route, pages included) and the API's routes, HMA's under
    /hma."""
    errors.install(app)
    unavailable.install(app)
    for module in (content, reports, webhooks, cases, operations, evidence):
        app.include_router(module.router)
    app.include_router(bank_routes.router)
    app.include_router(hash_reports.router)
    app.include_router(review_routes.router)
    app.include_router(transparency.router)
    app.include_router(accounts.router)
    app.mount("/hma", create_hma_app(rt), name="hma")


def create_app(rt: Runtime, run_worker: bool | None = None) -> FastAPI:
    """Kept for callers written before `takedown.app`; the same application."""
    from takedown.app import create_app as assemble

    return assemble(rt, run_worker)
