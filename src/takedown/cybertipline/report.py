"""What a CyberTipline report says, and its XML in the Reporting API's element names.

The element order and names follow NCMEC's XSD (`xsd/ncmec-report.xsd`); `schema` validates
every document built here against it before anything is sent.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

# NCMEC's incident types, exactly the XSD's `incidentType` enumeration.
INCIDENT_CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
INCIDENT_CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
INCIDENT_ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
INCIDENT_TYPES = frozenset(
    {
        INCIDENT_CHILD_PORNOGRAPHY,
        INCIDENT_CHILD_SEX_TRAFFICKING,
        "Child Sex Tourism",
        "Child Sexual Molestation",
        "Misleading Domain Name",
        "Misleading Words or Digital Images on the Internet",
        INCIDENT_ONLINE_ENTICEMENT,
        "Unsolicited Obscene Material Sent to a Child",
    }
)
# The XSD's `reportAnnotations` (presence flags on the whole report).
REPORT_ANNOTATIONS = frozenset(
    {
        "sextortion",
        "csamSolicitation",
        "minorToMinorInteraction",
        "spam",
        "sadisticOnlineExploitation",
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
# `originalFileHash/@hashType` is free text in the XSD; these are the ones Takedown sends, with
# the hex length each must have (PDQ: 256 bits).
HASH_TYPES = {"MD5": 32, "SHA1": 40, "SHA256": 64, "PDQ": 64}
SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Reporter:
    """The person at the platform NCMEC may contact about the report."""

    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class Account:
    """An account on the platform as the report names it (reported user or victim)."""

    esp_identifier: str
    profile_url: str | None = None
    # The profile's own words, when a reported item is the profile.
    profile_bio: str | None = None
    # When the platform disabled it for this case.
    disabled_at: datetime | None = None


@dataclass(frozen=True)
class Message:
    """A reported item without media (a message, a post): its text goes to NCMEC as content."""

    text: str
    where: str | None = None  # the conversation or page it was in, when known


@dataclass(frozen=True)
class IncidentReport:
    incident_type: str
    incident_at: datetime
    reporter: Reporter
    platform: str | None = None
    annotations: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    messages: tuple[Message, ...] = ()
    reported_accounts: tuple[Account, ...] = ()
    # The depicted person's own account on the platform, when they reported it themselves.
    victims: tuple[Account, ...] = ()
    additional_info: str | None = None


@dataclass(frozen=True)
class FileDetails:
    original_file_name: str
    file_viewed_by_esp: bool
    publicly_available: bool
    uploaded_at: datetime | None = None
    location: str | None = None
    hashes: dict[str, str] = field(default_factory=dict)  # {"MD5": hex, "SHA256": hex, "PDQ": hex}
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


def _root(tag: str) -> ET.Element:
    root = ET.Element(tag)
    root.set("xmlns:xsi", XSI)
    root.set("xsi:noNamespaceSchemaLocation", SCHEMA_LOCATION)
    return root


def _account(parent: ET.Element, account: Account) -> None:
    """The children an account has in `personOrUserReported` and `victim`, in the XSD's order."""
    _text(parent, "espIdentifier", account.esp_identifier)
    if account.profile_url:
        _text(parent, "profileUrl", account.profile_url)
    if account.profile_bio:
        _text(parent, "profileBio", account.profile_bio)
    if account.disabled_at is not None:
        disabled = _text(parent, "accountPermanentlyDisabled", "true")
        disabled.set("disabledDate", _time(account.disabled_at))


def report_xml(report: IncidentReport) -> str:
    """The body of `POST /submit`."""
    root = _root("report")
    summary = ET.SubElement(root, "incidentSummary")
    _text(summary, "incidentType", report.incident_type)
    if report.platform:
        _text(summary, "platform", report.platform)
    if report.annotations:
        flags = ET.SubElement(summary, "reportAnnotations")
        for name in report.annotations:
            ET.SubElement(flags, name)
    _text(summary, "incidentDateTime", _time(report.incident_at))
    if report.urls:
        page = ET.SubElement(ET.SubElement(root, "internetDetails"), "webPageIncident")
        for url in report.urls:
            _text(page, "url", url)
    for message in report.messages:
        chat = ET.SubElement(ET.SubElement(root, "internetDetails"), "chatImIncident")
        if report.platform:
            _text(chat, "chatClient", report.platform)
        if message.where:
            _text(chat, "chatRoomName", message.where)
        _text(chat, "content", message.text)
    person = ET.SubElement(ET.SubElement(root, "reporter"), "reportingPerson")
    _text(person, "firstName", report.reporter.first_name)
    if report.reporter.last_name:
        _text(person, "lastName", report.reporter.last_name)
    _text(person, "email", report.reporter.email)
    for account in report.reported_accounts:
        _account(ET.SubElement(root, "personOrUserReported"), account)
    for account in report.victims:
        victim = ET.SubElement(root, "victim")
        # The XSD requires `victimPerson` first; Takedown knows no name, only the account.
        ET.SubElement(victim, "victimPerson")
        _account(victim, account)
    if report.additional_info:
        _text(root, "additionalInfo", report.additional_info)
    return _serialise(root)


def file_details_xml(report_id: str, file_id: str, details: FileDetails) -> str:
    """The body of `POST /fileinfo` for one uploaded file."""
    root = _root("fileDetails")
    _text(root, "reportId", report_id)
    _text(root, "fileId", file_id)
    _text(root, "originalFileName", details.original_file_name)
    if details.uploaded_at is not None:
        _text(root, "uploadedToEspTimestamp", _time(details.uploaded_at))
    if details.location:
        _text(root, "locationOfFile", details.location)
    _text(root, "fileViewedByEsp", _bool(details.file_viewed_by_esp))
    _text(root, "publiclyAvailable", _bool(details.publicly_available))
    # Only a `Reported` file may carry an industry classification.
    _text(root, "fileRelevance", "Reported")
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
