"""Factories for the things tests need: keys per role, registered items, reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from takedown.runtime import Runtime
from takedown.services.access import create_api_key
from tests.support.receiver import WebhookReceiver


@dataclass
class Api:
    """A test client with a key per role, and short ways to do the common things."""

    client: TestClient
    runtime: Runtime
    keys: dict[str, str] = field(default_factory=dict)

    def key(self, role: str, name: str | None = None) -> dict[str, str]:
        name = name or f"{role}-1"
        if name not in self.keys:
            with self.runtime.transaction() as session:
                self.keys[name] = create_api_key(session, name, role, self.runtime.clock.now())
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def register(
        self, content_id: str, account_id: str = "acct-1", **signals: Any
    ) -> dict[str, Any]:
        signals = signals or {"md5": f"{abs(hash(content_id)):032x}"[:32]}
        response = self.client.post(
            "/v1/content",
            data={
                "content_id": content_id,
                "account_id": account_id,
                "signals": json.dumps(signals),
            },
            headers=self.key("platform"),
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def register_text(
        self, content_id: str, text: str, account_id: str = "acct-1", kind: str = "text"
    ) -> dict[str, Any]:
        """Register an item without media: a message, a post, a profile."""
        response = self.client.post(
            "/v1/content",
            data={"content_id": content_id, "account_id": account_id, "kind": kind, "text": text},
            headers=self.key("platform"),
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def report(self, **fields: Any) -> dict[str, Any]:
        body = {"category": "child_sexual_exploitation", "reporter_role": "third_party", **fields}
        response = self.client.post("/v1/reports", json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def webhook(self, receiver: WebhookReceiver) -> str:
        """Register `receiver` as the platform's webhook endpoint; returns the webhook id."""
        response = self.client.post(
            "/v1/webhooks",
            json={"url": receiver.url, "secret": receiver.secret},
            headers=self.key("platform"),
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]  # type: ignore[no-any-return]

    def case(self, case_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/cases/{case_id}", headers=self.key("reviewer"))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def status(self, token: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/status/{token}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]
