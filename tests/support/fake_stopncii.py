"""A local stand-in for StopNCII's hash API (JSON) on 127.0.0.1, written from the shapes
python-threatexchange's client reads and sends, with the failures HMA users hit
(facebook/ThreatExchange #2004 and paging):

- `truncate(n, ...)` answers those FetchHashes requests (1-based, counting every one) with a
  200 whose JSON is cut in half; `corrupt_from(n)` does so from the n-th on, until `repair()`;
- `expire_tokens()` makes every `nextPageToken` issued so far stale (400);
- `block_on_page(n)` holds the n-th FetchHashes request until released, so a test can kill
  the fetching process while it waits.

Feedback posted to `SubmitFeedback` is kept in `feedback`; anything wrong in `problems`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class FakeStopNcii:
    subscription_key: str = "sub-key"
    fetch_key: str = "fetch-key"
    feedback_key: str = "feedback-key"
    page_size: int = 3
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tokens: dict[str, tuple[int, int, int]] = {}
        self._generation = 0
        self._truncate: set[int] = set()
        self._corrupt_from: int | None = None
        self._block_at: int | None = None
        self.waiting = threading.Event()
        self.release = threading.Event()
        self.pages_served = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def add(self, hash_value: str, timestamp: int, signal: str = "ImagePDQ", **extra: Any) -> None:
        self.records[hash_value] = {
            "lastModtimestamp": timestamp,
            "signalType": signal,
            "hashValue": hash_value,
            "hashStatus": "Active",
            "caseNumbers": {f"case-{len(self.records) + 1}": "Active"},
            "CSPFeedbacks": [],
            **extra,
        }

    def withdraw(self, hash_value: str, timestamp: int) -> None:
        record = self.records[hash_value]
        record.update(lastModtimestamp=timestamp, hashStatus="Withdrawn")

    def truncate(self, *requests: int) -> None:
        self._truncate.update(requests)

    def corrupt_from(self, n: int) -> None:
        self._corrupt_from = n

    def repair(self) -> None:
        self._corrupt_from = None

    def expire_tokens(self) -> None:
        self._generation += 1

    def block_on_page(self, n: int) -> None:
        self._block_at = n

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    # -- the API ---------------------------------------------------------------------------

    def fetch(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        start = int(query.get("startTimestamp", "0"))
        size = int(query.get("pageSize", "800"))
        if size > 1000:
            return 400, {"error": "pageSize too large"}
        offset = 0
        token = query.get("nextPageToken")
        if token:
            known = self._tokens.get(token)
            if known is None or known[2] != self._generation or known[0] != start:
                return 400, {"error": "nextPageToken is invalid or expired"}
            offset = known[1]
        found = sorted(
            (r for r in self.records.values() if r["lastModtimestamp"] >= start),
            key=lambda r: (r["lastModtimestamp"], r["hashValue"]),
        )
        page = found[offset : offset + min(size, self.page_size)]
        more = offset + len(page) < len(found)
        next_token = None
        if more:
            with self._lock:
                next_token = f"t{len(self._tokens) + 1}"
                self._tokens[next_token] = (start, offset + len(page), self._generation)
        return 200, {
            "count": len(page),
            "nextPageToken": next_token,
            "nextSetTimestamp": page[-1]["lastModtimestamp"] if page else start,
            "hasMoreRecords": more,
            "hashRecords": [dict(r) for r in page],
        }

    def take_feedback(self, body: dict[str, Any]) -> int:
        entries = body.get("hashFeedbacks")
        if not isinstance(entries, list) or body.get("count") != len(entries):
            self.problems.append(f"bad feedback body {body!r}")
            return 400
        for fb in entries:
            if fb.get("hashValue") not in self.records:
                self.problems.append(f"feedback on unknown hash {fb.get('hashValue')}")
                return 400
            if fb.get("feedbackValue") not in ("Blocked", "NotBlocked", "PendingReview", "None"):
                self.problems.append(f"unknown feedbackValue {fb.get('feedbackValue')}")
                return 400
            self.feedback.append(fb)
        return 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _keys_ok(self, function_key: str) -> bool:
                if (
                    self.headers.get("Ocp-Apim-Subscription-Key") != fake.subscription_key
                    or self.headers.get("x-functions-key") != function_key
                ):
                    self._send(401, b'{"error": "unauthorised"}')
                    return False
                return True

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/v1/FetchHashes":
                    fake.problems.append(f"unexpected GET {self.path}")
                    self._send(404, b"{}")
                    return
                if not self._keys_ok(fake.fetch_key):
                    return
                with fake._lock:
                    fake.pages_served += 1
                    n = fake.pages_served
                if fake._block_at == n:
                    fake.waiting.set()
                    fake.release.wait(30)
                status, payload = fake.fetch({k: v[0] for k, v in parse_qs(url.query).items()})
                body = json.dumps(payload).encode()
                corrupt = n in fake._truncate or (
                    fake._corrupt_from is not None and n >= fake._corrupt_from
                )
                if status == 200 and corrupt:
                    body = body[: len(body) // 2]  # a 200 with half a JSON document (#2004)
                self._send(status, body)

            def do_POST(self) -> None:
                url = urlparse(self.path)
                if url.path != "/v1/SubmitFeedback":
                    fake.problems.append(f"unexpected POST {self.path}")
                    self._send(404, b"{}")
                    return
                if not self._keys_ok(fake.feedback_key):
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                self._send(fake.take_feedback(body), b"{}")

        return Handler
