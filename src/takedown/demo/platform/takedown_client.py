"""The microblog's side of the integration: the two calls a platform makes to Takedown.

Only the public HTTP API (API.md): `POST /v1/content` before an upload is shown, and
`POST /v1/webhooks` once to say where decisions should be delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class TakedownUnavailable(Exception):
    """Takedown did not give a verdict; the upload stays unpublished (fail closed)."""


@dataclass
class TakedownClient:
    """An HTTP client with the platform's API key. `http` may be any httpx.Client, including a
    test client bound to an in-process Takedown app (the replay uses that)."""

    http: httpx.Client
    api_key: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def register_content(
        self,
        content_id: str,
        account_id: str,
        url: str,
        media: bytes,
        media_type: str,
        filename: str,
    ) -> dict[str, Any]:
        """Ask for a verdict on an upload: `allow`, `hold` or `block`, and its current state."""
        try:
            response = self.http.post(
                "/v1/content",
                data={"content_id": content_id, "account_id": account_id, "url": url},
                files={"file": (filename, media, media_type)},
                headers=self._headers(),
            )
        except httpx.HTTPError as exc:
            raise TakedownUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise TakedownUnavailable(f"Takedown answered {response.status_code}: {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    def register_webhook(self, url: str, secret: str) -> str:
        response = self.http.post(
            "/v1/webhooks", json={"url": url, "secret": secret}, headers=self._headers()
        )
        if response.status_code != 201:
            raise TakedownUnavailable(f"Takedown answered {response.status_code}: {response.text}")
        return str(response.json()["id"])
