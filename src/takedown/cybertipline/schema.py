"""Validation of the XML documents before they are sent (a bad report must not reach NCMEC).

A small declarative description of the parts of the Reporting API schema Takedown uses:
each element's children in order with how often they may occur, and a check for its text.
Unknown elements, elements out of order, missing required ones and malformed values are
reported by path, so the legal team sees what to fix.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from takedown.cybertipline.report import (
    FILE_ANNOTATIONS,
    HASH_TYPES,
    INCIDENT_TYPES,
    INDUSTRY_CLASSIFICATIONS,
)

TextCheck = Callable[[str], str | None]


class InvalidDocument(Exception):
    """The document breaks the schema; `problems` says where and how."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Element:
    name: str
    children: tuple[tuple[Element, int, int | None], ...] = ()
    text: TextCheck | None = None
    attributes: dict[str, TextCheck] = field(default_factory=dict)


def non_empty(limit: int) -> TextCheck:
    def check(value: str) -> str | None:
        if not value.strip():
            return "must not be empty"
        return f"longer than {limit} characters" if len(value) > limit else None

    return check


def one_of(values: frozenset[str]) -> TextCheck:
    return lambda value: None if value in values else f"{value!r} is not one of {sorted(values)}"


def boolean(value: str) -> str | None:
    return None if value in ("true", "false") else f"{value!r} is not true or false"


def date_time(value: str) -> str | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"{value!r} is not an ISO 8601 date and time"
    return None if parsed.tzinfo is not None else f"{value!r} has no time zone"


def email(value: str) -> str | None:
    return None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) else f"{value!r} is no email"


def url(value: str) -> str | None:
    return None if re.match(r"https?://\S+$", value) else f"{value!r} is not an http(s) url"


def _leaf(name: str, check: TextCheck) -> Element:
    return Element(name, text=check)


_ANNOTATIONS = Element(
    "fileAnnotations", children=tuple((Element(n), 0, 1) for n in sorted(FILE_ANNOTATIONS))
)
_HASH = Element(
    "originalFileHash",
    text=non_empty(128),
    attributes={"hashType": one_of(frozenset(HASH_TYPES))},
)

REPORT = Element(
    "report",
    children=(
        (
            Element(
                "incidentSummary",
                children=(
                    (_leaf("incidentType", one_of(INCIDENT_TYPES)), 1, 1),
                    (_leaf("incidentDateTime", date_time), 1, 1),
                ),
            ),
            1,
            1,
        ),
        (
            Element(
                "internetDetails",
                children=(
                    (Element("webPageIncident", children=((_leaf("url", url), 1, None),)), 1, 1),
                ),
            ),
            0,
            None,
        ),
        (
            Element(
                "reporter",
                children=(
                    (
                        Element(
                            "reportingPerson",
                            children=(
                                (_leaf("firstName", non_empty(100)), 1, 1),
                                (_leaf("lastName", non_empty(100)), 0, 1),
                                (_leaf("email", email), 1, 1),
                            ),
                        ),
                        1,
                        1,
                    ),
                ),
            ),
            1,
            1,
        ),
        (
            Element(
                "personOrUserReported",
                children=((_leaf("espIdentifier", non_empty(200)), 1, 1),),
            ),
            0,
            None,
        ),
        (Element("victim", children=((_leaf("espIdentifier", non_empty(200)), 1, 1),)), 0, None),
        (_leaf("additionalInfo", non_empty(5000)), 0, 1),
    ),
)

FILE_DETAILS = Element(
    "fileDetails",
    children=(
        (_leaf("reportId", non_empty(100)), 1, 1),
        (_leaf("fileId", non_empty(100)), 1, 1),
        (_leaf("originalFileName", non_empty(255)), 1, 1),
        (_leaf("fileViewedByEsp", boolean), 1, 1),
        (_leaf("publiclyAvailable", boolean), 1, 1),
        (_ANNOTATIONS, 0, 1),
        (_leaf("industryClassification", one_of(INDUSTRY_CLASSIFICATIONS)), 0, 1),
        (_HASH, 1, None),
        (_leaf("additionalInfo", non_empty(5000)), 0, 1),
    ),
)


def _check(node: ET.Element, spec: Element, path: str, problems: list[str]) -> None:
    for name, check in spec.attributes.items():
        value = node.get(name)
        if value is None:
            problems.append(f"{path}: attribute {name} is missing")
        elif (problem := check(value)) is not None:
            problems.append(f"{path}/@{name}: {problem}")
    if spec.text is not None:
        if (problem := spec.text(node.text or "")) is not None:
            problems.append(f"{path}: {problem}")
    elif (node.text or "").strip():
        problems.append(f"{path}: holds text where only elements belong")
    actual = list(node)
    position = 0
    for child_spec, least, most in spec.children:
        count = 0
        while position < len(actual) and actual[position].tag == child_spec.name:
            _check(actual[position], child_spec, f"{path}/{child_spec.name}", problems)
            position += 1
            count += 1
        if count < least:
            problems.append(f"{path}: <{child_spec.name}> is required")
        if most is not None and count > most:
            problems.append(f"{path}: <{child_spec.name}> may occur at most {most} time(s)")
    for extra in actual[position:]:
        problems.append(f"{path}: <{extra.tag}> is unknown here or out of order")


def validate(document: str, spec: Element) -> ET.Element:
    """Parse and check `document` against `spec`; raises InvalidDocument listing every problem."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise InvalidDocument([f"not well-formed XML: {exc}"]) from None
    if root.tag != spec.name:
        raise InvalidDocument([f"the root element is <{root.tag}>, not <{spec.name}>"])
    problems: list[str] = []
    _check(root, spec, spec.name, problems)
    for hash_node in root.iter("originalFileHash"):
        length = HASH_TYPES.get(hash_node.get("hashType", ""))
        value = hash_node.text or ""
        if length and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
            problems.append(f"originalFileHash {value!r} is not a {hash_node.get('hashType')} hash")
    if problems:
        raise InvalidDocument(problems)
    return root


def validate_report(document: str) -> ET.Element:
    return validate(document, REPORT)


def validate_file_details(document: str) -> ET.Element:
    return validate(document, FILE_DETAILS)
