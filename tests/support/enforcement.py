"""Test helpers for enforcement, evidence and filings: synthetic media, uploads, decisions."""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select

from takedown.domain.vocabulary import EventType, Outcome, Policy
from takedown.services import case_log
from takedown.services.cases import get_case
from takedown.services.enforcement import apply_final_decision
from takedown.store.models import Account, CaseEvent, OutboxJob
from tests.support.factories import Api


def synthetic_png(seed: int, size: int = 192) -> bytes:
    """A generated picture (gradient, shapes, noise): never real imagery."""
    rng = random.Random(seed)
    picture = Image.new("RGB", (size, size))
    pixels = picture.load()
    assert pixels is not None
    for y in range(size):
        for x in range(size):
            pixels[x, y] = ((x * 255) // size, (y * 255) // size, rng.randrange(256))
    draw = ImageDraw.Draw(picture)
    for _ in range(6):
        x, y = rng.randrange(size), rng.randrange(size)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + size // 4, y + size // 4), fill=colour)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def upload(
    api: Api, content_id: str, account_id: str, data: bytes, url: str | None = None
) -> dict[str, Any]:
    form = {"content_id": content_id, "account_id": account_id}
    if url:
        form["url"] = url
    response = api.client.post(
        "/v1/content",
        data=form,
        files={"file": (f"{content_id}.png", data, "image/png")},
        headers=api.key("platform"),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def decide(
    api: Api, case_id: str, outcome: str = "violating", policy: str = "csam"
) -> dict[str, Any]:
    """Decide through the review API where it exists; otherwise record the decision and apply
    it the way the review service does."""
    routes = {getattr(r, "path", "") for r in api.client.app.routes}  # type: ignore[attr-defined]
    if "/v1/cases/{case_id}/decision" in routes:
        response = api.client.post(
            f"/v1/cases/{case_id}/decision",
            json={
                "outcome": outcome,
                "policy": policy,
                "reason": "test decision",
                # Test items are often hashes alone: no one could see their media.
                "without_media_reason": "decided on the registered hashes",
            },
            headers=api.key("lead", "lead-1"),
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]
    rt = api.runtime
    with rt.transaction() as session:
        case = get_case(session, case_id)
        now = rt.clock.now()
        case.state = "decided"
        case.decided_at = now
        case_log.record(
            session,
            case,
            EventType.DECIDE,
            "lead-1",
            now,
            {"outcome": outcome, "policy": policy, "reason": "test decision", "final": True},
        )
        apply_final_decision(session, case, Outcome(outcome), Policy(policy), "lead-1", now)
    return api.case(case_id)


def events(api: Api, case_id: str, type_: str | None = None) -> list[dict[str, Any]]:
    return [e for e in api.case(case_id)["events"] if type_ is None or e["type"] == type_]


def content_state(api: Api, content_id: str) -> str:
    response = api.client.get(f"/v1/content/{content_id}", headers=api.key("platform"))
    assert response.status_code == 200, response.text
    return response.json()["state"]  # type: ignore[no-any-return]


def account_states(api: Api) -> dict[str, tuple[str, int]]:
    with api.runtime.transaction() as session:
        return {a.account_id: (a.state, a.strikes) for a in session.scalars(select(Account))}


def snapshot(api: Api) -> tuple[int, int]:
    """How many events and outbox jobs exist: re-running an action must change neither."""
    with api.runtime.transaction() as session:
        return (
            len(list(session.scalars(select(CaseEvent.id)))),
            len(list(session.scalars(select(OutboxJob.id)))),
        )
