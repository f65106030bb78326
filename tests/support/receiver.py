"""A real HTTP endpoint on 127.0.0.1 that records webhook deliveries, for tests and the demo."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from takedown.outbox.signing import HEADER, verify


@dataclass
class Delivery:
    body: bytes
    signature: str
    verified: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class _ReusableServer(ThreadingHTTPServer):
    # Lets a test bring an endpoint back on the same port right after closing it.
    allow_reuse_address = True
    daemon_threads = True


@dataclass
class WebhookReceiver:
    secret: str
    fail_first: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    refused: int = 0
    port: int = 0
    # A slow endpoint: each request waits this long (or until `release` is set) before it is
    # answered; `started` counts requests that arrived, answered or not.
    hold_seconds: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)
    started: int = 0

    def __post_init__(self) -> None:
        receiver = self
        self._arrived = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._arrived:
                    receiver.started += 1
                    receiver._arrived.notify_all()
                if receiver.hold_seconds > 0:
                    receiver.release.wait(receiver.hold_seconds)
                with receiver._arrived:
                    if receiver.refused < receiver.fail_first:
                        receiver.refused += 1
                        self.send_response(503)
                        self.end_headers()
                        return
                    signature = self.headers.get(HEADER, "")
                    ok = verify(receiver.secret, signature, body, int(time.time()), 10**9)
                    receiver.deliveries.append(Delivery(body, signature, ok))
                    receiver._arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = _ReusableServer(("127.0.0.1", self.port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/takedown"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float) -> list[Delivery]:
        """Block until `count` deliveries arrived (a real network wait, not a sleep)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return list(self.deliveries)

    def wait_started(self, count: int, timeout: float) -> int:
        """Block until `count` requests arrived, answered or still held."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while self.started < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return self.started

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [d.json for d in self.deliveries if d.json["type"] == type_]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
