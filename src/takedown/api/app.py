"""The FastAPI application: routes, error shape, and the in-process worker's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from takedown import __version__
from takedown.api import errors
from takedown.api.deps import PublicRateLimit
from takedown.api.routes import cases, content, operations, reports, webhooks
from takedown.runtime import Runtime


def create_app(rt: Runtime, run_worker: bool | None = None) -> FastAPI:
    start_worker = rt.settings.run_worker if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
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
    app.state.public_limit = PublicRateLimit(rt.settings.report_rate_limit)
    errors.install(app)
    for module in (content, reports, webhooks, cases, operations):
        app.include_router(module.router)
    return app
