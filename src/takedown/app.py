"""The one place the application is assembled: a runtime, the JSON API and the web pages.

Every way of running Takedown comes through here (`takedown serve`, its N-process mode, the
demo, the replay stage, the tests), so each serves the same application:

- `create_app(rt)`: the ASGI app over a runtime someone already built (the demo seeds it, a
  test drives its clock), with the in-process worker's lifetime tied to the app's;
- `build_app(settings)`: the runtime too, for a process that only serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from takedown import __version__
from takedown.api import access_log
from takedown.api import app as api
from takedown.api.deps import (
    ChildSafetyRateLimit,
    PublicRateLimit,
    ReporterRateLimit,
    rate_limit_storage,
)
from takedown.api.proxies import TrustedProxies
from takedown.api.upload_slots import UploadSlots
from takedown.clock import Clock
from takedown.config import Settings
from takedown.runtime import Runtime
from takedown.web import app as web


def create_app(rt: Runtime, run_worker: bool | None = None) -> FastAPI:
    """The application over `rt`; it closes `rt` when it stops. `run_worker` overrides
    TAKEDOWN_RUN_WORKER (a process of an N-process server leaves jobs to its worker)."""
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
    # What the API and the pages share: the runtime, who the client is, and the budgets every
    # door that takes reports or uploads charges (the form and POST /v1/reports alike).
    app.state.runtime = rt
    app.state.trusted_proxies = TrustedProxies.parse(rt.settings.trusted_proxies)
    counts = rate_limit_storage(rt.settings.rate_limit_storage)
    app.state.public_limit = PublicRateLimit(rt.settings.report_rate_limit, counts)
    app.state.reporter_limit = ReporterRateLimit(rt.settings.reporter_rate_limit, counts)
    app.state.child_safety_limit = ChildSafetyRateLimit(rt.settings.child_safety_rate_limit, counts)
    app.state.upload_slots = UploadSlots(rt.settings.upload_concurrency)
    api.install(app, rt)
    web.install(app)
    return app


def build_app(
    settings: Settings,
    clock: Clock | None = None,
    run_worker: bool | None = None,
    migrate: bool = True,
) -> FastAPI:
    """A runtime built from `settings` and the application over it (`app.state.runtime`)."""
    return create_app(Runtime.build(settings, clock, migrate=migrate), run_worker)
