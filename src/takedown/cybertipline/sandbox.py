"""A local stand-in for NCMEC's CyberTipline Reporting API on 127.0.0.1.

The filing tests run against it, and `takedown replay` files to it when no real CyberTipline is
configured, so a replay shows the whole path to an accepted report without sending anything.

A real HTTP server with the API's steps (`/submit`, `/upload`, `/fileinfo`, `/finish`) behind
HTTP Basic auth. It checks the order of the steps and the XML documents with its own rules
(written apart from `takedown.cybertipline.schema`, so a mistake there is caught here), and
can fail the first N requests, or N requests of one step, with a 503 to exercise retries.
Everything it found wrong is kept in `problems`; a test asserts that list is empty.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

REPORT_ORDER = [
    "incidentSummary",
    "internetDetails",
    "lawEnforcement",
    "reporter",
    "personOrUserReported",
    "intendedRecipient",
    "victim",
    "additionalInfo",
]
FILE_DETAILS_ORDER = [
    "reportId",
    "fileId",
    "originalFileName",
    "locationOfFile",
    "fileViewedByEsp",
    "exifViewedByEsp",
    "publiclyAvailable",
    "fileRelevance",
    "fileAnnotations",
    "industryClassification",
    "originalFileHash",
    "ipCaptureEvent",
    "deviceId",
    "details",
    "additionalInfo",
]
INCIDENT_TYPES = {
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Acts",
    "Unsolicited Obscene Material Sent to a Child",
}


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
    files: dict[str, FakeFile] = field(default_factory=dict)
    finished: bool = False


def _ordered(node: ET.Element, order: list[str], where: str) -> list[str]:
    problems = []
    last = -1
    for child in node:
        if child.tag not in order:
            problems.append(f"{where}: unknown element <{child.tag}>")
            continue
        index = order.index(child.tag)
        if index < last:
            problems.append(f"{where}: <{child.tag}> is out of order")
        last = index
    return problems


def check_report(root: ET.Element) -> list[str]:
    if root.tag != "report":
        return [f"root is <{root.tag}>, not <report>"]
    problems = _ordered(root, REPORT_ORDER, "report")
    if root.findtext("incidentSummary/incidentType") not in INCIDENT_TYPES:
        problems.append("incidentSummary/incidentType is missing or not NCMEC's")
    try:
        when = root.findtext("incidentSummary/incidentDateTime") or ""
        datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        problems.append("incidentSummary/incidentDateTime is not a date and time")
    if "@" not in (root.findtext("reporter/reportingPerson/email") or ""):
        problems.append("reporter/reportingPerson/email is required")
    if not root.findall("personOrUserReported"):
        problems.append("no personOrUserReported for a distribution report")
    for person in root.findall("personOrUserReported"):
        if not (person.findtext("espIdentifier") or "").strip():
            problems.append("personOrUserReported without espIdentifier")
    return problems


def check_file_details(root: ET.Element, report: FakeReport) -> list[str]:
    if root.tag != "fileDetails":
        return [f"root is <{root.tag}>, not <fileDetails>"]
    problems = _ordered(root, FILE_DETAILS_ORDER, "fileDetails")
    file = report.files.get(root.findtext("fileId") or "")
    if file is None:
        return [*problems, "fileDetails names a file not uploaded to this report"]
    if not (root.findtext("originalFileName") or "").strip():
        problems.append("originalFileName is required")
    for flag in ("fileViewedByEsp", "publiclyAvailable"):
        if root.findtext(flag) not in ("true", "false"):
            problems.append(f"{flag} must be true or false")
    md5 = [h.text for h in root.findall("originalFileHash") if h.get("hashType") == "MD5"]
    if md5 != [file.md5]:
        problems.append(f"originalFileHash MD5 {md5} is not the uploaded file's {file.md5}")
    classification = root.findtext("industryClassification")
    if classification is not None and classification not in {"A1", "A2", "B1", "B2"}:
        problems.append(f"industryClassification {classification!r} is not A1/A2/B1/B2")
    return problems


def _answer(code: int, description: str, **fields: str) -> bytes:
    root = ET.Element("reportResponse")
    ET.SubElement(root, "responseCode").text = str(code)
    ET.SubElement(root, "responseDescription").text = description
    for name, value in fields.items():
        ET.SubElement(root, name).text = value
    return ET.tostring(root)


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


@dataclass
class FakeCyberTipline:
    username: str = "esp-test"
    password: str = "esp-test-password"
    fail_first: int = 0
    fail_steps: dict[str, int] = field(default_factory=dict)
    reports: dict[str, FakeReport] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused: int = 0

    def __post_init__(self) -> None:
        fake = self
        self._lock = threading.Lock()
        self._next_id = 7_000_001

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, answer = fake._handle(
                    self.path, self.headers.get("Authorization", ""), self.headers, body
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

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

    def _handle(self, path: str, auth: str, headers: object, body: bytes) -> tuple[int, bytes]:
        step = path.rsplit("/", 1)[-1]
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        with self._lock:
            self.requests.append(step)
            if auth != expected:
                return 401, _answer(1000, "Unauthorized")
            if self.refused < self.fail_first:
                self.refused += 1
                return 503, b"unavailable"
            if self.fail_steps.get(step, 0) > 0:
                self.fail_steps[step] -= 1
                return 503, b"unavailable"
            content_type = headers.get("Content-Type", "")  # type: ignore[attr-defined]
            try:
                if step == "submit":
                    return 200, self._submit(body)
                if step == "upload":
                    return 200, self._upload(content_type, body)
                if step == "fileinfo":
                    return 200, self._fileinfo(body)
                if step == "finish":
                    return 200, self._finish(body)
            except ValueError as exc:
                self.problems.append(f"{step}: {exc}")
                return 200, _answer(4100, str(exc))
            return 404, b"no such step"

    def _submit(self, body: bytes) -> bytes:
        root = ET.fromstring(body)
        problems = check_report(root)
        if problems:
            raise ValueError("; ".join(problems))
        report_id = str(self._next_id)
        self._next_id += 1
        self.reports[report_id] = FakeReport(report_id, root)
        return _answer(0, "Success", reportId=report_id)

    def _open_report(self, report_id: str) -> FakeReport:
        report = self.reports.get(report_id)
        if report is None:
            raise ValueError(f"unknown report id {report_id!r}")
        if report.finished:
            raise ValueError(f"report {report_id} is already finished")
        return report

    def _upload(self, content_type: str, body: bytes) -> bytes:
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
        report = self._open_report(fields.get("id", (None, b""))[1].decode())
        if "file" not in fields or not fields["file"][1]:
            raise ValueError("upload without a file")
        name, data = fields["file"]
        file_id = f"f{self._next_id}"
        self._next_id += 1
        md5 = hashlib.md5(data).hexdigest()
        report.files[file_id] = FakeFile(file_id, name or "", data, md5)
        return _answer(0, "Success", reportId=report.report_id, fileId=file_id, hash=md5)

    def _fileinfo(self, body: bytes) -> bytes:
        root = ET.fromstring(body)
        report = self._open_report(root.findtext("reportId") or "")
        problems = check_file_details(root, report)
        if problems:
            raise ValueError("; ".join(problems))
        report.files[root.findtext("fileId") or ""].details = root
        return _answer(0, "Success", reportId=report.report_id)

    def _finish(self, body: bytes) -> bytes:
        report_id = parse_qs(body.decode()).get("id", [""])[0]
        report = self._open_report(report_id)
        undescribed = [f.file_id for f in report.files.values() if f.details is None]
        if undescribed:
            raise ValueError(f"finish before fileinfo for {undescribed}")
        report.finished = True
        root = ET.Element("reportDoneResponse")
        ET.SubElement(root, "responseCode").text = "0"
        ET.SubElement(root, "reportId").text = report_id
        files = ET.SubElement(root, "files")
        for file_id in report.files:
            ET.SubElement(files, "fileId").text = file_id
        return ET.tostring(root)

    # -- what tests look at -----------------------------------------------------------------

    def finished_reports(self) -> list[FakeReport]:
        with self._lock:
            return [r for r in self.reports.values() if r.finished]
