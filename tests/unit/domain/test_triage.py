"""The priority table of DESIGN.md, row by row."""

from __future__ import annotations

import pytest

from takedown.domain.triage import case_priority, triage_bank_match, triage_report
from takedown.domain.vocabulary import Category, Priority, ReporterRole

CSE = Category.CHILD_SEXUAL_EXPLOITATION
NCII = Category.NON_CONSENSUAL_INTIMATE_IMAGERY


@pytest.mark.parametrize(
    "role",
    [
        ReporterRole.DEPICTED_PERSON,
        ReporterRole.PARENT_GUARDIAN,
        ReporterRole.TRUSTED_FLAGGER,
        ReporterRole.LAW_ENFORCEMENT,
    ],
)
def test_minor_in_sexual_content_from_a_restrict_first_role_is_p0_and_restricts(
    role: ReporterRole,
) -> None:
    triage = triage_report(CSE, role, depicts_minor=True)
    assert (triage.priority, triage.restrict, triage.child_safety) == (Priority.P0, True, True)


def test_child_safety_from_a_bystander_is_p1_reviewed_not_hidden() -> None:
    triage = triage_report(CSE, ReporterRole.THIRD_PARTY, depicts_minor=True)
    assert (triage.priority, triage.restrict, triage.child_safety) == (Priority.P1, False, True)


@pytest.mark.parametrize("depicts_minor", [True, False])
def test_grooming_reported_by_a_parent_is_p0_and_hidden(depicts_minor: bool) -> None:
    triage = triage_report(Category.GROOMING, ReporterRole.PARENT_GUARDIAN, depicts_minor)
    assert (triage.priority, triage.restrict, triage.child_safety) == (Priority.P0, True, True)


def test_grooming_from_a_bystander_is_child_safety_p1() -> None:
    triage = triage_report(Category.GROOMING, ReporterRole.THIRD_PARTY, depicts_minor=True)
    assert (triage.priority, triage.restrict, triage.child_safety) == (Priority.P1, False, True)


def test_ncii_showing_a_minor_is_treated_as_child_sexual_exploitation() -> None:
    triage = triage_report(NCII, ReporterRole.DEPICTED_PERSON, depicts_minor=True)
    assert (triage.priority, triage.restrict, triage.child_safety) == (Priority.P0, True, True)


def test_ncii_from_the_depicted_adult_is_p1_and_hidden() -> None:
    triage = triage_report(NCII, ReporterRole.DEPICTED_PERSON, depicts_minor=False)
    assert (triage.priority, triage.restrict, triage.child_safety) == (Priority.P1, True, False)


def test_sextortion_from_the_depicted_adult_is_p1_reviewed() -> None:
    triage = triage_report(Category.SEXTORTION, ReporterRole.DEPICTED_PERSON, False)
    assert (triage.priority, triage.restrict) == (Priority.P1, False)


def test_ncii_from_someone_else_is_p2() -> None:
    assert triage_report(NCII, ReporterRole.THIRD_PARTY, False).priority is Priority.P2


@pytest.mark.parametrize("category", [Category.VIOLENCE, Category.HARASSMENT])
def test_other_harms_are_p2(category: Category) -> None:
    triage = triage_report(category, ReporterRole.THIRD_PARTY, False)
    assert (triage.priority, triage.restrict) == (Priority.P2, False)


@pytest.mark.parametrize("category", [Category.SPAM, Category.OTHER])
def test_spam_and_the_rest_are_p3(category: Category) -> None:
    assert triage_report(category, ReporterRole.THIRD_PARTY, False).priority is Priority.P3


def test_a_child_safety_bank_match_is_p0_and_restricts() -> None:
    triage = triage_bank_match(child_safety_bank=True)
    assert (triage.priority, triage.restrict) == (Priority.P0, True)
    assert triage_bank_match(child_safety_bank=False).restrict is False


def test_the_third_distinct_reporter_raises_one_level_and_no_further() -> None:
    assert case_priority([Priority.P2, Priority.P2], 2) is Priority.P2
    assert case_priority([Priority.P2, Priority.P2, Priority.P2], 3) is Priority.P1
    assert case_priority([Priority.P2] * 7, 7) is Priority.P1
    assert case_priority([Priority.P0] * 3, 3) is Priority.P0


def test_case_priority_takes_the_most_urgent_report() -> None:
    assert case_priority([Priority.P3, Priority.P1, Priority.P2], 1) is Priority.P1
