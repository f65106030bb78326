"""Which decisions file with NCMEC, and as which of the XSD's incident types (REPORT Act)."""

from __future__ import annotations

import pytest

from takedown.cybertipline.report import (
    INCIDENT_CHILD_PORNOGRAPHY,
    INCIDENT_CHILD_SEX_TRAFFICKING,
    INCIDENT_ONLINE_ENTICEMENT,
    INCIDENT_TYPES,
)
from takedown.domain.reportable import Reportable, minor_involved, reportable
from takedown.domain.vocabulary import Policy


@pytest.mark.parametrize(
    ("policy", "minor", "expected"),
    [
        (Policy.CSAM, False, Reportable(INCIDENT_CHILD_PORNOGRAPHY)),
        (Policy.TRAFFICKING, False, Reportable(INCIDENT_CHILD_SEX_TRAFFICKING)),
        (Policy.GROOMING, True, Reportable(INCIDENT_ONLINE_ENTICEMENT)),
        (Policy.SEXTORTION, True, Reportable(INCIDENT_ONLINE_ENTICEMENT, ("sextortion",))),
        (Policy.GROOMING, False, None),
        (Policy.SEXTORTION, False, None),
        (Policy.NCII, True, None),
        (Policy.SPAM, True, None),
        (Policy.NONE, True, None),
    ],
)
def test_what_is_filed(policy: Policy, minor: bool, expected: Reportable | None) -> None:
    assert reportable(policy, minor) == expected
    if expected is not None:
        assert expected.incident_type in INCIDENT_TYPES


def test_a_minor_is_involved_when_a_report_says_so() -> None:
    assert minor_involved(["grooming"], [True])
    assert minor_involved(["child_sexual_exploitation"], [False])
    assert not minor_involved(["grooming", "sextortion"], [False, False])
    assert not minor_involved([], [])
