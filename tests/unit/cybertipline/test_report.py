"""The CyberTipline documents, validated against NCMEC's own XSD (xsd/ncmec-report.xsd).

Each test builds one branch the report code can write and checks NCMEC's schema accepts it;
the schema itself, not a rule written here, is the judge (`xsd_problems`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from takedown.cybertipline.report import (
    FILE_ANNOTATIONS,
    INCIDENT_CHILD_PORNOGRAPHY,
    INCIDENT_CHILD_SEX_TRAFFICKING,
    INCIDENT_ONLINE_ENTICEMENT,
    INCIDENT_TYPES,
    INDUSTRY_CLASSIFICATIONS,
    REPORT_ANNOTATIONS,
    Account,
    FileDetails,
    IncidentReport,
    Message,
    Reporter,
    file_details_xml,
    report_xml,
)
from takedown.cybertipline.schema import (
    InvalidDocument,
    validate_file_details,
    validate_report,
    xsd_bytes,
    xsd_problems,
)

REPORTER = Reporter("Safety", "Team", "safety@platform.example")
MD5 = "0" * 32
SHA256 = "a" * 64
PDQ = "f" * 64
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def incident(**changes: object) -> IncidentReport:
    fields: dict[str, object] = {
        "incident_type": INCIDENT_CHILD_PORNOGRAPHY,
        "incident_at": AT,
        "reporter": REPORTER,
        "platform": "Platform",
        "urls": ("https://platform.example/p/1", "https://platform.example/p/2"),
        "reported_accounts": (
            Account("acct-a", profile_url="https://platform.example/u/a", disabled_at=AT),
            Account("acct-b", profile_bio="dm me for pics"),
        ),
        "victims": (Account("acct-v"),),
        "messages": (Message("send me a picture or else", where="dm:acct-a/acct-v"),),
        "annotations": ("sextortion",),
        "additional_info": "case 1",
    }
    fields.update(changes)
    return IncidentReport(**fields)  # type: ignore[arg-type]


def enum(name: str) -> set[str]:
    """The values of one of the XSD's enumerations, read from the schema itself."""
    schema = ET.fromstring(xsd_bytes())
    xs = "{http://www.w3.org/2001/XMLSchema}"
    for simple in schema.iter(f"{xs}simpleType"):
        if simple.get("name") == name:
            return {e.get("value", "") for e in simple.iter(f"{xs}enumeration")}
    raise AssertionError(f"no simpleType {name} in the XSD")


def test_our_vocabularies_are_the_xsds() -> None:
    assert enum("incidentType") == INCIDENT_TYPES
    assert enum("fileClassification") == INDUSTRY_CLASSIFICATIONS


def test_the_full_report_validates_against_ncmecs_xsd() -> None:
    document = report_xml(incident())
    assert xsd_problems(document) == []
    root = validate_report(document)
    assert [child.tag for child in root] == [
        "incidentSummary",
        "internetDetails",
        "internetDetails",
        "reporter",
        "personOrUserReported",
        "personOrUserReported",
        "victim",
        "additionalInfo",
    ]
    assert root.findtext("incidentSummary/incidentDateTime") == "2026-01-02T03:04:05Z"
    assert root.find("incidentSummary/reportAnnotations/sextortion") is not None
    urls = [u.text for u in root.findall("internetDetails/webPageIncident/url")]
    assert urls == ["https://platform.example/p/1", "https://platform.example/p/2"]
    assert root.findtext("internetDetails/chatImIncident/content") == "send me a picture or else"
    assert root.findtext("personOrUserReported/accountPermanentlyDisabled") == "true"
    assert [c.tag for c in root.findall("victim/*")] == ["victimPerson", "espIdentifier"]


@pytest.mark.parametrize("incident_type", sorted(INCIDENT_TYPES))
def test_every_incident_type_validates(incident_type: str) -> None:
    assert xsd_problems(report_xml(incident(incident_type=incident_type))) == []


@pytest.mark.parametrize("annotation", sorted(REPORT_ANNOTATIONS))
def test_every_report_annotation_validates(annotation: str) -> None:
    assert xsd_problems(report_xml(incident(annotations=(annotation,)))) == []


def test_the_smallest_report_validates() -> None:
    """A text-only enticement report: no url, no file, only the message and who sent it."""
    document = report_xml(
        IncidentReport(
            incident_type=INCIDENT_ONLINE_ENTICEMENT,
            incident_at=AT,
            reporter=Reporter("Safety", "", "safety@platform.example"),
            messages=(Message("hi"),),
            reported_accounts=(Account("acct-a"),),
        )
    )
    assert xsd_problems(document) == []
    assert xsd_problems(report_xml(incident(incident_type=INCIDENT_CHILD_SEX_TRAFFICKING))) == []


def test_the_old_victim_form_fails_ncmecs_xsd() -> None:
    """Before issue 12, `<victim>` held only `<espIdentifier>`: NCMEC refuses that."""
    root = ET.fromstring(report_xml(incident()))
    victim = root.find("victim")
    assert victim is not None
    person = victim.find("victimPerson")
    assert person is not None
    victim.remove(person)
    old = ET.tostring(root, encoding="unicode")
    problems = xsd_problems(old)
    assert problems and "victimPerson" in " ".join(problems)
    with pytest.raises(InvalidDocument):
        validate_report(old)


def test_text_is_escaped_not_interpreted() -> None:
    document = report_xml(incident(additional_info="<b>&</b>", reported_accounts=(Account("a<b"),)))
    root = validate_report(document)
    assert root.findtext("additionalInfo") == "<b>&</b>"
    assert root.findtext("personOrUserReported/espIdentifier") == "a<b"


def test_no_reporter_email_is_explained_with_the_setting_to_fix() -> None:
    with pytest.raises(InvalidDocument) as refused:
        validate_report(report_xml(incident(reporter=Reporter("Safety", "", ""))))
    assert "email" in str(refused.value)
    assert "TAKEDOWN_NCMEC_REPORTER_EMAIL" in refused.value.fix


def test_what_the_xsd_refuses_is_refused_with_its_line() -> None:
    with pytest.raises(InvalidDocument) as refused:
        validate_report(report_xml(incident(incident_type="Spam")))
    assert "NCMEC's schema: line" in str(refused.value)
    assert "incidentType" in str(refused.value)
    root = ET.fromstring(report_xml(incident()))
    summary = root.find("incidentSummary")
    assert summary is not None
    root.remove(summary)
    root.append(summary)
    with pytest.raises(InvalidDocument) as out_of_order:
        validate_report(ET.tostring(root, encoding="unicode"))
    assert "incidentSummary" in str(out_of_order.value)


def details(**changes: object) -> FileDetails:
    fields: dict[str, object] = {
        "original_file_name": "p-1.png",
        "file_viewed_by_esp": True,
        "publicly_available": False,
        "uploaded_at": AT,
        "location": "https://platform.example/p/1",
        "hashes": {"MD5": MD5, "SHA256": SHA256, "PDQ": PDQ},
        "industry_classification": "B2",
        "annotations": ("possibleSelfProduction",),
        "additional_info": "account acct-a",
    }
    fields.update(changes)
    return FileDetails(**fields)  # type: ignore[arg-type]


def test_file_details_validate_with_hashes_classification_and_annotations() -> None:
    document = file_details_xml("7000001", "b0754af766b426f2928a02c651ed4b99", details())
    assert xsd_problems(document) == []
    root = validate_file_details(document)
    assert root.findtext("fileViewedByEsp") == "true"
    assert root.findtext("publiclyAvailable") == "false"
    assert root.findtext("fileRelevance") == "Reported"
    assert root.find("fileAnnotations/possibleSelfProduction") is not None
    assert root.findtext("industryClassification") == "B2"
    assert {h.get("hashType"): h.text for h in root.findall("originalFileHash")} == {
        "MD5": MD5,
        "PDQ": PDQ,
        "SHA256": SHA256,
    }


@pytest.mark.parametrize("classification", sorted(INDUSTRY_CLASSIFICATIONS))
def test_every_classification_validates(classification: str) -> None:
    document = file_details_xml("1", "f1", details(industry_classification=classification))
    assert xsd_problems(document) == []


def test_all_annotations_together_and_the_bare_file_validate() -> None:
    full = file_details_xml("1", "f1", details(annotations=tuple(sorted(FILE_ANNOTATIONS))))
    assert xsd_problems(full) == []
    bare = FileDetails("p.mp4", file_viewed_by_esp=False, publicly_available=True)
    assert xsd_problems(file_details_xml("1", "f1", bare)) == []


def test_file_details_with_a_malformed_hash_or_classification_are_refused() -> None:
    with pytest.raises(InvalidDocument) as bad_hash:
        validate_file_details(file_details_xml("1", "f1", details(hashes={"MD5": "xyz"})))
    assert "is not a MD5 hash" in str(bad_hash.value)
    with pytest.raises(InvalidDocument) as bad_class:
        validate_file_details(file_details_xml("1", "f1", details(industry_classification="C3")))
    assert "C3" in str(bad_class.value)
    with pytest.raises(InvalidDocument) as bad_id:
        validate_file_details(file_details_xml("not-a-number", "f1", details()))
    assert "reportId" in str(bad_id.value)
