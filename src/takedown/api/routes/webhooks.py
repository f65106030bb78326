"""Platform endpoint: register where signed webhook deliveries go."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from takedown.api.deps import require, runtime
from takedown.api.schemas import WebhookIn, WebhookOut
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role
from takedown.services.webhooks import register_webhook

router = APIRouter(tags=["platform"])


@router.post("/v1/webhooks", status_code=201, response_model=WebhookOut)
def post_webhook(
    body: WebhookIn,
    who: Principal = Depends(require(Role.PLATFORM, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        hook = register_webhook(session, body.url, body.secret, who.name, rt.clock.now())
        return {"id": hook.id}
