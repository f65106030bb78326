"""The FastAPI application: routes, error shape, and the in-process worker's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from takedown import __version__
from takedown.api import access_log, errors, unavailable
from takedown.api.deps import (
    ChildSafetyRateLimit,
    PublicRateLimit,
    ReporterRateLimit,
    rate_limit_storage,
)
from takedown.api.hma import create_hma_app
from takedown.api.proxies import TrustedProxies
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
from takedown.api.upload_slots import UploadSlots
from takedown.runtime import Runtime
from takedown.web import staff as staff_pages
from takedown.web.public import pages as public_pages
from takedown.web.templating import STATIC


def create_app(rt: Runtime, run_worker: bool | None = None) -> FastAPI:
    start_worker = rt.settings.run_worker if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        access_log.install()  # here, after the server has configured its logging
        if start_worker:
            rt.start_worker()
        yield
        rt.close()

    app = FastAPI(
        title="Takedown",
        version=__version__,
        description="Child-safety notice-and-takedown service. Contract: API.md.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.state.trusted_proxies = TrustedProxies.parse(rt.settings.trusted_proxies)
    counts = rate_limit_storage(rt.settings.rate_limit_storage)
    app.state.public_limit = PublicRateLimit(rt.settings.report_rate_limit, counts)
    app.state.reporter_limit = ReporterRateLimit(rt.settings.reporter_rate_limit, counts)
    app.state.child_safety_limit = ChildSafetyRateLimit(rt.settings.child_safety_rate_limit, counts)
    app.state.upload_slots = UploadSlots(rt.settings.upload_concurrency)
    errors.install(app)
    unavailable.install(app)
    for module in (content, reports, webhooks, cases, operations, evidence):
        app.include_router(module.router)
    app.include_router(bank_routes.router)
    app.include_router(hash_reports.router)
    app.include_router(review_routes.router)
    app.include_router(transparency.router)
    app.include_router(accounts.router)
    app.include_router(public_pages.router)
    staff_pages.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/hma", create_hma_app(rt), name="hma")
    return app
