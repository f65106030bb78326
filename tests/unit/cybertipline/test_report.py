"""The CyberTipline documents: built in NCMEC's element names and checked before sending."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from takedown.cybertipline.report import (
    INCIDENT_CHILD_PORNOGRAPHY,
    FileDetails,
    IncidentReport,
    Reporter,
    file_details_xml,
    report_xml,
)
from takedown.cybertipline.schema import InvalidDocument, validate_file_details, validate_report

REPORTER = Reporter("Safety", "Team", "safety@platform.example")
MD5 = "0" * 32
SHA256 = "a" * 64


def incident(**changes: object) -> IncidentReport:
    fields: dict[str, object] = {
        "incident_type": INCIDENT_CHILD_PORNOGRAPHY,
        "incident_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "reporter": REPORTER,
        "urls": ("https://platform.example/p/1",),
        "reported_accounts": ("acct-a", "acct-b"),
        "victim_accounts": ("acct-v",),
        "additional_info": "case 1",
    }
    fields.update(changes)
    return IncidentReport(**fields)  # type: ignore[arg-type]


def test_the_report_uses_ncmec_element_names_in_order() -> None:
    document = report_xml(incident())
    root = validate_report(document)
    assert [child.tag for child in root] == [
        "incidentSummary",
        "internetDetails",
        "reporter",
        "personOrUserReported",
        "personOrUserReported",
        "victim",
        "additionalInfo",
    ]
    assert root.findtext("incidentSummary/incidentDateTime") == "2026-01-02T03:04:05Z"
    assert root.findtext("internetDetails/webPageIncident/url") == "https://platform.example/p/1"
    assert root.findtext("reporter/reportingPerson/email") == "safety@platform.example"


def test_text_is_escaped_not_interpreted() -> None:
    document = report_xml(incident(additional_info="<b>&</b>", reported_accounts=("a<b",)))
    root = validate_report(document)
    assert root.findtext("additionalInfo") == "<b>&</b>"
    assert root.findtext("personOrUserReported/espIdentifier") == "a<b"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"reporter": Reporter("Safety", "", "")}, "email"),
        ({"incident_type": "Spam"}, "incidentType"),
        ({"urls": ("ftp://x",)}, "url"),
    ],
)
def test_a_bad_report_is_refused_before_sending(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidDocument) as refused:
        validate_report(report_xml(incident(**changes)))
    assert problem in str(refused.value)


def test_elements_out_of_order_or_unknown_are_refused() -> None:
    root = ET.fromstring(report_xml(incident()))
    summary = root.find("incidentSummary")
    assert summary is not None
    root.remove(summary)
    root.append(summary)
    ET.SubElement(root, "madeUp")
    with pytest.raises(InvalidDocument) as refused:
        validate_report(ET.tostring(root, encoding="unicode"))
    assert "<incidentSummary> is required" in str(refused.value)
    assert "<madeUp> is unknown" in str(refused.value) or "out of order" in str(refused.value)


def test_file_details_carry_the_hashes_classification_and_annotations() -> None:
    details = FileDetails(
        original_file_name="p-1.png",
        file_viewed_by_esp=True,
        publicly_available=False,
        hashes={"MD5": MD5, "SHA256": SHA256},
        industry_classification="B2",
        annotations=("possibleSelfProduction",),
    )
    root = validate_file_details(file_details_xml("7000001", "f1", details))
    assert root.findtext("fileViewedByEsp") == "true"
    assert root.findtext("publiclyAvailable") == "false"
    assert root.find("fileAnnotations/possibleSelfProduction") is not None
    assert root.findtext("industryClassification") == "B2"
    assert {h.get("hashType"): h.text for h in root.findall("originalFileHash")} == {
        "MD5": MD5,
        "SHA256": SHA256,
    }


def test_file_details_with_a_malformed_hash_or_classification_are_refused() -> None:
    details = FileDetails("p.png", True, True, {"MD5": "xyz"}, industry_classification="C3")
    with pytest.raises(InvalidDocument) as refused:
        validate_file_details(file_details_xml("1", "f1", details))
    assert "is not a MD5 hash" in str(refused.value)
    assert "C3" in str(refused.value)
