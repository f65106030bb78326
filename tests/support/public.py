"""Test support for the public pages: form tokens, form posts, and a local SMTP server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from httpx import Response

from tests.support.server import free_port

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def form_token(client: TestClient, path: str = "/report") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found, "the page has no form token"
    return found.group(1)


def submit_report(client: TestClient, **fields: Any) -> Response:
    """POST the report form the way a browser would, with a fresh token unless one is given."""
    data = {"item_given": "1", **{k: v for k, v in fields.items() if v is not None}}
    data.setdefault("form_token", form_token(client))
    return client.post("/report", data=data, follow_redirects=False)


def text_of(html: str) -> str:
    """The visible words of a page, whitespace collapsed, for assertions in plain words."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").strip()


@dataclass
class _Handler:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class SmtpCatcher:
    """A real SMTP server on a free local port that keeps every message it receives."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller: Controller | None = Controller(
            self.handler, hostname="127.0.0.1", port=self.port
        )
        self.controller.start()

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def close(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
