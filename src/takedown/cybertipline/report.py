"""What a CyberTipline report says, and its XML in the Reporting API's element names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

# NCMEC's incident types (the `incidentType` enumeration); Takedown files the first for CSAM.
INCIDENT_CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
INCIDENT_TYPES = frozenset(
    {
        INCIDENT_CHILD_PORNOGRAPHY,
        "Child Sex Trafficking",
        "Child Sex Tourism",
        "Child Sexual Molestation",
        "Misleading Domain Name",
        "Misleading Words or Digital Images on the Internet",
        "Online Enticement of Children for Sexual Acts",
        "Unsolicited Obscene Material Sent to a Child",
    }
)
# Industry classification: A = prepubescent, B = pubescent; 1 = sex act, 2 = lascivious exhibition.
INDUSTRY_CLASSIFICATIONS = frozenset({"A1", "A2", "B1", "B2"})
FILE_ANNOTATIONS = frozenset(
    {
        "animeDrawingVirtualHentai",
        "potentialMeme",
        "viral",
        "possibleSelfProduction",
        "physicalHarm",
        "violenceGore",
        "bestiality",
        "liveStreaming",
        "infant",
        "generativeAi",
    }
)
HASH_TYPES = {"MD5": 32, "SHA1": 40, "SHA256": 64}
SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Reporter:
    """The person at the platform NCMEC may contact about the report."""

    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class IncidentReport:
    incident_type: str
    incident_at: datetime
    reporter: Reporter
    urls: tuple[str, ...] = ()
    reported_accounts: tuple[str, ...] = ()
    # The depicted person's own account on the platform, when they reported it themselves.
    victim_accounts: tuple[str, ...] = ()
    additional_info: str | None = None


@dataclass(frozen=True)
class FileDetails:
    original_file_name: str
    file_viewed_by_esp: bool
    publicly_available: bool
    hashes: dict[str, str] = field(default_factory=dict)  # {"MD5": hex, "SHA256": hex}
    industry_classification: str | None = None
    annotations: tuple[str, ...] = ()
    additional_info: str | None = None


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = value
    return child


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _serialise(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def report_xml(report: IncidentReport) -> str:
    """The body of `POST /submit`."""
    root = ET.Element("report")
    root.set("xmlns:xsi", XSI)
    root.set("xsi:noNamespaceSchemaLocation", SCHEMA_LOCATION)
    summary = ET.SubElement(root, "incidentSummary")
    _text(summary, "incidentType", report.incident_type)
    _text(summary, "incidentDateTime", _time(report.incident_at))
    for url in report.urls:
        details = ET.SubElement(root, "internetDetails")
        _text(ET.SubElement(details, "webPageIncident"), "url", url)
    person = ET.SubElement(ET.SubElement(root, "reporter"), "reportingPerson")
    _text(person, "firstName", report.reporter.first_name)
    if report.reporter.last_name:
        _text(person, "lastName", report.reporter.last_name)
    _text(person, "email", report.reporter.email)
    for account in report.reported_accounts:
        _text(ET.SubElement(root, "personOrUserReported"), "espIdentifier", account)
    for account in report.victim_accounts:
        _text(ET.SubElement(root, "victim"), "espIdentifier", account)
    if report.additional_info:
        _text(root, "additionalInfo", report.additional_info)
    return _serialise(root)


def file_details_xml(report_id: str, file_id: str, details: FileDetails) -> str:
    """The body of `POST /fileinfo` for one uploaded file."""
    root = ET.Element("fileDetails")
    _text(root, "reportId", report_id)
    _text(root, "fileId", file_id)
    _text(root, "originalFileName", details.original_file_name)
    _text(root, "fileViewedByEsp", _bool(details.file_viewed_by_esp))
    _text(root, "publiclyAvailable", _bool(details.publicly_available))
    if details.annotations:
        annotations = ET.SubElement(root, "fileAnnotations")
        for name in details.annotations:
            ET.SubElement(annotations, name)
    if details.industry_classification:
        _text(root, "industryClassification", details.industry_classification)
    for hash_type, value in sorted(details.hashes.items()):
        _text(root, "originalFileHash", value).set("hashType", hash_type)
    if details.additional_info:
        _text(root, "additionalInfo", details.additional_info)
    return _serialise(root)
