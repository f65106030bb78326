"""Health and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from takedown.api.deps import runtime
from takedown.runtime import Runtime

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(rt: Runtime = Depends(runtime)) -> JSONResponse:
    try:
        with rt.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # the check exists to report this, not to raise it
        return JSONResponse(
            {"error": {"code": "database_unavailable", "message": str(exc)[:200]}},
            status_code=503,
        )
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
def metrics(rt: Runtime = Depends(runtime)) -> Response:
    with rt.transaction() as session:
        body = rt.metrics.render(session, rt.clock.now())
    return Response(body, media_type=CONTENT_TYPE_LATEST)
