"""Test helpers for banks and matching: uploads of synthetic images, banks, webhooks."""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageOps
from sqlalchemy import func, select

from tests.support.factories import Api
from tests.support.synthetic_media import encoded, synthetic_image


def png(seed: int, size: tuple[int, int] = (256, 256)) -> bytes:
    return encoded(synthetic_image(seed, size), "PNG")


def mirrored(seed: int) -> bytes:
    return encoded(ImageOps.mirror(synthetic_image(seed)), "JPEG", quality=80)


def resized_jpeg(seed: int) -> bytes:
    image = synthetic_image(seed).resize((128, 128), Image.Resampling.BILINEAR)
    return encoded(image, "JPEG", quality=50)


def upload(
    api: Api, content_id: str, data: bytes, account_id: str = "acct-1", name: str = "x.png"
) -> Any:
    """POST /v1/content with a file; returns the raw response."""
    return api.client.post(
        "/v1/content",
        data={"content_id": content_id, "account_id": account_id},
        files={"file": (name, data, "application/octet-stream")},
        headers=api.key("platform"),
    )


def uploaded(api: Api, content_id: str, data: bytes, account_id: str = "acct-1") -> dict[str, Any]:
    response = upload(api, content_id, data, account_id)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def make_bank(
    api: Api, name: str, action: str = "block", child_safety: bool = True, **extra: Any
) -> dict[str, Any]:
    response = api.client.post(
        "/v1/banks",
        json={"name": name, "action": action, "child_safety": child_safety, **extra},
        headers=api.key("admin"),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def add_hashes(api: Api, bank: str, *hashes: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post(
        f"/v1/banks/{bank}/hashes", json={"hashes": list(hashes)}, headers=api.key("admin")
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def count(api: Api, model: Any) -> int:
    with api.runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def content(api: Api, content_id: str) -> dict[str, Any]:
    response = api.client.get(f"/v1/content/{content_id}", headers=api.key("platform"))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
