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


class CyberTiplineError(Exception):
    """A step did not succeed; `rejected` means NCMEC answered with an error code (the request
    itself was refused, so repeating it unchanged will not help) rather than a network fault."""

    def __init__(self, message: str, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected


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
        if response.status_code in (401, 403):
            raise CyberTiplineError(f"{step}: credentials refused ({response.status_code})", True)
        if response.status_code >= 300:
            raise CyberTiplineError(f"{step}: answered {response.status_code}")
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError:
            raise CyberTiplineError(f"{step}: the answer is not XML") from None
        code = (root.findtext("responseCode") or "").strip()
        if code != "0":
            description = root.findtext("responseDescription") or "no description"
            raise CyberTiplineError(f"{step}: response code {code or '?'}: {description}", True)
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
