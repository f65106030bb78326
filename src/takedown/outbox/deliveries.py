"""Carrying out `webhook.deliver` jobs: one signed POST, the body fixed when it was queued."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session

from takedown.outbox.signing import HEADER, sign
from takedown.store.models import Webhook


class DeliveryFailed(Exception):
    """The endpoint did not acknowledge; the job is retried with back-off."""


def deliver_webhook(
    session: Session, payload: dict[str, Any], now: datetime, client: httpx.Client
) -> None:
    hook = session.get(Webhook, payload["webhook_id"])
    if hook is None or not hook.active:
        return  # the endpoint was removed; nothing left to deliver to
    # Serialised the same way on every attempt, so a retry carries the same bytes and event id.
    body = json.dumps(payload["body"], separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        HEADER: sign(hook.secret, int(now.timestamp()), body),
        "User-Agent": "Takedown-Webhooks/1",
    }
    try:
        response = client.post(hook.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"endpoint answered {response.status_code}")
