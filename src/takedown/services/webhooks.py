"""Webhook endpoints the platform registers to hear about restrictions and removals."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from takedown.services.errors import Invalid
from takedown.store.models import Webhook
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
