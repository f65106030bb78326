"""The Reporting API's steps over HTTP: submit, upload each file, file details, finish.

Each method is one request; the caller (`services.filing`) records the result of each before
making the next, so a retry resumes where the last attempt stopped and never submits twice.
Authentication is HTTP Basic with the ESP's credentials (TAKEDOWN_NCMEC_USERNAME/_PASSWORD).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx

XML = "text/xml; charset=utf-8"
# NCMEC's response codes and their texts (Reporting API documentation, Appendix D.1).
RESPONSE_CODES = {
    0: "Success",
    1000: "Server error",
    1100: "Save failed",
    1110: "Upload failed",
    1111: "File upload failed",
    1210: "Resource not found",
    1300: "Update failed",
    2000: "Authentication required",
    3000: "User is not authorized to perform this action",
    3100: "User does not have authorization to make submissions",
    3300: "User does not have authorization to make updates",
    4000: "Invalid request",
    4100: "Validation failed",
    4110: "Malformed XML submittal",
    4200: "Malformed file submittal",
    5001: "Report does not exist",
    5002: "File does not exist",
    5101: "Report already retracted",
    5102: "Report already finished",
}


class CyberTiplineError(Exception):
    """A step did not succeed; `rejected` means NCMEC answered with an error code (the request
    itself was refused, so repeating it unchanged will not help) rather than a network fault.
    `code` and `description` are NCMEC's response code and its text, `request_id` the
    `Request-ID` header NCMEC asks to be quoted when contacting them."""

    def __init__(
        self,
        message: str,
        rejected: bool = False,
        code: int | None = None,
        description: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.rejected = rejected
        self.code = code
        self.description = description
        self.request_id = request_id


@dataclass(frozen=True)
class Uploaded:
    file_id: str
    md5: str | None


@dataclass
class CyberTiplineClient:
    base_url: str
    username: str
    password: str
    http: httpx.Client

    def _post(self, step: str, **kwargs: object) -> ET.Element:
        url = self.base_url.rstrip("/") + "/" + step
        try:
            response = self.http.post(
                url,
                auth=(self.username, self.password),
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise CyberTiplineError(f"{step}: {type(exc).__name__}: {exc}") from exc
        request_id = response.headers.get("Request-ID")
        try:
            root: ET.Element | None = ET.fromstring(response.content)
        except ET.ParseError:
            root = None
        code_text = (root.findtext("responseCode") or "").strip() if root is not None else ""
        if root is not None and code_text.isdigit() and code_text != "0":
            code = int(code_text)
            description = (root.findtext("responseDescription") or "").strip() or None
            description = description or RESPONSE_CODES.get(code)
            # 1xxx are NCMEC's own server faults, worth another try; the rest refuse the request.
            raise CyberTiplineError(
                f"{step}: NCMEC response code {code}: {description or 'no description'}"
                + (f" (Request-ID {request_id})" if request_id else ""),
                rejected=code >= 2000,
                code=code,
                description=description,
                request_id=request_id,
            )
        if response.status_code in (401, 403):
            raise CyberTiplineError(
                f"{step}: credentials refused ({response.status_code})",
                True,
                code=2000 if response.status_code == 401 else 3000,
                request_id=request_id,
            )
        if response.status_code >= 300:
            raise CyberTiplineError(
                f"{step}: answered {response.status_code}", request_id=request_id
            )
        if root is None:
            raise CyberTiplineError(f"{step}: the answer is not XML", request_id=request_id)
        if code_text != "0":
            raise CyberTiplineError(f"{step}: the answer carries no responseCode")
        return root

    def submit(self, report_xml: str) -> str:
        """Open a report; NCMEC answers with its report id."""
        root = self._post("submit", content=report_xml.encode(), headers={"Content-Type": XML})
        report_id = (root.findtext("reportId") or "").strip()
        if not report_id:
            raise CyberTiplineError("submit: the answer carries no reportId")
        return report_id

    def upload(self, report_id: str, file_name: str, data: bytes, media_type: str) -> Uploaded:
        root = self._post(
            "upload", data={"id": report_id}, files={"file": (file_name, data, media_type)}
        )
        file_id = (root.findtext("fileId") or "").strip()
        if not file_id:
            raise CyberTiplineError("upload: the answer carries no fileId")
        return Uploaded(file_id=file_id, md5=(root.findtext("hash") or "").strip() or None)

    def file_info(self, details_xml: str) -> None:
        self._post("fileinfo", content=details_xml.encode(), headers={"Content-Type": XML})

    def finish(self, report_id: str) -> list[str]:
        """Close the report; returns the file ids NCMEC holds for it."""
        root = self._post("finish", data={"id": report_id})
        return [(f.text or "").strip() for f in root.iter("fileId")]
