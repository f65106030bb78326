"""A local stand-in for the EU DSA Transparency Database's `POST /api/v1/statements`, on
127.0.0.1: it checks the bearer token, the batch size (1 to 100) and every statement against
the database's rules (tests/support/dsa_rules.py), refuses a puid it has seen, and answers as
the real controller does: 201 with the statements, or 422 with `errors`."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.dsa_rules import problems


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@dataclass
class FakeTransparencyDatabase:
    token: str = "dsa-test-token"
    refuse_next: int = 0  # answer 500 this many times first (an outage)
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = fake.answer(self.path, self.headers.get("Authorization"), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [s for batch in self.batches for s in batch]

    def answer(self, path: str, auth: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if path != "/api/v1/statements":
                return 404, {"message": "not found"}
            if auth != f"Bearer {self.token}":
                return 401, {"message": "Unauthenticated."}
            if self.refuse_next:
                self.refuse_next -= 1
                self.refused.append(500)
                return 500, {"message": "Server Error"}
            statements = json.loads(body).get("statements")
            if not isinstance(statements, list) or not 1 <= len(statements) <= 100:
                self.refused.append(422)
                return 422, {"errors": {"statements": ["between 1 and 100 statements"]}}
            seen = {s["puid"] for s in self.accepted}
            errors = {
                f"statement_{i}": found
                for i, s in enumerate(statements)
                if (
                    found := problems(s) + (["puid: already used"] if s.get("puid") in seen else [])
                )
            }
            if errors:
                self.refused.append(422)
                return 422, {"errors": errors}
            self.batches.append(statements)
            return 201, {"statements": statements}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
