"""Health and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from takedown.api.deps import ensure_role, principal, runtime
from takedown.api.unavailable import RETRY_AFTER_SECONDS
from takedown.fetching import in_networks
from takedown.runtime import Runtime
from takedown.services import health
from takedown.services.access import Role

router = APIRouter(tags=["operations"])


def _answer(checks: list[health.Check]) -> JSONResponse:
    failed = [c for c in checks if c.problem is not None]
    if not failed:
        return JSONResponse({"status": "ok"})
    return JSONResponse(
        {
            "error": {"code": failed[0].code, "message": "; ".join(str(c.problem) for c in failed)},
            "checks": {c.name: c.problem or health.OK for c in checks},
        },
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@router.get("/healthz")
def healthz(rt: Runtime = Depends(runtime)) -> JSONResponse:
    """Liveness: 200 while the database answers (API.md); otherwise 503 saying what is wrong."""
    return _answer([health.database(rt.engine)])


@router.get("/readyz")
def readyz(rt: Runtime = Depends(runtime)) -> JSONResponse:
    """Readiness for a load balancer: the database answers and the data folder takes writes
    (evidence and held videos are written there; a full disk would fail reports)."""
    return _answer([health.database(rt.engine), health.data_folder(rt.settings.data_dir)])


def metrics_reader(request: Request, rt: Runtime = Depends(runtime)) -> None:
    """/metrics shows how many reports arrive and what waits: a listed address (a Prometheus
    on the private network) or a `lead` or `admin` key may read it, nobody else (issue 10.9).
    The TCP peer decides, never X-Forwarded-For: behind a proxy, use a key."""
    peer = request.client.host if request.client else ""
    if peer and in_networks(peer, rt.settings.metrics_allow):
        return
    ensure_role(principal(request, rt), frozenset({Role.LEAD, Role.ADMIN}))


@router.get("/metrics", dependencies=[Depends(metrics_reader)])
def metrics(rt: Runtime = Depends(runtime)) -> Response:
    with rt.transaction() as session:
        body = rt.metrics.render(session, rt.clock.now())
    return Response(body, media_type=CONTENT_TYPE_LATEST)
