"""A local stand-in for NCMEC's hash sharing API (XML v2) on 127.0.0.1, written from NCMEC's
documented shapes as python-threatexchange's client reads them, with the failures HMA users
hit (facebook/ThreatExchange #1679, #1744):

- entries come back out of time order within a window (as NCMEC's do);
- `next` links are only good for the exact `from`/`to` of the query that made them (a link
  replayed with another window jumps to the end, as NCMEC's did), and `expire_links()` makes
  every issued link stale (410);
- `block_on_page(n)` holds the n-th entries request until released, so a test can kill the
  fetching process while it waits.

Feedback (`PUT /v2/entries/{esp}/{id}/{TYPE}/feedback`) is kept in `feedback`; anything the
fake found wrong with a request is kept in `problems`.
"""

from __future__ import annotations

import base64
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

NS = "https://hashsharing.ncmec.org/hashsharing/v2"
DATE = "%Y-%m-%dT%H:%M:%SZ"
NEGATIVE_REASON = "0f5e6b1c-0000-4000-8000-000000000001"


@dataclass
class FakeEntry:
    id: str
    member_id: int
    timestamp: int
    fingerprints: dict[str, str]
    kind: str = "image"
    classification: str | None = "A1"
    deleted: bool = False


@dataclass
class Feedback:
    member_id: int
    entry_id: str
    fingerprint: str
    vote: str  # affirmative | negative
    reason_guid: str | None


def _stamp(ts: int) -> str:
    # The client formats times with the local clock and a Z; read them back the same way.
    return datetime.fromtimestamp(ts).strftime(DATE)


def _parse(text: str) -> int:
    return int(datetime.strptime(text, DATE).timestamp())


@dataclass
class FakeNcmecHashes:
    user: str = "esp-user"
    password: str = "esp-password"
    page_size: int = 3
    entries: dict[tuple[int, str], FakeEntry] = field(default_factory=dict)
    feedback: list[Feedback] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._links: dict[str, tuple[int, int, int, int]] = {}
        self._generation = 0
        self._block_at: int | None = None
        self.waiting = threading.Event()
        self.release = threading.Event()
        self._pages = 0
        self.stale_refusals = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, entry: FakeEntry) -> None:
        self.entries[entry.member_id, entry.id] = entry

    def delete(self, member_id: int, entry_id: str, timestamp: int) -> None:
        old = self.entries[member_id, entry_id]
        self.entries[member_id, entry_id] = FakeEntry(
            old.id, old.member_id, timestamp, {}, old.kind, None, deleted=True
        )

    def expire_links(self) -> None:
        with self._lock:
            self._generation += 1

    def block_on_page(self, n: int) -> None:
        self._block_at = n

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    # -- the API ---------------------------------------------------------------------------

    def _window(self, start: int, end: int) -> list[FakeEntry]:
        inside = [e for e in self.entries.values() if start < e.timestamp <= end]
        # Out of time order, as NCMEC answers: newest member first, then by id backwards.
        return sorted(inside, key=lambda e: (-e.member_id, e.id), reverse=True)

    def entries_page(self, query: dict[str, str]) -> tuple[int, bytes]:
        start, end = _parse(query["from"]), _parse(query["to"])
        offset = 0
        cursor = query.get("cursor")
        if cursor is not None:
            with self._lock:
                link = self._links.get(cursor)
                generation = self._generation
            if link is None or link[3] != generation:
                self.stale_refusals += 1
                return 410, b"<error>paging link expired</error>"
            if (link[0], link[1]) != (start, end):
                return 200, self._render([], 0, "")  # NCMEC jumps to the end (#1744)
            offset = link[2]
        found = self._window(start, end)
        page = found[offset : offset + self.page_size]
        nxt = ""
        if offset + self.page_size < len(found):
            token = f"c{len(self._links) + 1}"
            with self._lock:
                self._links[token] = (start, end, offset + self.page_size, self._generation)
            nxt = "/v2/entries?" + urlencode(
                {
                    "from": query["from"],
                    "to": query["to"],
                    "start": offset + self.page_size,
                    "size": self.page_size,
                    "max": len(found),
                    "cursor": token,
                }
            )
        return 200, self._render(page, max((e.timestamp for e in page), default=0), nxt)

    def _render(self, page: list[FakeEntry], max_ts: int, nxt: str) -> bytes:
        root = ET.Element("queryResult", {"xmlns": NS})
        for kind, tag in (("image", "images"), ("video", "videos")):
            mine = [e for e in page if e.kind == kind]
            group = ET.SubElement(
                root,
                tag,
                {
                    "count": str(len(mine)),
                    "maxTimestamp": time.strftime(DATE, time.gmtime(max_ts)),
                },
            )
            for e in mine:
                el = ET.SubElement(group, ("deleted" + kind.title()) if e.deleted else kind)
                ET.SubElement(el, "id").text = e.id
                ET.SubElement(el, "member", {"id": str(e.member_id)}).text = f"ESP {e.member_id}"
                ET.SubElement(el, "timestamp").text = _stamp(e.timestamp)
                if not e.deleted:
                    if e.classification:
                        ET.SubElement(el, "classification").text = e.classification
                    prints = ET.SubElement(el, "fingerprints")
                    for name, value in e.fingerprints.items():
                        ET.SubElement(prints, name).text = value
        paging = ET.SubElement(root, "paging")
        if nxt:
            ET.SubElement(paging, "next").text = nxt
        return ET.tostring(root, xml_declaration=True, encoding="utf-8")

    def take_feedback(self, path: str, body: bytes) -> int:
        parts = path.strip("/").split("/")  # v2 entries {esp} {id} {TYPE} feedback
        if len(parts) != 6 or parts[:2] != ["v2", "entries"] or parts[5] != "feedback":
            self.problems.append(f"unexpected PUT {path}")
            return 404
        esp, entry_id, kind = int(parts[2]), parts[3], parts[4]
        if (esp, entry_id) not in self.entries:
            self.problems.append(f"feedback on unknown entry {esp}/{entry_id}")
            return 404
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            self.problems.append("feedback body is not XML")
            return 400
        votes = [child.tag.rpartition("}")[2] for child in root]
        if root.tag != f"{{{NS}}}feedbackSubmission" or len(votes) != 1:
            self.problems.append(f"bad feedback document {body!r}")
            return 400
        guid = root.find(f".//{{{NS}}}guid")
        if votes[0] == "negative" and (guid is None or guid.text != NEGATIVE_REASON):
            self.problems.append("negative feedback without a known reason")
            return 400
        self.feedback.append(
            Feedback(esp, entry_id, kind, votes[0], guid.text if guid is not None else None)
        )
        return 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{fake.user}:{fake.password}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self._send(401, b"<error>unauthorised</error>")
                    return False
                return True

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                url = urlparse(self.path)
                fake.requests.append(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/v2/entries":
                    fake._pages += 1
                    if fake._block_at is not None and fake._pages == fake._block_at:
                        fake.waiting.set()
                        fake.release.wait(30)
                    self._send(*fake.entries_page(query))
                elif url.path.startswith("/v2/feedback/") and url.path.endswith("/reasons"):
                    root = ET.Element("feedbackReasonsResult", {"xmlns": NS})
                    reasons = ET.SubElement(root, "availableFeedbackReasons")
                    ET.SubElement(reasons, "reason", {"guid": NEGATIVE_REASON, "name": "Not CSAM"})
                    self._send(200, ET.tostring(root))
                else:
                    fake.problems.append(f"unexpected GET {self.path}")
                    self._send(404, b"<error>not found</error>")

            def do_PUT(self) -> None:
                if not self._authorised():
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._send(fake.take_feedback(urlparse(self.path).path, body), b"<ok/>")

        return Handler
