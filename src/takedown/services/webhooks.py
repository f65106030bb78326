"""Webhook endpoints the platform registers to hear about restrictions and removals, and the
`webhook.deliver` job that carries each event to them: one signed POST, the body fixed when it
was queued."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.config import Settings
from takedown.domain.vocabulary import WebhookType
from takedown.jobs import WEBHOOKS, Job, JobContext, NotYet, RetryPolicy
from takedown.outbox.signing import HEADER, sign
from takedown.services.errors import Invalid
from takedown.store.filings import EvidenceRecord
from takedown.store.models import ContentItem, OutboxJob, Webhook
from takedown.store.types import new_id


def register_webhook(
    session: Session, url: str, secret: str, created_by: str, now: datetime
) -> Webhook:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid("url must be an absolute http or https URL", "invalid_url")
    if not secret:
        raise Invalid("secret must not be empty: deliveries are signed with it", "missing_secret")
    hook = Webhook(
        id=new_id("wh"), url=url, secret=secret, active=True, created_by=created_by, created_at=now
    )
    session.add(hook)
    session.flush()
    return hook


class DeliveryFailed(Exception):
    """The endpoint did not acknowledge; the job is retried with back-off."""


def deliver_webhook(
    session: Session, payload: dict[str, Any], now: datetime, client: httpx.Client
) -> None:
    hook = session.get(Webhook, payload["webhook_id"])
    if hook is None or not hook.active:
        return  # the endpoint was removed; nothing left to deliver to
    if _evidence_first(session, payload["body"], now):
        raise NotYet("the evidence of this item is still being preserved")
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


def _evidence_first(session: Session, body: Mapping[str, Any], now: datetime) -> bool:
    """Whether this event must wait for its item's evidence: the platform hides or deletes
    what it names, and the copy a filing needs is fetched from the platform. Evidence jobs run
    beside webhooks, so this keeps the order; after EVIDENCE_WAIT the event goes out anyway,
    since telling the platform matters more than a capture that is stuck."""
    if body.get("type") not in _HIDING:
        return False
    content_id = (body.get("data") or {}).get("content_id")
    if not isinstance(content_id, str):
        return False
    try:
        recorded = datetime.fromisoformat(str(body["created_at"]))
    except (KeyError, ValueError):
        return False
    if now - recorded >= EVIDENCE_WAIT:
        return False
    record = session.scalar(
        select(EvidenceRecord.id)
        .join(ContentItem, ContentItem.id == EvidenceRecord.item_id)
        .where(ContentItem.content_id == content_id, EvidenceRecord.status == "pending")
        .limit(1)
    )
    if record is None:
        return False
    # Only its first attempt is waited for: a capture that failed once retries with back-off.
    # (Imported here: evidence records its steps in the case log, which queues these jobs.)
    from takedown.services.evidence import CAPTURE

    capture = session.scalar(
        select(OutboxJob.attempts).where(
            OutboxJob.dedupe_key == f"{CAPTURE}:{record}", OutboxJob.status == "pending"
        )
    )
    return capture == 0


def _run_delivery(
    ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime
) -> None:
    deliver_webhook(session, payload, now, ctx.http)


def _delivery_retry(settings: Settings) -> RetryPolicy:
    return RetryPolicy(give_up_after=timedelta(hours=settings.webhook_retry_hours))


def _endpoint(payload: Mapping[str, Any]) -> str:
    return f"webhook:{payload['webhook_id']}"


WEBHOOK_DELIVERY = "webhook.deliver"
_HIDING = frozenset({WebhookType.CONTENT_RESTRICTED.value, WebhookType.CONTENT_REMOVED.value})
EVIDENCE_WAIT = timedelta(seconds=30)
# Each endpoint is a lane: one that takes seconds to answer holds at most two delivery slots,
# so the other endpoints' events still go out at once.
WEBHOOK_DELIVERY_JOB = Job(
    WEBHOOK_DELIVERY,
    _run_delivery,
    queue=WEBHOOKS,
    retry=_delivery_retry,
    lane=_endpoint,
    lane_limit=2,
)
