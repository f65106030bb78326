"""A local stand-in for NCMEC's CyberTipline Reporting API on 127.0.0.1.

The filing tests run against it, and `takedown demo` and `takedown replay` file to it when no
real CyberTipline is configured, so they show the whole path to an accepted report without
sending anything.

It behaves as NCMEC's documentation (2025-06-11) describes: `GET /status`, `GET /xsd`,
`POST /submit`, `/upload`, `/fileinfo`, `/finish`, `/retract` behind HTTP Basic auth; every
document validated against NCMEC's own XSD (`xsd/ncmec-report.xsd`); NCMEC's response codes
and texts; a `Request-ID` header on every answer; an unfinished report deleted 24 hours after
it was opened or 1 hour after its last change, whichever is later (by the injected clock).
It can also fail the first N requests, or N requests of one step, with a 503 to exercise
retries. Everything it refused or found wrong is kept in `problems`; tests assert it is empty.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from takedown.cybertipline.client import RESPONSE_CODES
from takedown.cybertipline.schema import xsd_bytes, xsd_problems

# An unfinished report is deleted this long after it was opened, or after its last change.
ABANDON_AFTER_OPEN = timedelta(hours=24)
ABANDON_AFTER_CHANGE = timedelta(hours=1)


def _http_status(code: int) -> int:
    if code == 0:
        return 200
    if code == 2000:
        return 401
    if 3000 <= code < 4000:
        return 403
    if code in (1210, 5001, 5002):
        return 404
    if code in (5101, 5102):
        return 409
    return 500 if code < 2000 else 400


class Refusal(Exception):
    def __init__(self, code: int, detail: str | None = None) -> None:
        super().__init__(detail or RESPONSE_CODES[code])
        self.code = code
        self.detail = detail


@dataclass
class FakeFile:
    file_id: str
    name: str
    data: bytes
    md5: str
    details: ET.Element | None = None


@dataclass
class FakeReport:
    report_id: str
    xml: ET.Element
    opened_at: datetime
    changed_at: datetime
    files: dict[str, FakeFile] = field(default_factory=dict)
    finished: bool = False
    retracted: bool = False

    def abandoned(self, now: datetime) -> bool:
        expiry = max(self.opened_at + ABANDON_AFTER_OPEN, self.changed_at + ABANDON_AFTER_CHANGE)
        return not self.finished and not self.retracted and now >= expiry


def _answer(code: int, description: str | None = None, **fields: str) -> bytes:
    root = ET.Element("reportResponse")
    ET.SubElement(root, "responseCode").text = str(code)
    ET.SubElement(root, "responseDescription").text = description or RESPONSE_CODES[code]
    for name, value in fields.items():
        ET.SubElement(root, name).text = value
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root)


def _form(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a urlencoded or multipart form (NCMEC's examples use both)."""
    if content_type.startswith("multipart/"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[str(name)] = (
                part.get_filename(),
                payload if isinstance(payload, bytes) else b"",
            )
        return fields
    return {k: (None, v[0].encode()) for k, v in parse_qs(body.decode(errors="replace")).items()}


def _done(code: int, report_id: bytes | str, files: list[str] | None = None) -> bytes:
    root = ET.Element("reportDoneResponse")
    ET.SubElement(root, "responseCode").text = str(code)
    text = report_id.decode(errors="replace") if isinstance(report_id, bytes) else report_id
    ET.SubElement(root, "reportId").text = text.strip() if text.strip().isdigit() else "0"
    listed = ET.SubElement(root, "files")
    for file_id in files or []:
        ET.SubElement(listed, "fileId").text = file_id
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root)


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class FakeCyberTipline:
    username: str = "esp-test"
    password: str = "esp-test-password"
    fail_first: int = 0
    fail_steps: dict[str, int] = field(default_factory=dict)
    # The time the sandbox lives by (a ManualClock's `now` in tests).
    clock: Callable[[], datetime] = _utcnow
    reports: dict[str, FakeReport] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused: int = 0

    def __post_init__(self) -> None:
        fake = self
        self._lock = threading.Lock()
        self._next_id = 7_000_001

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                status, content_type, answer = fake._handle(
                    method,
                    self.path,
                    self.headers.get("Authorization", ""),
                    self.headers.get("Content-Type", ""),
                    body,
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Request-ID", uuid.uuid4().hex)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="ispws"')
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ispws"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the API ----------------------------------------------------------------------------

    def _handle(
        self, method: str, path: str, auth: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        step = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        xml = "text/xml; charset=utf-8"
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        with self._lock:
            self.requests.append(step)
            if auth != expected:
                return 401, xml, _answer(2000)
            if self.refused < self.fail_first:
                self.refused += 1
                return 503, "text/plain", b"unavailable"
            if self.fail_steps.get(step, 0) > 0:
                self.fail_steps[step] -= 1
                return 503, "text/plain", b"unavailable"
            self._delete_abandoned()
            routes: dict[tuple[str, str], Callable[[str, bytes], bytes]] = {
                ("GET", "status"): lambda _t, _b: _answer(0),
                ("POST", "submit"): self._submit,
                ("POST", "upload"): self._upload,
                ("POST", "fileinfo"): self._fileinfo,
                ("POST", "finish"): self._finish,
                ("POST", "retract"): self._retract,
            }
            if (method, step) == ("GET", "xsd"):
                return 200, xml, xsd_bytes()
            route = routes.get((method, step))
            if route is None:
                return 404, xml, _answer(1210)
            try:
                return 200, xml, route(content_type, body)
            except Refusal as refusal:
                self.problems.append(f"{step}: {refusal.code} {refusal}")
                if step == "finish":
                    # /finish answers with its own root, which has no description (Appendix D.2).
                    answer = _done(
                        refusal.code, _form(content_type, body).get("id", (None, b""))[1]
                    )
                else:
                    answer = _answer(refusal.code, refusal.detail)
                return _http_status(refusal.code), xml, answer

    def _delete_abandoned(self) -> None:
        now = self.clock()
        for report_id in [r.report_id for r in self.reports.values() if r.abandoned(now)]:
            del self.reports[report_id]

    def _document(self, body: bytes, root_tag: str) -> ET.Element:
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise Refusal(4110, f"Malformed XML submittal: {exc}") from None
        if root.tag != root_tag:
            raise Refusal(4110, f"Malformed XML submittal: expected <{root_tag}>")
        problems = xsd_problems(body)
        if problems:
            raise Refusal(4100, "Validation failed: " + "; ".join(problems))
        return root

    def _submit(self, _content_type: str, body: bytes) -> bytes:
        root = self._document(body, "report")
        report_id = str(self._next_id)
        self._next_id += 1
        now = self.clock()
        self.reports[report_id] = FakeReport(report_id, root, opened_at=now, changed_at=now)
        return _answer(0, reportId=report_id)

    def _open_report(self, report_id: str) -> FakeReport:
        if not report_id.strip().isdigit():
            raise Refusal(4000, "Invalid request: the report id must be a number")
        report = self.reports.get(report_id.strip())
        if report is None:
            raise Refusal(5001)
        if report.retracted:
            raise Refusal(5101)
        if report.finished:
            raise Refusal(5102)
        return report

    def _upload(self, content_type: str, body: bytes) -> bytes:
        if not content_type.startswith("multipart/form-data"):
            raise Refusal(4200, "Malformed file submittal: expected multipart/form-data")
        fields = _form(content_type, body)
        report = self._open_report(fields.get("id", (None, b""))[1].decode())
        if "file" not in fields or not fields["file"][1]:
            raise Refusal(4200, "Malformed file submittal: no file")
        name, data = fields["file"]
        file_id = uuid.uuid4().hex
        md5 = hashlib.md5(data).hexdigest()
        report.files[file_id] = FakeFile(file_id, name or "", data, md5)
        report.changed_at = self.clock()
        return _answer(0, reportId=report.report_id, fileId=file_id, hash=md5)

    def _fileinfo(self, _content_type: str, body: bytes) -> bytes:
        root = self._document(body, "fileDetails")
        report = self._open_report(root.findtext("reportId") or "")
        file = report.files.get((root.findtext("fileId") or "").strip())
        if file is None:
            raise Refusal(5002)
        if file.details is not None:
            raise Refusal(1300, "Update failed: file details were already submitted")
        md5 = [h.text for h in root.findall("originalFileHash") if h.get("hashType") == "MD5"]
        if md5 and md5 != [file.md5]:
            # NCMEC would take it; a filing that says the wrong hash is still our bug.
            self.problems.append(f"fileinfo: MD5 {md5} is not the uploaded file's {file.md5}")
        file.details = root
        report.changed_at = self.clock()
        return _answer(0, reportId=report.report_id)

    def _report_of_form(self, content_type: str, body: bytes) -> FakeReport:
        return self._open_report(_form(content_type, body).get("id", (None, b""))[1].decode())

    def _finish(self, content_type: str, body: bytes) -> bytes:
        report = self._report_of_form(content_type, body)
        report.finished = True
        return _done(0, report.report_id, list(report.files))

    def _retract(self, content_type: str, body: bytes) -> bytes:
        report = self._report_of_form(content_type, body)
        report.retracted = True
        return _answer(0, reportId=report.report_id)

    # -- what tests look at -----------------------------------------------------------------

    def finished_reports(self) -> list[FakeReport]:
        with self._lock:
            return [r for r in self.reports.values() if r.finished]
