"""Factories for review tests: staff users, child-safety cases, decisions and appeals."""

from __future__ import annotations

from typing import Any

from httpx import Response

from takedown.services.access import create_user
from tests.support.factories import Api

PASSWORD = "correct horse battery staple"


def staff_user(api: Api, name: str, role: str) -> None:
    with api.runtime.transaction() as session:
        create_user(session, name, role, PASSWORD, api.runtime.clock.now())


def child_safety_case(
    api: Api, content_id: str = "p-1", account_id: str = "acct-1"
) -> dict[str, Any]:
    """A P0 case whose item is restricted at once (a parent says a minor is depicted)."""
    api.register(content_id, account_id)
    return api.report(
        content_id=content_id,
        category="child_sexual_exploitation",
        reporter_role="parent_guardian",
        depicts_minor=True,
        statement="my child is in this video",
    )


def decide(
    api: Api,
    case_id: str,
    name: str,
    role: str,
    outcome: str,
    policy: str = "csam",
    reason: str = "checked the media against the policy",
    # Test items are mostly registered by their hashes alone, so no one can see their media.
    without_media_reason: str | None = "decided on the registered hashes",
) -> Response:
    body = {"outcome": outcome, "policy": policy, "reason": reason}
    if without_media_reason is not None:
        body["without_media_reason"] = without_media_reason
    return api.client.post(
        f"/v1/cases/{case_id}/decision",
        json=body,
        headers=api.key(role, name),
    )


def events_of(api: Api, case_id: str, type: str) -> list[dict[str, Any]]:
    response = api.client.get(f"/v1/cases/{case_id}/events", headers=api.key("reviewer"))
    assert response.status_code == 200, response.text
    return [e for e in response.json() if e["type"] == type]


def synthetic_png(seed: int = 0) -> bytes:
    """A generated gradient with a shape on it: synthetic media only, never real images."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 120))
    draw = ImageDraw.Draw(image)
    for x in range(160):
        draw.line([(x, 0), (x, 119)], fill=(x + seed % 90, 60, 200 - x))
    draw.ellipse([40 + seed % 30, 30, 110, 100], fill=(250, 220, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def fake_media(monkeypatch: Any, reads: list[tuple[str, str]] | None = None) -> None:
    """Stand in for preserved evidence: every item has a synthetic PNG; reads are recorded."""
    from takedown.web.staff import media

    def load(_session: Any, item_id: str, actor: str, _now: Any) -> tuple[bytes, str]:
        if reads is not None:
            reads.append((item_id, actor))
        return synthetic_png(len(item_id)), "image/png"

    monkeypatch.setattr(media, "media_available", lambda _session, _item_id: True)
    monkeypatch.setattr(media, "load_media", load)
