"""Validation of the XML documents against NCMEC's own XSD before they are sent.

The authority is NCMEC's schema (`xsd/ncmec-report.xsd`, see its README): a document it
refuses is never sent, and the sandbox refuses it the same way. A few checks written here come
first only to say in plain words what the legal team must fix (the reporter's email is a
setting, not a schema detail); they never accept what the XSD refuses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from importlib import resources

from lxml import etree

from takedown.cybertipline.report import HASH_TYPES

XSD_NAME = "ncmec-report.xsd"


class InvalidDocument(Exception):
    """The document breaks the schema; `problems` says where and how, `fix` what to do."""

    def __init__(self, problems: list[str], fix: str | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.fix = fix or (
            "The report Takedown wrote does not match NCMEC's schema: correct the case data "
            "named above (or Takedown itself, if the data is right) and retry the filing."
        )


def xsd_bytes() -> bytes:
    """NCMEC's schema as published (what the sandbox answers at `GET /xsd`)."""
    return resources.files("takedown.cybertipline").joinpath("xsd", XSD_NAME).read_bytes()


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(xsd_bytes()))


def xsd_problems(document: str | bytes) -> list[str]:
    """Every way `document` breaks NCMEC's XSD, each with its line; empty when it is valid."""
    data = document.encode() if isinstance(document, str) else document
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def _friendly_report_checks(root: ET.Element) -> InvalidDocument | None:
    email = (root.findtext("reporter/reportingPerson/email") or "").strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        return InvalidDocument(
            [f"the reporting person's email is {email or 'empty'!r}: NCMEC needs one to reach us"],
            fix="Set TAKEDOWN_NCMEC_REPORTER_EMAIL (and TAKEDOWN_NCMEC_REPORTER_NAME) to the "
            "person NCMEC may contact, then retry the filing.",
        )
    return None


def _friendly_file_checks(root: ET.Element) -> InvalidDocument | None:
    for node in root.iter("originalFileHash"):
        kind = node.get("hashType", "")
        length = HASH_TYPES.get(kind)
        if length and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", node.text or ""):
            return InvalidDocument(
                [f"originalFileHash {node.text!r} is not a {kind} hash"],
                fix="The stored evidence's hashes are damaged: recapture the evidence, then "
                "retry the filing.",
            )
    return None


def _validate(document: str, root_tag: str) -> ET.Element:
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise InvalidDocument([f"not well-formed XML: {exc}"]) from None
    if root.tag != root_tag:
        raise InvalidDocument([f"the root element is <{root.tag}>, not <{root_tag}>"])
    friendly = (
        _friendly_report_checks(root) if root_tag == "report" else _friendly_file_checks(root)
    )
    if friendly is not None:
        raise friendly
    problems = xsd_problems(document)
    if problems:
        raise InvalidDocument([f"NCMEC's schema: {p}" for p in problems])
    return root


def validate_report(document: str) -> ET.Element:
    """Check a `<report>`; raises InvalidDocument listing every problem."""
    return _validate(document, "report")


def validate_file_details(document: str) -> ET.Element:
    """Check a `<fileDetails>`; raises InvalidDocument listing every problem."""
    return _validate(document, "fileDetails")
