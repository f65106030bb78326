"""A local stand-in for ThreatExchange's Graph API on 127.0.0.1: the `/{privacy group}/
threat_updates/` edge and the reactions POST on a descriptor, as python-threatexchange's
ThreatExchangeAPI calls them (access token and fields in the query, `paging.next` as a whole
URL, tags as a `data` edge), with the failures HMA users hit:

- updates are served in the order they were made, not sorted by `last_updated`, so a page may
  hold an older update after a newer one (entries out of time order);
- `truncate(n, ...)` answers those threat_updates requests (1-based) with a 200 whose JSON is
  cut in half (#2004); `corrupt_from(n)` does so from the n-th on, until `repair()`;
- `repeat_next_once(n)`: the n-th page's `next` link points at that same page again once;
  `expire_cursors_after(n)` makes every `after` cursor stale (a Graph API 400) once the n-th
  page is served, so the link that page carries is refused;
- `block_on_page(n)` holds the n-th request until released, so a test can kill the fetcher.

Reactions posted on a descriptor are kept in `reactions` (while `refuse_reactions` is set they
get a Graph API error instead); anything wrong in `problems`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

REACTIONS = {"HELPFUL", "NOT_HELPFUL", "SAW_THIS_TOO", "DISAGREE_WITH_TAGS", "NOT_RELEVANT"}
REQUIRED_FIELDS = ("indicator", "type", "last_updated", "should_delete", "descriptors{")


@dataclass
class FakeThreatExchange:
    app_id: int = 1234567890
    secret: str = "fake-app-secret-0123456789abcdef"
    privacy_group: int = 303636684709969
    page_size: int = 3
    updates: list[dict[str, Any]] = field(default_factory=list)
    reactions: list[tuple[int, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refuse_reactions: bool = False

    def __post_init__(self) -> None:
        self._cursors: dict[str, tuple[int, int]] = {}
        self._generation = 0
        self._truncate: set[int] = set()
        self._corrupt_from: int | None = None
        self._repeat_at: int | None = None
        self._expire_after: int | None = None
        self._block_at: int | None = None
        self.waiting = threading.Event()
        self.release = threading.Event()
        self.pages_served = 0
        self._next_id = 9_000_000_000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v26.0"

    @property
    def token(self) -> str:
        return f"{self.app_id}|{self.secret}"

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add(
        self, indicator: str, last_updated: int, kind: str = "HASH_PDQ", **descriptor: Any
    ) -> int:
        """Share an indicator with one descriptor; returns the descriptor's id."""
        descriptor_id = self._id()
        tags = descriptor.pop("tags", ["media_type_photo"])
        self._publish(
            {
                "id": str(self._id()),
                "indicator": indicator,
                "type": kind,
                "last_updated": last_updated,
                "should_delete": False,
                "descriptors": {
                    "data": [
                        {
                            "id": str(descriptor_id),
                            "reactions": [],
                            "owner": {"id": str(descriptor.pop("owner", 4444444444))},
                            "tags": {
                                "data": [{"id": str(self._id()), "text": tag} for tag in tags]
                            },
                            "status": descriptor.pop("status", "MALICIOUS"),
                            "added_on": "2026-01-01T00:00:00+0000",
                            **descriptor,
                        }
                    ]
                },
            }
        )
        return descriptor_id

    def delete(self, indicator: str, last_updated: int, kind: str = "HASH_PDQ") -> None:
        """The indicator's last descriptor was removed: a tombstone (no descriptors)."""
        old = next(u for u in self.updates if (u["indicator"], u["type"]) == (indicator, kind))
        self._publish(
            {
                "id": old["id"],
                "indicator": indicator,
                "type": kind,
                "last_updated": last_updated,
                "should_delete": True,
            }
        )

    def _publish(self, update: dict[str, Any]) -> None:
        # One live update per indicator, at the end of the stream (like a re-publish).
        self.updates = [
            u
            for u in self.updates
            if (u["indicator"], u["type"]) != (update["indicator"], update["type"])
        ]
        self.updates.append(update)

    def truncate(self, *requests: int) -> None:
        self._truncate.update(requests)

    def corrupt_from(self, n: int) -> None:
        self._corrupt_from = n

    def repair(self) -> None:
        self._corrupt_from = None

    def repeat_next_once(self, n: int) -> None:
        self._repeat_at = n

    def expire_cursors_after(self, n: int) -> None:
        self._expire_after = n

    def block_on_page(self, n: int) -> None:
        self._block_at = n

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    # -- the API ---------------------------------------------------------------------------

    def threat_updates(self, base: str, query: dict[str, str], n: int) -> tuple[int, Any]:
        if query.get("access_token") != self.token:
            return 400, _graph_error("Invalid OAuth access token.", 190)
        fields = query.get("fields", "")
        missing = [f for f in REQUIRED_FIELDS if f not in fields]
        if missing:
            self.problems.append(f"threat_updates without fields {missing}")
            return 400, _graph_error(f"missing fields {missing}", 100)
        start = int(query.get("start_time") or 0)
        limit = int(query.get("limit") or 25)
        if limit > 1000:
            return 400, _graph_error("limit too large", 100)
        offset = 0
        after = query.get("after")
        if after:
            known = self._cursors.get(after)
            if known is None or known[1] != self._generation:
                return 400, _graph_error("Invalid cursor: the `after` cursor has expired.", 100)
            offset = known[0]
        # Served in publishing order, not by `last_updated`: out of time order on purpose.
        found = [u for u in self.updates if int(u["last_updated"]) >= start]
        page = found[offset : offset + min(limit, self.page_size)]
        body: dict[str, Any] = {"data": [json.loads(json.dumps(u)) for u in page]}
        end = offset + len(page)
        if self._repeat_at == n:
            self._repeat_at = None
            end = offset  # a stale link that serves this page again
        if offset + len(page) < len(found):
            with self._lock:
                cursor = f"c{len(self._cursors) + 1}"
                self._cursors[cursor] = (end, self._generation)
            params = {k: v for k, v in query.items() if k != "after"}
            body["paging"] = {
                "cursors": {"after": cursor},
                "next": f"{base}?{urlencode({**params, 'after': cursor})}",
            }
        if self._expire_after == n:
            self._generation += 1
        return 200, body

    def react(self, descriptor_id: int, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("access_token") != self.token:
            return 400, _graph_error("Invalid OAuth access token.", 190)
        known = {
            int(d["id"]) for u in self.updates for d in u.get("descriptors", {}).get("data", [])
        }
        reaction = query.get("reactions", "")
        if self.refuse_reactions:
            return 503, _graph_error("Service temporarily unavailable", 2)
        if descriptor_id not in known:
            self.problems.append(f"reaction on unknown descriptor {descriptor_id}")
            return 400, _graph_error(f"Unsupported post request: {descriptor_id}", 100)
        if reaction not in REACTIONS:
            self.problems.append(f"unknown reaction {reaction!r}")
            return 400, _graph_error(f"invalid reaction {reaction!r}", 100)
        self.reactions.append((descriptor_id, reaction))
        return 200, {"success": True}

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

            def do_GET(self) -> None:
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                if parts[:1] != ["v26.0"] or parts[2:] != ["threat_updates"]:
                    fake.problems.append(f"unexpected GET {self.path}")
                    self._send(404, json.dumps(_graph_error("Unknown path", 803)).encode())
                    return
                if parts[1] != str(fake.privacy_group):
                    self._send(400, json.dumps(_graph_error("No such privacy group", 100)).encode())
                    return
                with fake._lock:
                    fake.pages_served += 1
                    n = fake.pages_served
                if fake._block_at == n:
                    fake.waiting.set()
                    fake.release.wait(30)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                base = f"{fake.url}/{fake.privacy_group}/threat_updates/"
                status, payload = fake.threat_updates(base, query, n)
                body = json.dumps(payload).encode()
                corrupt = n in fake._truncate or (
                    fake._corrupt_from is not None and n >= fake._corrupt_from
                )
                if status == 200 and corrupt:
                    body = body[: len(body) // 2]  # a 200 with half a JSON document (#2004)
                self._send(status, body)

            def do_POST(self) -> None:
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                query = {**{k: v[0] for k, v in parse_qs(url.query).items()}, **form}
                if len(parts) != 2 or parts[0] != "v26.0" or not parts[1].isdigit():
                    fake.problems.append(f"unexpected POST {self.path}")
                    self._send(404, json.dumps(_graph_error("Unknown path", 803)).encode())
                    return
                status, payload = fake.react(int(parts[1]), query)
                self._send(status, json.dumps(payload).encode())

        return Handler


def _graph_error(message: str, code: int) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}
